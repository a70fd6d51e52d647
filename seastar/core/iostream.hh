// Byte streams over futures.
//
// data_source / data_sink are the byte-level interfaces that sockets, files
// and test fakes implement (one virtual call per buffer). input_stream and
// output_stream add what applications want on top: buffering, read_exactly(),
// consume() with a parser that can stop mid-buffer, batching of small writes
// into buffers of a configured size, zero-copy writes of buffers and packets.
//
// Contract:
//   * One thread (shard). Streams are not thread-safe and not re-entrant: call
//     the next read (or write) only after the previous one's future resolved,
//     and keep the stream alive (and unmoved) until then. Call close() and wait
//     for it before destroying a stream that was used.
//   * Ownership: buffers handed to a sink are the sink's; buffers returned by
//     a source or a stream are the caller's. Nothing is copied when a source's
//     buffer can be handed over (read(), read_up_to(), read_exactly() within
//     one buffer), nor when a temporary_buffer, packet or scattered_message is
//     written. write(const char*, n) copies the bytes: small writes into the
//     batch buffer; a write of at least `size` bytes into a buffer of its own
//     that goes to the sink at once (as in Seastar).
//   * Allocation: buffering allocates (std::bad_alloc becomes a failed
//     future). Errors travel in futures; no member throws.
//   * Errors: a failing source or sink fails the future of the read, write,
//     flush or close that reached it; the stream stays destructible. close()
//     of an output_stream flushes, then closes the sink even when the flush
//     failed, and reports the first error. Writing to, flushing or closing
//     an output_stream that was closed fails with output_stream_closed_error.
//   * EOF: a source signals end of stream with an empty buffer. read() and
//     read_up_to() then return an empty buffer; read_exactly(n) returns a
//     buffer shorter than n (empty at EOF), as in Seastar.
//   * flush() sends what is buffered and then calls the sink's flush(); with
//     nothing buffered it does nothing (as in Seastar). With
//     output_stream_options::batch_flushes (and a sink whose
//     can_batch_flushes() is true), flush() returns at once and the flush runs
//     from a scheduled task, merged with other flush() calls made meanwhile;
//     its error is reported by the next flush() or by close(). This needs a
//     task scheduler (reactor or local_scheduler) on the thread.
//
// Example (inside a coroutine):
//
//     seastar::input_stream<char> in(std::move(source));
//     auto header = co_await in.read_exactly(16);
//     if (header.size() < 16) { /* EOF before a whole record */ }
//     seastar::output_stream<char> out(std::move(sink), 8192);
//     co_await out.write("hello ");
//     co_await out.write(std::move(header));   // zero-copy
//     co_await out.close();                     // flushes, then closes the sink
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/scattered_message.hh"
#include "seastar/core/task.hh"
#include "seastar/core/temporary_buffer.hh"
#include "seastar/net/packet.hh"

namespace seastar {

namespace internal {

// Views a buffer of one byte type as another (no copy).
template <typename To, typename From>
temporary_buffer<To> rebind_buffer(temporary_buffer<From>&& b) noexcept {
    if constexpr (std::is_same_v<To, From>) {
        return std::move(b);
    } else {
        auto p = reinterpret_cast<To*>(b.get_write());
        auto n = b.size();
        return temporary_buffer<To>(p, n, b.release());
    }
}

} // namespace internal

// ---- sources and sinks ----

class data_source_impl {
public:
    virtual ~data_source_impl() = default;
    // The next buffer; an empty buffer means end of stream.
    virtual future<temporary_buffer<char>> get() = 0;
    // Skips `n` bytes; returns what follows them in the buffer where they
    // ended (possibly empty). The default reads and drops buffers.
    virtual future<temporary_buffer<char>> skip(uint64_t n);
    virtual future<> close() { return make_ready_future<>(); }
};

class data_source {
    std::unique_ptr<data_source_impl> _dsi;

public:
    data_source() noexcept = default;
    explicit data_source(std::unique_ptr<data_source_impl> dsi) noexcept : _dsi(std::move(dsi)) {}
    data_source(data_source&&) noexcept = default;
    data_source& operator=(data_source&&) noexcept = default;

