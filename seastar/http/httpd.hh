// The HTTP/1.1 server (Seastar's <seastar/http/httpd.hh>).
//
// http_server serves one shard: listen() adds a listening socket, each
// accepted connection runs a loop of parse request head -> read (or stream)
// the body -> routes.handle() -> write the reply. Keep-alive and pipelining
// are on (requests on a connection are answered in order, replies to
// pipelined requests are written together); request bodies may be
// Content-Length or chunked, replies are Content-Length or, when a handler
// streams its body, chunked (HTTP/1.1) or ended by closing (HTTP/1.0).
// "Expect: 100-continue" gets an interim 100 before the body is read; HEAD
// gets the headers GET would; every reply carries Date and Server.
// http_server_control runs one http_server per shard (sharded<http_server>).
//
// Bad input (see request_parser.hh) is answered with its 4xx/5xx status and
// "Connection: close", then the connection closes. A connection idle between
// requests for idle_timeout, or whose request head takes longer than
// header_timeout, is closed (the latter after a 408).
//
// stop() closes the listeners, closes connections that wait between
// requests, lets requests in flight finish (their replies say
// "Connection: close") and resolves when every connection is gone.
//
// Contract: an http_server is used on its own shard only; set routes and
// limits before listen(). listen() throws std::system_error when the address
// cannot be bound.
//
//     seastar::httpd::http_server_control server;
//     co_await server.start("demo");
//     co_await server.set_routes([](seastar::httpd::routes& r) {
//         r.put(seastar::httpd::GET, "/", new seastar::httpd::function_handler(
//             [](seastar::httpd::const_req) { return "hello"; }, "txt"));
//     });
//     co_await server.listen(seastar::socket_address(seastar::ipv4_addr("127.0.0.1", 10000)));
//     ...
//     co_await server.stop();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/gate.hh"
#include "seastar/core/sharded.hh"
#include "seastar/core/sstring.hh"
#include "seastar/http/request_parser.hh"
#include "seastar/http/routes.hh"
#include "seastar/net/api.hh"
#include "seastar/net/tls.hh"

namespace seastar::httpd {

class http_server;
class connection;

class http_server {
public:
    routes _routes;

    explicit http_server(const sstring& name);
    ~http_server();

    future<> listen(socket_address addr);
    future<> listen(socket_address addr, listen_options lo);
    // TLS on this address with these credentials.
    future<> listen(socket_address addr, std::shared_ptr<tls::server_credentials> credentials);
    future<> listen(socket_address addr, listen_options lo, std::shared_ptr<tls::server_credentials> credentials);
    future<> stop();

    // Credentials for the listen() calls without their own.
    void set_tls_credentials(std::shared_ptr<tls::server_credentials> credentials) { _credentials = credentials; }
    // The largest request body accepted (413 beyond it).
    void set_content_length_limit(size_t limit) noexcept { _content_length_limit = limit; }
    size_t get_content_length_limit() const noexcept { return _content_length_limit; }
    // When on, handlers read bodies from req->content_stream instead of req->content.
    void set_content_streaming(bool b) noexcept { _content_streaming = b; }
    bool get_content_streaming() const noexcept { return _content_streaming; }
    void set_parser_limits(http_parser_limits limits) noexcept { _parser_limits = limits; }
    void set_idle_timeout(std::chrono::milliseconds t) noexcept { _idle_timeout = t; }
    void set_header_timeout(std::chrono::milliseconds t) noexcept { _header_timeout = t; }
    // The value of the Server header.
    void set_server_header(sstring s) { _server_header = std::move(s); }

    // The port of the last address listened on (useful after port 0).
    uint16_t port() const noexcept { return _port; }
    const sstring& name() const noexcept { return _name; }

    uint64_t total_connections() const noexcept { return _total_connections; }
    uint64_t current_connections() const noexcept { return _current_connections; }
    uint64_t requests_served() const noexcept { return _requests_served; }
    uint64_t read_errors() const noexcept { return _read_errors; }
    uint64_t reply_errors() const noexcept { return _respond_errors; }

    // The current time as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT"),
    // recomputed at most once a second.
    static sstring http_date();

private:
    friend class connection;
    future<> do_accepts(size_t which, std::shared_ptr<tls::server_credentials> creds);
    future<> serve_connection(connected_socket s, socket_address remote,
                              std::shared_ptr<tls::server_credentials> creds);

    sstring _name;
    sstring _server_header = "Seastar httpd";
    std::vector<server_socket> _listeners;
    std::vector<future<>> _accept_loops;
    std::list<connection*> _connections;
    gate _task_gate;
    std::shared_ptr<tls::server_credentials> _credentials;
    size_t _content_length_limit = size_t(1) << 30;
    bool _content_streaming = false;
    bool _stopping = false;
    http_parser_limits _parser_limits;
    std::chrono::milliseconds _idle_timeout = std::chrono::seconds(60);
    std::chrono::milliseconds _header_timeout = std::chrono::seconds(30);
    uint16_t _port = 0;
    uint64_t _total_connections = 0;
    uint64_t _current_connections = 0;
    uint64_t _requests_served = 0;
    uint64_t _read_errors = 0;
    uint64_t _respond_errors = 0;
};

// One http_server per shard.
class http_server_control {
public:
    http_server_control();
    ~http_server_control();
    future<> start(const sstring& name = "http");
    future<> stop();
    // Runs `fun` on every shard's routes.
    future<> set_routes(std::function<void(routes& r)> fun);
    // Every shard listens on `addr`; with port 0, shard 0 picks the port and
    // the others share it (see port()).
    future<> listen(socket_address addr);
    future<> listen(socket_address addr, listen_options lo);
    // TLS: every shard builds its own credentials from `builder`.
    future<> listen(socket_address addr, std::shared_ptr<tls::credentials_builder> builder);
    sharded<http_server>& server();
    uint16_t port() const noexcept { return _port; }

private:
    std::unique_ptr<sharded<http_server>> _server_dist;
    uint16_t _port = 0;
};

} // namespace seastar::httpd
