// The HTTP/1.1 request-head parser (Seastar's <seastar/http/request_parser.hh>):
// an incremental state machine over the request line and the header fields,
// fed buffer by buffer as an input_stream consumer. It stops at the blank
// line that ends the head and hands the rest of the buffer back to the
// stream, so the body (and pipelined requests) are read from the stream
// itself without being copied.
//
// Limits (http_parser_limits) bound the request line and the header block;
// a request over them fails with uri_too_long or header_too_large. Bytes that
// RFC 9112 does not allow (a CR not followed by LF, a control byte in a
// value, a folded header line, a space before the colon) fail with
// bad_request; a version other than HTTP/1.0 and HTTP/1.1 with
// version_not_supported; a Transfer-Encoding other than chunked with
// not_implemented. Content-Length is checked (digits only, equal duplicates,
// not together with Transfer-Encoding).
//
// Contract: one parser per connection, on its shard. init() before each
// request; after the consume() future resolves, exactly one of eof() (the
// peer closed before a request started), failed() or a parsed request holds.
// Allocates the request's strings (std::bad_alloc); never throws otherwise.
//
//     seastar::http_request_parser parser;
//     parser.init();
//     co_await in.consume(parser);
//     if (parser.eof()) { /* closed between requests */ }
//     else if (parser.failed()) { /* reply parser.error_status() and close */ }
//     else { auto req = parser.get_parsed_request(); }
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/temporary_buffer.hh"
#include "seastar/http/reply.hh"
#include "seastar/http/request.hh"

namespace seastar {

struct http_parser_limits {
    // The request line ("GET /path HTTP/1.1"), without its CRLF.
    size_t max_request_line = 8 * 1024;
    // All header lines together, CRLFs included.
    size_t max_header_bytes = 32 * 1024;
    size_t max_headers = 100;
};

class http_request_parser {
public:
    enum class state {
        start,
        method,
        target,
        version,
        request_line_lf,
        header_start,
        name,
        value_start,
        value,
        value_lf,
        end_lf,
        done,
        error,
        eof,
    };
    using status_type = http::reply::status_type;

    explicit http_request_parser(http_parser_limits limits = {}) noexcept : _limits(limits) {}

    // Resets for the next request.
    void init();
    // Parses what it can of [p, p + n); returns how many bytes it used (all of
    // them unless the head ended or failed inside the range).
    size_t parse(const char* p, size_t n);
    // Tells the parser the peer closed the stream.
    void parse_eof() noexcept;
    // The input_stream consumer: stops at the end of the head (or an error).
    future<consumption_result<char>> operator()(temporary_buffer<char> buf);

    bool eof() const noexcept { return _state == state::eof; }
    bool failed() const noexcept { return _state == state::error; }
    bool done() const noexcept { return _state == state::done; }
    // Whether any byte of this request has arrived.
    bool started() const noexcept { return _started; }
    // Bytes left in the buffer after the head ended (pipelined data or the body).
    size_t remainder() const noexcept { return _remainder; }
    // The status a failed request should be answered with, and why.
    status_type error_status() const noexcept { return _error_status; }
    const std::string& error_message() const noexcept { return _error_message; }
    // Whether the parsed request's body is chunked.
    bool chunked() const noexcept { return _chunked; }
    std::unique_ptr<http::request> get_parsed_request() { return std::move(_req); }

private:
    void fail(status_type status, const char* why);
    bool add_header();
    void finish();

    http_parser_limits _limits;
    state _state = state::start;
    bool _started = false;
    bool _chunked = false;
    size_t _line_bytes = 0;
    size_t _header_bytes = 0;
    size_t _blank_lines = 0;
    size_t _remainder = 0;
    std::string _method;
    std::string _target;
    std::string _version;
    std::string _name;
    std::string _value;
    status_type _error_status = status_type::bad_request;
    std::string _error_message;
    std::unique_ptr<http::request> _req;
};

} // namespace seastar