    future<temporary_buffer<char>> get() noexcept;
    future<temporary_buffer<char>> skip(uint64_t n) noexcept;
    future<> close() noexcept;
    explicit operator bool() const noexcept { return bool(_dsi); }
};

class data_sink_impl {
public:
    virtual ~data_sink_impl() = default;
    virtual temporary_buffer<char> allocate_buffer(std::size_t size) { return temporary_buffer<char>(size); }
    virtual future<> put(net::packet data) = 0;
    // Default: one packet made of the buffers (no copy).
    virtual future<> put(std::vector<temporary_buffer<char>> data);
    // Default: a one-fragment packet (no copy).
    virtual future<> put(temporary_buffer<char> buf);
    virtual future<> flush() { return make_ready_future<>(); }
    virtual future<> close() = 0;
    // The natural write size of the sink; used by output_stream(data_sink).
    virtual std::size_t buffer_size() const noexcept { return 8192; }
    // Whether output_stream may merge flushes for this sink.
    virtual bool can_batch_flushes() const noexcept { return false; }
    // Told when a batched flush failed (the error itself reaches the stream's
    // next flush() or close()).
    virtual void on_batch_flush_error() noexcept {}
};

class data_sink {
    std::unique_ptr<data_sink_impl> _dsi;

public:
    data_sink() noexcept = default;
    explicit data_sink(std::unique_ptr<data_sink_impl> dsi) noexcept : _dsi(std::move(dsi)) {}
    data_sink(data_sink&&) noexcept = default;
    data_sink& operator=(data_sink&&) noexcept = default;

    temporary_buffer<char> allocate_buffer(std::size_t size) { return _dsi->allocate_buffer(size); }
    future<> put(std::vector<temporary_buffer<char>> data) noexcept;
    future<> put(temporary_buffer<char> data) noexcept;
    future<> put(net::packet p) noexcept;
    future<> flush() noexcept;
    future<> close() noexcept;
    std::size_t buffer_size() const noexcept { return _dsi->buffer_size(); }
    bool can_batch_flushes() const noexcept { return _dsi && _dsi->can_batch_flushes(); }
    void on_batch_flush_error() noexcept { _dsi->on_batch_flush_error(); }
    explicit operator bool() const noexcept { return bool(_dsi); }
};

// ---- consume() results ----

// The consumer used the whole buffer and wants more.
struct continue_consuming {};

// The consumer is done; `buf` (what it did not use, possibly empty) stays in
// the stream for the next read.
template <typename CharType>
class stop_consuming {
public:
    using tmp_buf = temporary_buffer<CharType>;
    explicit stop_consuming(tmp_buf buf) noexcept : _buf(std::move(buf)) {}
    tmp_buf& get_buffer() noexcept { return _buf; }
    const tmp_buf& get_buffer() const noexcept { return _buf; }

private:
    tmp_buf _buf;
};

// The consumer used the whole buffer and wants the next `n` bytes skipped.
class skip_bytes {
public:
    explicit skip_bytes(uint64_t v) noexcept : _value(v) {}
    uint64_t get_value() const noexcept { return _value; }

private:
    uint64_t _value;
};

template <typename CharType>
class consumption_result {
public:
    using stop_consuming_type = stop_consuming<CharType>;
    using consumption_variant = std::variant<continue_consuming, stop_consuming_type, skip_bytes>;
    using tmp_buf = typename stop_consuming_type::tmp_buf;

    // The older form: an engaged optional means stop (keeping its buffer),
    // an empty one means continue.
    explicit consumption_result(std::optional<tmp_buf> opt_buf) noexcept {
        if (opt_buf) {
            _result = stop_consuming_type{std::move(*opt_buf)};
        }
    }
    consumption_result(const continue_consuming&) noexcept {}
    consumption_result(stop_consuming_type&& stop) noexcept : _result(std::move(stop)) {}
    consumption_result(skip_bytes&& skip) noexcept : _result(std::move(skip)) {}

    consumption_variant& get() noexcept { return _result; }
    const consumption_variant& get() const noexcept { return _result; }

private:
    consumption_variant _result;
};

// A consumer is called with each buffer (an empty one at EOF) and returns
// future<consumption_result<CharType>>, or (the older form)
// future<std::optional<temporary_buffer<CharType>>> where a value means stop.
template <typename Consumer, typename CharType>
concept InputStreamConsumer = requires(Consumer c) {
    { c(temporary_buffer<CharType>{}) } -> std::same_as<future<consumption_result<CharType>>>;
};

template <typename Consumer, typename CharType>
concept ObsoleteInputStreamConsumer = requires(Consumer c) {
    { c(temporary_buffer<CharType>{}) } -> std::same_as<future<std::optional<temporary_buffer<CharType>>>>;
};

// ---- input_stream ----

template <typename CharType>
class input_stream final {
    static_assert(sizeof(CharType) == 1, "input_stream carries bytes");
    using tmp_buf = temporary_buffer<CharType>;

