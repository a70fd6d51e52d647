// An HTTP/1.1 client (Seastar's <seastar/http/client.hh>,
// http::experimental::client): requests to one server over a pool of
// keep-alive connections.
//
// make_request() takes a connection from the pool (or opens one, up to the
// limit, then waits for one to come back), sends the request (a body of known
// length, or a body writer streamed chunked), reads the reply head and hands
// the reply and its body stream to the handler. The body is Content-Length,
// chunked, or read to the close. A connection goes back to the pool when the
// reply allowed it (HTTP/1.1 without "Connection: close") and its body was
// read to the end. With retry_requests::yes, an idempotent request (GET,
// HEAD, PUT, DELETE, OPTIONS, TRACE, without a body writer) that fails on a
// reused connection before any reply byte arrived (the server closed the idle
// connection) is sent once more on a new connection.
//
// Contract: one client per shard, used on that shard; close() before
// destruction, after every make_request() resolved. make_request() fails with
// unexpected_status_error (when `expected` is given and differs), with
// std::runtime_error on a malformed reply, with timed_out_error when the
// request timeout (set_request_timeout) passes, or with the connection's error.
//
//     seastar::http::experimental::client cl(seastar::socket_address(seastar::ipv4_addr("127.0.0.1", 10000)));
//     auto req = seastar::http::request::make("GET", "localhost", "/");
//     co_await cl.make_request(std::move(req), [](const seastar::http::reply& rep,
//                                                 seastar::input_stream<char>&& body) -> seastar::future<> {
//         auto in = std::move(body);
//         auto b = co_await in.read();   // ... until empty
//     }, seastar::http::reply::status_type::ok);
//     co_await cl.close();
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/semaphore.hh"
#include "seastar/core/sstring.hh"
#include "seastar/http/reply.hh"
#include "seastar/http/request.hh"
#include "seastar/net/api.hh"
#include "seastar/net/tls.hh"
#include "seastar/util/bool_class.hh"
#include "seastar/util/noncopyable_function.hh"

namespace seastar::http {

class unexpected_status_error : public std::runtime_error {
public:
    explicit unexpected_status_error(reply::status_type s)
        : std::runtime_error("unexpected HTTP status " + std::to_string(int(s))), _status(s) {}
    reply::status_type status() const noexcept { return _status; }

private:
    reply::status_type _status;
};

namespace experimental {

// Makes the client's connections (a plain TCP or a TLS connect).
class connection_factory {
public:
    virtual ~connection_factory() = default;
    virtual future<connected_socket> make() = 0;
};

class connection;

class client {
public:
    using reply_handler = noncopyable_function<future<>(const reply&, input_stream<char>&& body)>;
    using retry_requests = bool_class<struct retry_requests_tag>;
    static constexpr unsigned default_max_connections = 100;

    explicit client(socket_address addr);
    // HTTPS: `host` is the name checked against the server's certificate.
    client(socket_address addr, std::shared_ptr<tls::certificate_credentials> creds, sstring host = {});
    client(std::unique_ptr<connection_factory> f, unsigned max_connections = default_max_connections,
           retry_requests retry = retry_requests::no);
    ~client();

    future<> make_request(request&& req, reply_handler&& handle, std::optional<reply::status_type> expected = {});
    // Reads the whole body into a string: a convenience over make_request().
    future<std::pair<reply, sstring>> get(request&& req);

    // At most `nr` connections at once (idle ones beyond it are closed).
    future<> set_maximum_connections(unsigned nr);
    // A request (connect to last body byte) that takes longer fails with
    // timed_out_error and its connection is closed. Zero: no timeout.
    void set_request_timeout(std::chrono::milliseconds t) noexcept { _timeout = t; }
    void set_retry(retry_requests r) noexcept { _retry = r; }
    // Closes the idle connections; requests must have finished.
    future<> close();

    unsigned connections_nr() const noexcept { return _nr_connections; }
    unsigned idle_connections_nr() const noexcept { return unsigned(_pool.size()); }
    unsigned long total_new_connections_nr() const noexcept { return _total_new_connections; }

private:
    friend class connection;
    future<> do_make_request_retrying(request req, reply_handler handle, std::optional<reply::status_type> expected);
    future<std::pair<reply, sstring>> do_get(request req);
    future<> do_make_request(request& req, reply_handler& handle, std::optional<reply::status_type>& expected,
                             bool& retry_allowed);
    future<std::unique_ptr<connection>> get_connection(bool& reused);
    future<> put_connection(std::unique_ptr<connection> c);

    std::unique_ptr<connection_factory> _factory;
    unsigned _max_connections;
    retry_requests _retry;
    semaphore _slots;
    std::vector<std::unique_ptr<connection>> _pool;
    unsigned _nr_connections = 0;
    unsigned long _total_new_connections = 0;
    std::chrono::milliseconds _timeout{0};
};

} // namespace experimental
} // namespace seastar::http
