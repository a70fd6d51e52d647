#include "seastar/http/internal/chunked.hh"

#include <stdexcept>

#include "seastar/core/coroutine.hh"
#include "seastar/http/exception.hh"

namespace seastar::http::internal {

namespace {

constexpr size_t max_chunk_line = 4096;
constexpr size_t max_trailer_bytes = 16 * 1024;
// 15 hex digits: a size below 2^60, far beyond any limit, without overflow.
constexpr size_t max_size_digits = 15;

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

void chunk_line_parser::reset() noexcept {
    _state = state::size;
    _size = 0;
    _digits = 0;
    _line = 0;
    _trailer_bytes = 0;
    _error = "";
}

size_t chunk_line_parser::parse(const char* p, size_t n, result& r) {
    r = result::need_more;
    auto fail = [&](const char* why) {
        _error = why;
        r = result::error;
    };
    size_t i = 0;
    while (i < n) {
        char c = p[i++];
        switch (_state) {
        case state::size: {
            int d = hex_digit(c);
            if (d >= 0) {
                if (++_digits > max_size_digits) {
                    fail("chunk size too long");
                    return i;
                }
                _size = _size * 16 + uint64_t(d);
            } else if (_digits && (c == ';' || c == ' ' || c == '\t')) {
                _state = state::ext;
            } else if (_digits && c == '\r') {
                _state = state::lf;
            } else {
                fail("malformed chunk size");
                return i;
            }
            break;
        }
        case state::ext:
            // Extensions are skipped (bounded); a bare CR or a control byte is refused.
            if (++_line > max_chunk_line) {
                fail("chunk extension too long");
                return i;
            }
            if (c == '\r') {
                _state = state::lf;
            } else if ((uint8_t(c) < 0x20 && c != '\t') || c == 0x7f) {
                fail("malformed chunk extension");
                return i;
            }
            break;
        case state::lf:
            if (c != '\n') {
                fail("CR without LF in a chunk line");
                return i;
            }
            if (_size) {
                r = result::size_line;
                return i;
            }
            _state = state::trailer_start;
            break;
        case state::trailer_start:
        case state::trailer:
            if (++_trailer_bytes > max_trailer_bytes) {
                fail("trailer section too large");
                return i;
            }
            if (c == '\r') {
                _state = _state == state::trailer_start ? state::end_lf : state::trailer_lf;
            } else if ((uint8_t(c) < 0x20 && c != '\t') || c == 0x7f) {
                fail("malformed trailer field");
                return i;
            } else {
                _state = state::trailer;
            }
            break;
        case state::trailer_lf:
            if (c != '\n') {
                fail("CR without LF in a trailer field");
                return i;
            }
            _state = state::trailer_start;
            break;
        case state::end_lf:
            if (c != '\n') {
                fail("CR without LF after the trailer section");
                return i;
            }
            r = result::last_chunk_done;
            return i;
        }
    }
    return i;
}

namespace {

class content_length_source : public data_source_impl {
    input_stream<char>& _in;
    uint64_t _remaining;

public:
    content_length_source(input_stream<char>& in, uint64_t length) : _in(in), _remaining(length) {}

    future<temporary_buffer<char>> get() override {
        if (!_remaining) {
            co_return temporary_buffer<char>();
        }
        auto buf = co_await _in.read_up_to(_remaining);
        if (buf.empty()) {
            throw std::runtime_error("connection closed inside the body");
        }
        _remaining -= buf.size();
        co_return buf;
    }
};

class chunked_source : public data_source_impl {
    input_stream<char>& _in;
    uint64_t _limit;
    uint64_t _total = 0;
    uint64_t _in_chunk = 0;
    bool _done = false;
    chunk_line_parser _parser;

public:
    chunked_source(input_stream<char>& in, uint64_t limit) : _in(in), _limit(limit) {}

    future<temporary_buffer<char>> get() override {
        while (!_done) {
            if (_in_chunk) {
                auto buf = co_await _in.read_up_to(_in_chunk);
                if (buf.empty()) {
                    throw std::runtime_error("connection closed inside a chunk");
                }
                _in_chunk -= buf.size();
                if (!_in_chunk) {
                    auto crlf = co_await _in.read_exactly(2);
                    if (crlf.size() != 2 || crlf[0] != '\r' || crlf[1] != '\n') {
                        throw httpd::bad_chunk_exception("chunk data not followed by CRLF");
                    }
                }
                co_return buf;
            }
            co_await next_line();
        }
        co_return temporary_buffer<char>();
    }

private:
    future<> next_line() {
        _parser.reset();
        chunk_line_parser::result r = chunk_line_parser::result::need_more;
        co_await _in.consume([this, &r](temporary_buffer<char> buf) {
            if (buf.empty()) {
                return make_exception_future<consumption_result<char>>(
                    std::runtime_error("connection closed inside a chunk line"));
            }
            auto used = _parser.parse(buf.get(), buf.size(), r);
            if (r == chunk_line_parser::result::need_more) {
                return make_ready_future<consumption_result<char>>(continue_consuming{});
            }
            buf.trim_front(used);
            return make_ready_future<consumption_result<char>>(stop_consuming<char>(std::move(buf)));
        });
        switch (r) {
        case chunk_line_parser::result::error:
            throw httpd::bad_chunk_exception(_parser.error());
        case chunk_line_parser::result::size_line:
            _total += _parser.size();
            if (_total > _limit) {
                throw httpd::base_exception("request body too large", reply::status_type::payload_too_large);
            }
            _in_chunk = _parser.size();
            break;
        case chunk_line_parser::result::last_chunk_done:
            _done = true;
            break;
        case chunk_line_parser::result::need_more:
            throw std::runtime_error("connection closed inside a chunk line");
        }
    }
};

class chunked_sink : public data_sink_impl {
    output_stream<char>& _out;

public:
    explicit chunked_sink(output_stream<char>& out) : _out(out) {}

    future<> put(net::packet data) override {
        if (!data.len()) {
            co_return;
        }
        char hex[24];
        int n = std::snprintf(hex, sizeof(hex), "%zx\r\n", size_t(data.len()));
        co_await _out.write(hex, size_t(n));
        co_await _out.write(std::move(data));
        co_await _out.write("\r\n", 2);
    }
    future<> flush() override { return _out.flush(); }
    future<> close() override { return _out.write("0\r\n\r\n", 5); }
};

class plain_sink : public data_sink_impl {
    output_stream<char>& _out;

public:
    explicit plain_sink(output_stream<char>& out) : _out(out) {}
    future<> put(net::packet data) override { return _out.write(std::move(data)); }
    future<> flush() override { return _out.flush(); }
    future<> close() override { return make_ready_future<>(); }
};

} // namespace

data_source make_content_length_source(input_stream<char>& in, uint64_t length) {
    return data_source(std::make_unique<content_length_source>(in, length));
}

data_source make_chunked_source(input_stream<char>& in, uint64_t limit) {
    return data_source(std::make_unique<chunked_source>(in, limit));
}

data_sink make_chunked_sink(output_stream<char>& out) {
    return data_sink(std::make_unique<chunked_sink>(out));
}

data_sink make_plain_sink(output_stream<char>& out) {
    return data_sink(std::make_unique<plain_sink>(out));
}

} // namespace seastar::http::internal