    data_source _fd;
    tmp_buf _buf;
    bool _eof = false;

public:
    using char_type = CharType;
    using consumption_result_type = consumption_result<CharType>;
    using unconsumed_remainder = std::optional<tmp_buf>;

    input_stream() noexcept = default;
    explicit input_stream(data_source fd) noexcept : _fd(std::move(fd)) {}
    input_stream(input_stream&&) noexcept = default;
    input_stream& operator=(input_stream&&) noexcept = default;

    // Exactly n bytes, or fewer at end of stream (empty if none were left).
    // No copy when they lie within one buffer of the source.
    future<tmp_buf> read_exactly(std::size_t n) noexcept {
        if (_buf.size() == n) {
            return make_ready_future<tmp_buf>(std::move(_buf));
        }
        if (_buf.size() > n) {
            return take_front_future(n);
        }
        return read_exactly_slow(n);
    }
    // Whatever is buffered, or the source's next buffer; empty at EOF.
    future<tmp_buf> read() noexcept {
        if (!_buf.empty()) {
            return make_ready_future<tmp_buf>(std::move(_buf));
        }
        if (_eof) {
            return make_ready_future<tmp_buf>();
        }
        return _fd.get().then([this](temporary_buffer<char> b) {
            _eof = b.empty();
            return internal::rebind_buffer<CharType>(std::move(b));
        });
    }
    // Up to n bytes (at least one unless at EOF), without copying.
    future<tmp_buf> read_up_to(std::size_t n) noexcept {
        if (_buf.empty()) {
            if (_eof) {
                return make_ready_future<tmp_buf>();
            }
            return _fd.get().then([this, n](temporary_buffer<char> b) {
                _eof = b.empty();
                _buf = internal::rebind_buffer<CharType>(std::move(b));
                return read_up_to(n);
            });
        }
        if (_buf.size() <= n) {
            return make_ready_future<tmp_buf>(std::move(_buf));
        }
        return take_front_future(n);
    }
    // Drops the next n bytes (fewer at EOF).
    future<> skip(uint64_t n) noexcept {
        auto now = std::min<uint64_t>(n, _buf.size());
        _buf.trim_front(now);
        n -= now;
        if (!n || _eof) {
            return make_ready_future<>();
        }
        return _fd.skip(n).then(
            [this](temporary_buffer<char> b) { _buf = internal::rebind_buffer<CharType>(std::move(b)); });
    }
    // Feeds buffers to `c` until it stops or skips to EOF; at EOF it is called
    // once with an empty buffer. What it hands back in stop_consuming stays
    // for the next read. The consumer is moved into the operation (or, when
    // passed as an lvalue, referenced: keep it alive until the future resolves).
    template <typename Consumer>
        requires InputStreamConsumer<std::remove_reference_t<Consumer>, CharType> ||
                 ObsoleteInputStreamConsumer<std::remove_reference_t<Consumer>, CharType>
    future<> consume(Consumer&& c) noexcept {
        return do_consume<Consumer>(std::forward<Consumer>(c));
    }

    bool eof() const noexcept { return _eof; }
    future<> close() noexcept { return _fd.close(); }
    // Hands the source back; what was buffered is dropped.
    data_source detach() && noexcept {
        _buf = {};
        return std::move(_fd);
    }

private:
    // The first n bytes of _buf, shared (no copy). share() allocates a
    // deleter node the first time a bare malloc()ed buffer is shared.
    tmp_buf take_front(std::size_t n) {
        auto front = _buf.share(0, n);
        _buf.trim_front(n);
        return front;
    }
    future<tmp_buf> take_front_future(std::size_t n) noexcept {
        try {
            return make_ready_future<tmp_buf>(take_front(n));
        } catch (...) {
            return make_exception_future<tmp_buf>(std::current_exception());
        }
    }

