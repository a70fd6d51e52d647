#include "seastar/core/fstream.hh"

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>

#include "seastar/core/coroutine.hh"

namespace seastar {

namespace {

uint64_t align_up(uint64_t v, uint64_t a) noexcept {
    return (v + a - 1) / a * a;
}

class file_data_source_impl final : public data_source_impl {
    file _file;
    uint64_t _pos;
    uint64_t _end;
    size_t _buffer_size;
    unsigned _read_ahead;
    file_input_stream_options _options;
    size_t _min_buffer;
    std::deque<std::pair<future<temporary_buffer<char>>, size_t>> _reads; // with the length asked
    bool _eof = false;

    // Issues reads until read_ahead + 1 are in flight or the range is covered.
    void issue() {
        while (_reads.size() <= _read_ahead && _pos < _end) {
            // After the first read, reads start at multiples of the buffer size.
            auto next = std::min<uint64_t>(_pos / _buffer_size * _buffer_size + _buffer_size, _end);
            auto len = size_t(next - _pos);
            _reads.emplace_back(_file.dma_read_bulk<char>(_pos, len), len);
            _pos = next;
        }
    }
    // Takes the history's sizes (within the options).
    void adopt_history() noexcept {
        auto& h = *_options.dynamic_adjustments;
        if (h.buffer_size()) {
            _buffer_size = std::clamp(h.buffer_size(), _min_buffer, std::max(_min_buffer, _options.buffer_size));
            _buffer_size = size_t(align_up(_buffer_size, _file.disk_read_dma_alignment()));
            _read_ahead = std::min(h.read_ahead(), _options.read_ahead);
        }
    }
    void record(uint64_t bytes, uint64_t unused, bool closing) noexcept {
        if (_options.dynamic_adjustments &&
            _options.dynamic_adjustments->record(bytes, unused, closing, _options.buffer_size, _options.read_ahead,
                                                 _min_buffer)) {
            adopt_history();
        }
    }

public:
    file_data_source_impl(file f, uint64_t offset, uint64_t len, file_input_stream_options opts)
        : _file(std::move(f)), _pos(offset),
          _end(len > std::numeric_limits<uint64_t>::max() - offset ? std::numeric_limits<uint64_t>::max()
                                                                   : offset + len),
          _buffer_size(size_t(align_up(std::max<size_t>(opts.buffer_size, 1), _file.disk_read_dma_alignment()))),
          _read_ahead(opts.read_ahead), _options(std::move(opts)),
          _min_buffer(size_t(align_up(std::min<size_t>(_buffer_size, 4096), _file.disk_read_dma_alignment()))) {
        if (_options.dynamic_adjustments) {
            adopt_history();
        }
    }

    future<temporary_buffer<char>> get() override {
        if (_eof) {
            co_return temporary_buffer<char>();
        }
        issue();
        if (_reads.empty()) {
            _eof = true;
            co_return temporary_buffer<char>();
        }
        auto [f, asked] = std::move(_reads.front());
        _reads.pop_front();
        temporary_buffer<char> buf;
        try {
            buf = co_await std::move(f);
        } catch (...) {
            _eof = true;
            throw;
        }
        // A read shorter than asked means the file ended there.
        if (buf.size() < asked) {
            _eof = true;
        }
        record(buf.size(), 0, false);
        co_return buf;
    }

    future<> close() override {
        // Reads in flight write into their buffers: wait for them. What they
        // read never reaches the reader.
        uint64_t dropped = 0;
        while (!_reads.empty()) {
            auto f = std::move(_reads.front().first);
            _reads.pop_front();
            try {
                dropped += (co_await std::move(f)).size();
            } catch (...) {
            }
        }
        _eof = true;
        record(dropped, dropped, true);
    }
};

class file_data_sink_impl final : public data_sink_impl {
    file _file;
    file_output_stream_options _opts;
    size_t _buffer_size;
    uint64_t _pos = 0; // file offset of _buf
    temporary_buffer<char> _buf;
    size_t _len = 0;              // bytes of _buf used
    std::deque<future<>> _writes; // writes in flight
    uint64_t _allocated = 0;
    std::exception_ptr _error;

    void new_buffer() { _buf = temporary_buffer<char>::aligned(_file.memory_dma_alignment(), _buffer_size); }

