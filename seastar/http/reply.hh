// An HTTP reply (Seastar's <seastar/http/reply.hh>): the status, headers and
// body a handler fills in, or what a client received.
//
// Contract: a value owned by one shard. A body is either `_content` (sent
// with Content-Length) or a writer set by write_body(type, writer) that
// streams it (sent chunked to HTTP/1.1 clients, close-delimited to HTTP/1.0
// ones). The server adds Date, Server and the framing headers itself.
//
//     rep->set_status(seastar::http::reply::status_type::created);
//     rep->write_body("json", seastar::sstring("{\"ok\":true}"));
//     rep->write_body("txt", [](seastar::output_stream<char>&& out) -> seastar::future<> {
//         auto o = std::move(out);
//         co_await o.write("streamed");
//         co_await o.close();
//     });
#pragma once

#include <string_view>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/sstring.hh"
#include "seastar/http/common.hh"
#include "seastar/util/noncopyable_function.hh"

namespace seastar::http {

struct reply {
    enum class status_type {
        continue_ = 100,
        switching_protocols = 101,
        ok = 200,
        created = 201,
        accepted = 202,
        nonauthoritative_information = 203,
        no_content = 204,
        reset_content = 205,
        partial_content = 206,
        multiple_choices = 300,
        moved_permanently = 301,
        moved_temporarily = 302,
        see_other = 303,
        not_modified = 304,
        use_proxy = 305,
        temporary_redirect = 307,
        permanent_redirect = 308,
        bad_request = 400,
        unauthorized = 401,
        payment_required = 402,
        forbidden = 403,
        not_found = 404,
        method_not_allowed = 405,
        not_acceptable = 406,
        request_timeout = 408,
        conflict = 409,
        gone = 410,
        length_required = 411,
        payload_too_large = 413,
        uri_too_long = 414,
        unsupported_media_type = 415,
        expectation_failed = 417,
        page_expired = 419,
        unprocessable_entity = 422,
        upgrade_required = 426,
        too_many_requests = 429,
        request_header_fields_too_large = 431,
        internal_server_error = 500,
        not_implemented = 501,
        bad_gateway = 502,
        service_unavailable = 503,
        gateway_timeout = 504,
        http_version_not_supported = 505,
        insufficient_storage = 507,
    };

    status_type _status = status_type::ok;
    header_map _headers;
    sstring _version = "1.1";
    sstring _content;
    // Set by write_body(type, writer): the body as a stream.
    noncopyable_function<future<>(output_stream<char>&&)> _body_writer;
    // Client side: the body's length from Content-Length (0 when chunked).
    size_t content_length = 0;

    reply& set_version(const sstring& version) {
        _version = version;
        return *this;
    }
    reply& set_status(status_type status, sstring content = {}) {
        _status = status;
        if (!content.empty()) {
            _content = std::move(content);
        }
        return *this;
    }
    reply& add_header(const sstring& h, const sstring& value) {
        _headers[h] = value;
        return *this;
    }
    sstring get_header(std::string_view name) const;
    // Sets Content-Type from an extension ("html") or a full type ("text/html").
    reply& set_content_type(std::string_view type = "html");
    reply& set_mime_type(const sstring& mime) { return add_header("Content-Type", mime); }
    // A body of known size.
    void write_body(const sstring& content_type, sstring content);
    // A streamed body; the writer must close the stream it is given.
    void write_body(const sstring& content_type, noncopyable_function<future<>(output_stream<char>&&)>&& body_writer);
    // Kept for Seastar compatibility: nothing left to do once the fields are set.
    reply& done(const sstring& = {}) { return *this; }

    // "HTTP/1.1 200 OK\r\n"
    sstring response_line() const;
};

// The reason phrase of a status ("Not Found"); "Unknown" for others.
std::string_view reason_phrase(reply::status_type status) noexcept;

} // namespace seastar::http

namespace seastar::httpd {
using reply = http::reply;
} // namespace seastar::httpd