    future<tmp_buf> read_exactly_slow(std::size_t n) {
        if (_buf.empty()) {
            if (_eof) {
                co_return tmp_buf();
            }
            auto b = co_await _fd.get();
            if (b.empty()) {
                _eof = true;
                co_return tmp_buf();
            }
            _buf = internal::rebind_buffer<CharType>(std::move(b));
            if (_buf.size() >= n) {
                co_return _buf.size() == n ? std::move(_buf) : take_front(n);
            }
        }
        tmp_buf out(n);
        std::size_t completed = 0;
        while (true) {
            auto now = std::min(n - completed, _buf.size());
            std::memcpy(out.get_write() + completed, _buf.get(), now);
            _buf.trim_front(now);
            completed += now;
            if (completed == n) {
                co_return out;
            }
            auto b = co_await _fd.get();
            if (b.empty()) {
                _eof = true;
                out.trim(completed);
                co_return out;
            }
            _buf = internal::rebind_buffer<CharType>(std::move(b));
        }
    }

    template <typename Consumer>
    future<consumption_result_type> call_consumer(Consumer& c, tmp_buf buf) {
        if constexpr (InputStreamConsumer<Consumer, CharType>) {
            return c(std::move(buf));
        } else {
            return c(std::move(buf)).then([](std::optional<tmp_buf> r) {
                return consumption_result_type(std::move(r));
            });
        }
    }

    template <typename Consumer>
    future<> do_consume(Consumer c) {
        while (true) {
            if (_buf.empty() && !_eof) {
                _buf = internal::rebind_buffer<CharType>(co_await _fd.get());
                _eof = _buf.empty();
            }
            consumption_result_type r = co_await call_consumer<std::remove_reference_t<Consumer>>(c, std::move(_buf));
            auto& v = r.get();
            if (auto stop = std::get_if<stop_consuming<CharType>>(&v)) {
                _buf = std::move(stop->get_buffer());
                co_return;
            }
            if (_eof) {
                co_return;
            }
            if (auto skip = std::get_if<skip_bytes>(&v)) {
                auto b = co_await _fd.skip(skip->get_value());
                _buf = internal::rebind_buffer<CharType>(std::move(b));
            }
        }
    }
};

// ---- output_stream ----

struct output_stream_options {
    // Never hand the sink a buffer or packet larger than the stream's size
    // (larger writes are split, without copying).
    bool trim_to_size = false;
    // Merge flush() calls made close together into one (see the header).
    bool batch_flushes = false;
};

// Writing to, flushing or closing an output_stream after close().
class output_stream_closed_error : public std::logic_error {
public:
    output_stream_closed_error() : std::logic_error("output_stream: used after close()") {}
};

template <typename CharType>
class output_stream final {
    static_assert(sizeof(CharType) == 1, "output_stream carries bytes");
    using char_type = CharType;
    using tmp_buf = temporary_buffer<CharType>;

    data_sink _fd;
    // Pending bytes are _zc_bufs followed by _buf[0, _end).
    tmp_buf _buf;
    net::packet _zc_bufs = net::packet::make_null_packet();
    std::size_t _size = 0;
    std::size_t _end = 0;
    bool _trim_to_size = false;
    bool _batch_flushes = false;
    bool _closed = false;
    // Batched flushes: a batch runs from a scheduled task while _in_batch;
    // _flush asks it for one more pass; _flushing while a pass is in the sink.
    bool _in_batch = false;
    bool _flush = false;
    bool _flushing = false;
    std::exception_ptr _ex;
    std::vector<promise<>> _batch_waiters;

    class batch_flush_task;

public:
    output_stream() noexcept = default;
    // Batches writes into buffers of `size` bytes.
    output_stream(data_sink fd, std::size_t size, output_stream_options opts = {}) noexcept
        : _fd(std::move(fd)), _size(size), _trim_to_size(opts.trim_to_size),
          _batch_flushes(opts.batch_flushes && _fd.can_batch_flushes()) {}
    // Uses the sink's buffer_size() and trim_to_size.
    explicit output_stream(data_sink fd) noexcept : _fd(std::move(fd)), _trim_to_size(true) {
        _size = _fd.buffer_size();
    }
    output_stream(output_stream&&) noexcept = default;
    output_stream& operator=(output_stream&&) noexcept = default;
    ~output_stream() { assert(!_in_batch && "output_stream destroyed during a batched flush: close() it first"); }