    future<> write_at(uint64_t pos, temporary_buffer<char> buf, size_t len) {
        size_t done = 0;
        while (done < len) {
            auto n = co_await _file.dma_write(pos + done, buf.get() + done, len - done);
            if (n == 0) {
                throw std::system_error(EIO, std::system_category(), "file output stream: write made no progress");
            }
            done += n;
        }
    }
    future<> wait_writes(size_t keep) {
        while (_writes.size() > keep) {
            auto f = std::move(_writes.front());
            _writes.pop_front();
            try {
                co_await std::move(f);
            } catch (...) {
                if (!_error) {
                    _error = std::current_exception();
                }
            }
        }
        if (_error) {
            std::rethrow_exception(_error);
        }
    }
    future<> preallocate(uint64_t upto) {
        if (_opts.preallocation_size && upto > _allocated) {
            auto from = _allocated;
            _allocated = align_up(upto, _opts.preallocation_size) + _opts.preallocation_size;
            co_await _file.allocate(from, _allocated - from);
        }
    }
    // Writes the full buffer and starts a new one.
    future<> write_full() {
        co_await preallocate(_pos + _buffer_size);
        co_await wait_writes(std::max(_opts.write_behind, 1u) - 1);
        auto buf = std::move(_buf);
        auto len = _len;
        auto pos = _pos;
        _writes.push_back(write_at(pos, buf.share(), len).finally([buf = std::move(buf)] {}));
        _pos += len;
        _len = 0;
        new_buffer();
    }
    // Writes the partial tail padded to the write alignment; the tail stays in
    // the buffer, so later bytes rewrite that block.
    future<> write_tail() {
        co_await wait_writes(0);
        if (_len) {
            auto padded = size_t(align_up(_len, _file.disk_write_dma_alignment()));
            std::memset(_buf.get_write() + _len, 0, padded - _len);
            co_await write_at(_pos, _buf.share(), padded);
        }
    }

public:
    file_data_sink_impl(file f, file_output_stream_options opts)
        : _file(std::move(f)), _opts(opts),
          _buffer_size(size_t(align_up(std::max<unsigned>(opts.buffer_size, 1), _file.disk_write_dma_alignment()))) {
        new_buffer();
    }

    future<> put(net::packet data) override {
        if (_error) {
            std::rethrow_exception(_error);
        }
        for (auto& frag : data.fragments()) {
            const char* p = frag.base;
            size_t n = frag.size;
            while (n) {
                auto k = std::min(n, _buffer_size - _len);
                std::memcpy(_buf.get_write() + _len, p, k);
                _len += k;
                p += k;
                n -= k;
                if (_len == _buffer_size) {
                    co_await write_full();
                }
            }
        }
    }
    future<> flush() override {
        co_await write_tail();
        co_await _file.flush();
    }
    future<> close() override {
        std::exception_ptr err;
        try {
            co_await write_tail();
            co_await _file.truncate(_pos + _len);
            co_await _file.flush();
        } catch (...) {
            err = std::current_exception();
        }
        try {
            co_await _file.close();
        } catch (...) {
            if (!err) {
                err = std::current_exception();
            }
        }
        if (err) {
            std::rethrow_exception(err);
        }
    }
    size_t buffer_size() const noexcept override { return _buffer_size; }
};

} // namespace

bool file_input_stream_history::record(uint64_t bytes, uint64_t unused, bool closing, size_t max_buffer,
                                       unsigned max_read_ahead, size_t min_buffer) noexcept {
    _total += bytes;
    _unused += unused;
    bool full = _total >= window_size;
    if (_total == 0 || (!closing && !full)) {
        return false;
    }
    auto size = _buffer_size ? _buffer_size : max_buffer;
    auto ahead = _buffer_size ? _read_ahead : max_read_ahead;
    if (_unused * 4 > _total) {
        // Much was read for nothing: shrink at once.
        size = std::max(min_buffer, size / 2);
        ahead = ahead ? ahead - 1 : 0;
    } else if (full && _unused * 64 < _total) {
        // A whole window read with next to nothing wasted: grow.
        size = std::min(std::max(min_buffer, max_buffer), size * 2);
        ahead = std::min(max_read_ahead, ahead + 1);
    } else if (!full) {
        return false; // not enough seen yet
    }
    _total = _unused = 0;
    bool changed = size != _buffer_size || ahead != _read_ahead;
    _buffer_size = size;
    _read_ahead = ahead;
    return changed;
}

input_stream<char> make_file_input_stream(file f, uint64_t offset, uint64_t len, file_input_stream_options options) {
    return input_stream<char>(data_source(std::make_unique<file_data_source_impl>(std::move(f), offset, len, options)));
}

input_stream<char> make_file_input_stream(file f, uint64_t offset, file_input_stream_options options) {
    return make_file_input_stream(std::move(f), offset, std::numeric_limits<uint64_t>::max(), options);
}

input_stream<char> make_file_input_stream(file f, file_input_stream_options options) {
    return make_file_input_stream(std::move(f), 0, options);
}

future<data_sink> make_file_data_sink(file f, file_output_stream_options options) noexcept {
    return futurize_invoke([&] { return data_sink(std::make_unique<file_data_sink_impl>(std::move(f), options)); });
}

future<output_stream<char>> make_file_output_stream(file f, uint64_t buffer_size) noexcept {
    file_output_stream_options opts;
    opts.buffer_size = unsigned(buffer_size);
    return make_file_output_stream(std::move(f), opts);
}

future<output_stream<char>> make_file_output_stream(file f, file_output_stream_options options) noexcept {
    return make_file_data_sink(std::move(f), options).then([](data_sink sink) {
        auto size = sink.buffer_size();
        output_stream_options o;
        o.trim_to_size = true;
        return output_stream<char>(std::move(sink), size, o);
    });
}

} // namespace seastar
