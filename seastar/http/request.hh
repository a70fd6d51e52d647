// An HTTP request (Seastar's <seastar/http/request.hh>): what the server's
// parser produced for a handler, or what a client fills in and sends.
//
// Contract: a value owned by one shard. On the server, `content_stream`
// points into the connection and is valid only while the handler's future
// is pending; `content` holds the whole body unless the server streams
// bodies (http_server::set_content_streaming). Header names compare
// case-insensitively.
//
//     // in a handler:
//     auto id = req->get_query_param("id");             // from "?id=7": "7"
//     auto ua = req->get_header("User-Agent");
//     // a client request:
//     auto r = seastar::http::request::make("POST", "example.org", "/upload");
//     r.write_body("txt", seastar::sstring("hello"));
#pragma once

#include <cstddef>
#include <unordered_map>

#include "seastar/core/iostream.hh"
#include "seastar/core/sstring.hh"
#include "seastar/http/common.hh"
#include "seastar/net/socket_defs.hh"
#include "seastar/util/noncopyable_function.hh"

namespace seastar::http {

struct request {
    enum class ctclass : char { other, multipart, app_x_www_urlencoded };

    socket_address _client_address;
    socket_address _server_address;
    sstring _method;
    sstring _url;
    sstring _version;
    ctclass content_type_class = ctclass::other;
    // The body's length from Content-Length (0 when chunked or absent).
    size_t content_length = 0;
    header_map _headers;
    std::unordered_map<sstring, sstring> query_parameters;
    httpd::parameters param;
    // The whole body, unless the server streams bodies.
    sstring content;
    // The body as a stream (server side, valid during the handler).
    input_stream<char>* content_stream = nullptr;
    header_map trailing_headers;
    sstring protocol_name = "http";
    // Client side: writes the body (chunked unless content_length is set).
    noncopyable_function<future<>(output_stream<char>&&)> body_writer;

    // The header's value, empty when absent.
    sstring get_header(std::string_view name) const;
    // The query parameter's (decoded) value, empty when absent.
    sstring get_query_param(const sstring& key) const;
    sstring get_protocol_name() const { return protocol_name; }
    // "http://host/path?query" as the client asked for it.
    sstring get_url() const;
    // The path without the query string.
    sstring get_path() const;
    sstring get_query_string() const;
    bool is_multi_part() const noexcept { return content_type_class == ctclass::multipart; }
    bool is_form_post() const noexcept { return content_type_class == ctclass::app_x_www_urlencoded; }
    // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
    bool should_keep_alive() const;
    // Whether the client sent "Expect: 100-continue".
    bool expects_continue() const;
    // Splits _url's query string into query_parameters; returns the path.
    sstring parse_query_param();
    void set_expects_continue() { _headers["Expect"] = "100-continue"; }

    // Client side: a body of known size.
    void write_body(const sstring& content_type, sstring body);
    // Client side: a streamed body of unknown size (sent chunked).
    void write_body(const sstring& content_type, noncopyable_function<future<>(output_stream<char>&&)>&& writer);
    // Client side: a streamed body of known size.
    void write_body(const sstring& content_type, size_t len,
                    noncopyable_function<future<>(output_stream<char>&&)>&& writer);

    // A client request for `path` on `host` (sets Host).
    static request make(sstring method, sstring host, sstring path);
    static request make(httpd::operation_type type, sstring host, sstring path);
};

} // namespace seastar::http

namespace seastar::httpd {
// Seastar's older spelling.
using request = http::request;
} // namespace seastar::httpd