    future<> write(const char_type* buf, std::size_t n) noexcept {
        if (!_buf || n > _size - _end) [[unlikely]] {
            return slow_write(buf, n);
        }
        std::memcpy(_buf.get_write() + _end, buf, n);
        _end += n;
        return make_ready_future<>();
    }
    future<> write(const char_type* buf) noexcept {
        return write(buf, std::strlen(reinterpret_cast<const char*>(buf)));
    }
    future<> write(std::basic_string_view<char_type> s) noexcept { return write(s.data(), s.size()); }
    future<> write(const std::basic_string<char_type>& s) noexcept { return write(s.data(), s.size()); }
    // Zero-copy: the buffer (and the packet's fragments) go to the sink as
    // they are, together with whatever was written before them.
    future<> write(tmp_buf buf) noexcept;
    future<> write(net::packet p) noexcept;
    future<> write(scattered_message<char_type> msg) noexcept { return write(std::move(msg).release()); }

    future<> flush() noexcept;
    future<> close() noexcept;
    // Hands the sink back (after a flush); the stream is then closed.
    data_sink detach() && noexcept {
        _closed = true;
        _buf = {};
        return std::move(_fd);
    }

private:
    static future<> closed_error() noexcept { return make_exception_future<>(output_stream_closed_error()); }
    net::packet take_pending() noexcept;
    bool has_pending() const noexcept { return _end || _zc_bufs.len(); }
    future<> slow_write(const char_type* buf, std::size_t n) noexcept;
    future<> put(tmp_buf buf) noexcept;
    future<> put(net::packet p) noexcept;
    future<> put_slow(net::packet p);
    future<> wait_batch() noexcept;
    future<> do_flush() noexcept;
    void start_batch() noexcept;
    void poll_flush() noexcept;
    future<> do_close();
};

template <typename CharType>
class output_stream<CharType>::batch_flush_task final : public task {
    output_stream* _os;

public:
    explicit batch_flush_task(output_stream* os) noexcept : _os(os) {}
    void run_and_dispose() noexcept override {
        auto os = _os;
        delete this;
        os->poll_flush();
    }
};

template <typename CharType>
net::packet output_stream<CharType>::take_pending() noexcept {
    auto p = std::exchange(_zc_bufs, net::packet::make_null_packet());
    if (_end) {
        // Appending a one-fragment buffer cannot need more than the packet's
        // preallocated fragments unless it already has many; a failure to
        // grow there is fatal like any allocation failure in a noexcept path.
        p = net::packet(std::move(p), internal::rebind_buffer<char>(std::move(_buf).prefix(_end)));
        _end = 0;
    }
    return p;
}

template <typename CharType>
future<> output_stream<CharType>::slow_write(const char_type* buf, std::size_t n) noexcept {
    if (_closed) {
        return closed_error();
    }
    if (!n) {
        return make_ready_future<>();
    }
    try {
        auto bulk_threshold = _end ? (2 * _size - _end) : _size;
        if (n >= bulk_threshold) {
            // Too big to batch: fill the current buffer, send it, and send the
            // rest in one buffer of its own.
            std::size_t now = 0;
            if (_end) {
                now = _size - _end;
                std::memcpy(_buf.get_write() + _end, buf, now);
                _end = _size;
            }
            auto tmp = internal::rebind_buffer<CharType>(_fd.allocate_buffer(n - now));
            std::memcpy(tmp.get_write(), buf + now, n - now);
            if (has_pending()) {
                return put(take_pending()).then([this, tmp = std::move(tmp)]() mutable { return put(std::move(tmp)); });
            }
            return put(std::move(tmp));
        }
        if (!_buf) {
            _buf = internal::rebind_buffer<CharType>(_fd.allocate_buffer(_size));
        }
        auto now = std::min(n, _size - _end);
        std::memcpy(_buf.get_write() + _end, buf, now);
        _end += now;
        if (now == n) {
            return make_ready_future<>();
        }
        auto next = internal::rebind_buffer<CharType>(_fd.allocate_buffer(_size));
        std::memcpy(next.get_write(), buf + now, n - now);
        auto full = take_pending();
        _buf = std::move(next);
        _end = n - now;
        return put(std::move(full));
    } catch (...) {
        return make_exception_future<>(std::current_exception());
    }
}

template <typename CharType>
future<> output_stream<CharType>::write(tmp_buf buf) noexcept {
    if (_closed) {
        return closed_error();
    }
    if (buf.empty()) {
        return make_ready_future<>();
    }
    try {
        return write(net::packet(internal::rebind_buffer<char>(std::move(buf))));
    } catch (...) {
        return make_exception_future<>(std::current_exception());
    }
}

template <typename CharType>
future<> output_stream<CharType>::write(net::packet p) noexcept {
    if (_closed) {
        return closed_error();
    }
    if (!p.len()) {
        return make_ready_future<>();
    }
    try {
        if (_end) {
            // Bytes written before stay in front: the batch buffer joins the
            // packet as a fragment (no copy).
            _zc_bufs = take_pending();
        }
        _zc_bufs.append(std::move(p));
        if (_zc_bufs.len() >= _size) {
            return put(std::exchange(_zc_bufs, net::packet::make_null_packet()));
        }
        return make_ready_future<>();
    } catch (...) {
        return make_exception_future<>(std::current_exception());
    }
}

template <typename CharType>
future<> output_stream<CharType>::put(tmp_buf buf) noexcept {
    if (_flushing || (_trim_to_size && buf.size() > _size)) [[unlikely]] {
        try {
            return put(net::packet(internal::rebind_buffer<char>(std::move(buf))));
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
    }
    return _fd.put(internal::rebind_buffer<char>(std::move(buf)));
}

template <typename CharType>
future<> output_stream<CharType>::put(net::packet p) noexcept {
    if (_flushing || (_trim_to_size && p.len() > _size)) [[unlikely]] {
        return put_slow(std::move(p));
    }
    return _fd.put(std::move(p));
}

template <typename CharType>
future<> output_stream<CharType>::put_slow(net::packet p) {
    // A batched flush may be in the sink: never write beside it.
    while (_flushing) {
        co_await wait_batch();
    }
    if (!_trim_to_size || !_size) {
        co_await _fd.put(std::move(p));
        co_return;
    }
    while (p.len() > _size) {
        auto chunk = p.share(0, _size);
        p.trim_front(_size);
        co_await _fd.put(std::move(chunk));
    }
    if (p.len()) {
        co_await _fd.put(std::move(p));
    }
}

template <typename CharType>
future<> output_stream<CharType>::wait_batch() noexcept {
    if (!_in_batch) {
        return make_ready_future<>();
    }
    _batch_waiters.emplace_back();
    return _batch_waiters.back().get_future();
}

template <typename CharType>
future<> output_stream<CharType>::do_flush() noexcept {
    if (!has_pending()) {
        return make_ready_future<>();
    }
    return put(take_pending()).then([this] { return _fd.flush(); });
}

template <typename CharType>
void output_stream<CharType>::start_batch() noexcept {
    _flush = true;
    if (!_in_batch) {
        _in_batch = true;
        schedule(new batch_flush_task(this));
    }
}

template <typename CharType>
void output_stream<CharType>::poll_flush() noexcept {
    if (!_flush) {
        _in_batch = false;
        for (auto& w : std::exchange(_batch_waiters, {})) {
            w.set_value();
        }
        return;
    }
    _flush = false;
    // do_flush() reaches the sink directly (put() would wait for us).
    auto f = has_pending() ? _fd.put(take_pending()).then([this] { return _fd.flush(); }) : _fd.flush();
    _flushing = true;
    (void)std::move(f).then_wrapped([this](future<> r) {
        if (r.failed()) {
            _ex = r.get_exception();
            _fd.on_batch_flush_error();
        }
        _flushing = false;
        poll_flush();
    });
}

template <typename CharType>
future<> output_stream<CharType>::flush() noexcept {
    if (_closed) {
        return closed_error();
    }
    if (!_batch_flushes) {
        return do_flush();
    }
    if (_ex) {
        return make_exception_future<>(std::exchange(_ex, nullptr));
    }
    start_batch();
    return make_ready_future<>();
}

template <typename CharType>
future<> output_stream<CharType>::close() noexcept {
    if (_closed) {
        return closed_error();
    }
    _closed = true;
    return do_close();
}

template <typename CharType>
future<> output_stream<CharType>::do_close() {
    std::exception_ptr ex;
    try {
        if (_batch_flushes) {
            if (has_pending()) {
                start_batch();
            }
            co_await wait_batch();
            ex = std::exchange(_ex, nullptr);
        } else {
            co_await do_flush();
        }
    } catch (...) {
        ex = std::current_exception();
    }
    _buf = {};
    _end = 0;
    _zc_bufs = net::packet::make_null_packet();
    try {
        co_await _fd.close();
    } catch (...) {
        if (!ex) {
            ex = std::current_exception();
        }
    }
    if (ex) {
        std::rethrow_exception(ex);
    }
}

} // namespace seastar
