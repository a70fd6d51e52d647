#include "seastar/http/httpd.hh"

#include <ctime>
#include <exception>
#include <string>

#include "seastar/core/coroutine.hh"
#include "seastar/core/lowres_clock.hh"
#include "seastar/core/smp.hh"
#include "seastar/core/timer.hh"
#include "seastar/http/internal/chunked.hh"
#include "seastar/http/url.hh"

namespace seastar::httpd {

using status = http::reply::status_type;

namespace {

bool no_body_status(status s) noexcept {
    int code = int(s);
    return (code >= 100 && code < 200) || code == 204 || code == 304;
}

} // namespace

// One client connection, served on the shard that accepted it.
class connection {
    http_server& _server;
    connected_socket _fd;
    input_stream<char> _read_buf;
    output_stream<char> _write_buf;
    http_request_parser _parser;
    // The idle or header timeout. The timer is moved only when the deadline
    // comes earlier than it is set for; firing before the deadline re-arms
    // it for the rest. So a request costs no timer insert and remove.
    timer<lowres_clock> _timer;
    lowres_clock::time_point _deadline = lowres_clock::time_point::max();
    lowres_clock::time_point _timer_at = lowres_clock::time_point::max();
    std::list<connection*>::iterator _pos;
    socket_address _client;
    bool _tls;
    bool _idle = true;
    bool _timed_out = false;
    bool _pending_flush = false;

public:
    connection(http_server& server, connected_socket fd, socket_address client, bool tls)
        : _server(server), _fd(std::move(fd)), _read_buf(_fd.input()), _write_buf(_fd.output()),
          _parser(server._parser_limits), _client(client), _tls(tls) {
        _timer.set_callback([this] {
            if (_deadline == lowres_clock::time_point::max()) {
                return;
            }
            if (lowres_clock::now() < _deadline) {
                arm_timer(_deadline);
                return;
            }
            _timed_out = true;
            _fd.shutdown_input();
        });
        _pos = _server._connections.insert(_server._connections.end(), this);
        ++_server._total_connections;
        ++_server._current_connections;
    }
    ~connection() {
        _server._connections.erase(_pos);
        --_server._current_connections;
    }

    void arm_timer(lowres_clock::time_point at) {
        _timer_at = at;
        _timer.rearm(at);
    }

    void set_deadline(std::chrono::milliseconds timeout) {
        _deadline = lowres_clock::now() + timeout;
        if (!_timer.armed() || _deadline < _timer_at) {
            arm_timer(_deadline);
        }
    }

    void clear_deadline() noexcept { _deadline = lowres_clock::time_point::max(); }

    // Closes the connection if it waits between requests (server stopping).
    void shutdown_if_idle() {
        if (_idle) {
            _fd.shutdown_input();
        }
    }

    future<> process() {
        try {
            co_await serve();
        } catch (...) {
            // A peer that resets or vanishes ends only its own connection.
            ++_server._read_errors;
        }
        _timer.cancel();
        try {
            co_await _write_buf.close();
        } catch (...) {
        }
        try {
            co_await _read_buf.close();
        } catch (...) {
        }
    }

private:
    future<> serve() {
        for (;;) {
            if (_server._stopping) {
                co_return;
            }
            _parser.init();
            _idle = true;
            _timed_out = false;
            set_deadline(_server._idle_timeout);
            std::exception_ptr read_error;
            try {
                co_await _read_buf.consume([this](temporary_buffer<char> buf) { return feed(std::move(buf)); });
            } catch (...) {
                read_error = std::current_exception();
            }
            clear_deadline();
            if (read_error || _parser.eof() || (_timed_out && !_parser.done())) {
                if (_timed_out && _parser.started()) {
                    co_await write_error(status::request_timeout, "request head not received in time");
                }
                co_return;
            }
            _idle = false;
            if (_parser.failed()) {
                ++_server._read_errors;
                co_await write_error(_parser.error_status(), _parser.error_message());
                co_return;
            }
            bool keep = co_await serve_request(_parser.get_parsed_request());
            if (!keep) {
                co_return;
            }
        }
    }

    // The consumer around the parser: switches the idle timer to the header
    // timer at a request's first byte, and flushes replies before waiting
    // for more input (a pipelining client may wait for them).
    future<consumption_result<char>> feed(temporary_buffer<char> buf) {
        if (!_parser.started() && !buf.empty()) {
            _idle = false;
            set_deadline(_server._header_timeout);
        }
        auto r = _parser(std::move(buf));
        if (_pending_flush && !_parser.done() && !_parser.failed() && !_parser.eof()) {
            _pending_flush = false;
            return r.then([this](consumption_result<char> res) {
                return _write_buf.flush().then([res = std::move(res)]() mutable { return std::move(res); });
            });
        }
        return r;
    }

    future<> write_error(status s, std::string_view message) {
        http::reply rep;
        rep.set_status(s);
        rep.write_body("json", json_exception_body(std::string(message), s));
        try {
            co_await write_reply(rep, false, false, "1.1");
            co_await _write_buf.flush();
        } catch (...) {
        }
    }

    // Serves one request; returns whether the connection stays open.
    future<bool> serve_request(std::unique_ptr<http::request> req) {
        req->_client_address = _client;
        req->_server_address = _fd.local_address();
        req->protocol_name = _tls ? "https" : "http";
        bool head = req->_method == "HEAD";
        if (str2type(req->_method) == NUM_OPERATION) {
            co_await write_error(status::not_implemented, "method not implemented");
            co_return false;
        }
        bool keep = req->should_keep_alive() && !_server._stopping;
        auto version = req->_version;
        bool chunked = _parser.chunked();
        bool has_body = chunked || req->content_length;
        if (!chunked && req->content_length > _server._content_length_limit) {
            co_await write_error(status::payload_too_large, "request body too large");
            co_return false;
        }
        if (has_body && req->expects_continue()) {
            co_await _write_buf.write("HTTP/1.1 100 Continue\r\n\r\n");
            co_await _write_buf.flush();
        }
        input_stream<char> body(chunked ? http::internal::make_chunked_source(_read_buf, _server._content_length_limit)
                                        : http::internal::make_content_length_source(_read_buf, req->content_length));
        bool body_ok = true;
        if (!_server._content_streaming && has_body) {
            std::exception_ptr body_error;
            try {
                std::string content;
                for (;;) {
                    auto b = co_await body.read();
                    if (b.empty()) {
                        break;
                    }
                    content.append(b.get(), b.size());
                }
                req->content = sstring(content);
            } catch (...) {
                body_error = std::current_exception();
            }
            if (body_error) {
                auto rep = _server._routes.exception_reply(body_error);
                ++_server._read_errors;
                try {
                    co_await write_reply(*rep, false, false, "1.1");
                    co_await _write_buf.flush();
                } catch (...) {
                }
                co_return false;
            }
        }
        req->content_stream = &body;
        auto path = req->parse_query_param();
        // The path is matched decoded (a route "/a b" serves "/a%20b").
        sstring decoded;
        if (!http::internal::path_decode(path, decoded)) {
            co_await write_error(status::bad_request, "malformed escape in the path");
            co_return false;
        }
        auto rep = co_await _server._routes.handle(decoded, std::move(req), std::make_unique<http::reply>());
        ++_server._requests_served;
        if (_server._content_streaming && has_body) {
            // What the handler left of the body is read and dropped, so the
            // next request starts where it should.
            try {
                for (;;) {
                    auto b = co_await body.read();
                    if (b.empty()) {
                        break;
                    }
                }
            } catch (...) {
                body_ok = false;
            }
        }
        keep = keep && body_ok && !_server._stopping;
        keep = co_await write_reply(*rep, keep, head, version);
        if (!keep || !_parser.remainder() || has_body) {
            co_await _write_buf.flush();
        } else {
            _pending_flush = true; // more pipelined requests are already here
        }
        co_return keep;
    }

    // Writes the status line, headers and body; returns whether the
    // connection can stay open after it.
    future<bool> write_reply(http::reply& rep, bool keep, bool head, const sstring& version) {
        bool streamed = bool(rep._body_writer);
        bool chunked = streamed && version != "1.0";
        if (streamed && !chunked) {
            keep = false; // an HTTP/1.0 client learns the end from the close
        }
        std::string h;
        h.reserve(256);
        h += "HTTP/1.1 ";
        h += std::to_string(int(rep._status));
        h += ' ';
        h += http::reason_phrase(rep._status);
        h += "\r\n";
        for (auto& [name, value] : rep._headers) {
            if (case_insensitive_cmp()(name, "Content-Length") || case_insensitive_cmp()(name, "Transfer-Encoding") ||
                case_insensitive_cmp()(name, "Connection") || case_insensitive_cmp()(name, "Date")) {
                continue; // framing is the server's
            }
            h += std::string_view(name);
            h += ": ";
            h += std::string_view(value);
            h += "\r\n";
        }
        if (!rep._headers.contains("Server")) {
            h += "Server: ";
            h += std::string_view(_server._server_header);
            h += "\r\n";
        }
        h += "Date: ";
        h += std::string_view(http_server::http_date());
        h += "\r\n";
        bool body_allowed = !no_body_status(rep._status);
        if (body_allowed) {
            if (chunked) {
                h += "Transfer-Encoding: chunked\r\n";
            } else if (!streamed) {
                h += "Content-Length: ";
                h += std::to_string(rep._content.size());
                h += "\r\n";
            }
        }
        if (!keep) {
            h += "Connection: close\r\n";
        } else if (version == "1.0") {
            h += "Connection: keep-alive\r\n";
        }
        h += "\r\n";
        if (!streamed && !head && body_allowed) {
            h += std::string_view(rep._content);
        }
        co_await _write_buf.write(h);
        if (streamed && !head && body_allowed) {
            auto sink =
                chunked ? http::internal::make_chunked_sink(_write_buf) : http::internal::make_plain_sink(_write_buf);
            try {
                co_await rep._body_writer(output_stream<char>(std::move(sink), 8192));
            } catch (...) {
                // The status is already sent: the only way left to report
                // the failure is to end the connection without the last chunk.
                ++_server._respond_errors;
                throw;
            }
        }
        co_return keep;
    }
};

http_server::http_server(const sstring& name) : _name(name) {}

http_server::~http_server() = default;

future<> http_server::listen(socket_address addr) {
    return listen(addr, listen_options{}, _credentials);
}

future<> http_server::listen(socket_address addr, listen_options lo) {
    return listen(addr, lo, _credentials);
}

future<> http_server::listen(socket_address addr, std::shared_ptr<tls::server_credentials> credentials) {
    return listen(addr, listen_options{}, credentials);
}

future<> http_server::listen(socket_address addr, listen_options lo,
                             std::shared_ptr<tls::server_credentials> credentials) {
    lo.reuse_address = true;
    if (lo.listen_backlog < 1024) {
        lo.listen_backlog = 1024;
    }
    // TLS is set up per connection (tls::wrap_server in the connection's
    // task): a slow handshake does not hold up accept(), and stop() aborts
    // the plain listening socket.
    server_socket ss = seastar::listen(addr, lo);
    _port = ss.local_address().port();
    _listeners.push_back(std::move(ss));
    _accept_loops.push_back(do_accepts(_listeners.size() - 1, credentials));
    return make_ready_future<>();
}

future<> http_server::do_accepts(size_t which, std::shared_ptr<tls::server_credentials> creds) {
    for (;;) {
        accept_result ar;
        try {
            ar = co_await _listeners[which].accept();
        } catch (...) {
            co_return; // the listener was aborted (stop) or failed
        }
        if (_stopping) {
            co_return;
        }
        ar.connection.set_nodelay(true);
        (void)with_gate(_task_gate,
                        [&] { return serve_connection(std::move(ar.connection), ar.remote_address, creds); });
    }
}

future<> http_server::serve_connection(connected_socket s, socket_address remote,
                                       std::shared_ptr<tls::server_credentials> creds) {
    if (creds) {
        try {
            s = co_await tls::wrap_server(creds, std::move(s));
        } catch (...) {
            ++_read_errors;
            co_return;
        }
    }
    connection conn(*this, std::move(s), remote, bool(creds));
    co_await conn.process();
}

future<> http_server::stop() {
    _stopping = true;
    for (auto& l : _listeners) {
        l.abort_accept();
    }
    for (auto& f : _accept_loops) {
        co_await std::move(f);
    }
    _accept_loops.clear();
    for (auto* c : _connections) {
        c->shutdown_if_idle();
    }
    co_await _task_gate.close();
}

sstring http_server::http_date() {
    static thread_local std::time_t last = 0;
    static thread_local sstring cached;
    std::time_t now = std::time(nullptr);
    if (now != last || cached.empty()) {
        std::tm tm;
        gmtime_r(&now, &tm);
        char buf[64];
        auto n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached = sstring(buf, n);
        last = now;
    }
    return cached;
}

http_server_control::http_server_control() : _server_dist(std::make_unique<sharded<http_server>>()) {}

http_server_control::~http_server_control() = default;

future<> http_server_control::start(const sstring& name) {
    return _server_dist->start(name);
}

future<> http_server_control::stop() {
    return _server_dist->stop();
}

future<> http_server_control::set_routes(std::function<void(routes& r)> fun) {
    return _server_dist->invoke_on_all([fun](http_server& server) { fun(server._routes); });
}

future<> http_server_control::listen(socket_address addr) {
    return listen(addr, listen_options{});
}

future<> http_server_control::listen(socket_address addr, listen_options lo) {
    // Shard 0 binds first so that port 0 becomes one real port for all.
    co_await _server_dist->invoke_on(0, [addr, lo](http_server& s) { return s.listen(addr, lo); });
    _port = co_await _server_dist->invoke_on(0, [](http_server& s) { return s.port(); });
    auto bound = addr;
    bound.set_port(_port);
    co_await _server_dist->invoke_on_all(
        [bound, lo](http_server& s) { return this_shard_id() == 0 ? make_ready_future<>() : s.listen(bound, lo); });
}

future<> http_server_control::listen(socket_address addr, std::shared_ptr<tls::credentials_builder> builder) {
    auto listen_on = [builder](socket_address a) {
        return [builder, a](http_server& s) { return s.listen(a, builder->build_server_credentials()); };
    };
    co_await _server_dist->invoke_on(0, listen_on(addr));
    _port = co_await _server_dist->invoke_on(0, [](http_server& s) { return s.port(); });
    auto bound = addr;
    bound.set_port(_port);
    co_await _server_dist->invoke_on_all([fn = listen_on(bound)](http_server& s) mutable {
        return this_shard_id() == 0 ? make_ready_future<>() : fn(s);
    });
}

sharded<http_server>& http_server_control::server() {
    return *_server_dist;
}

} // namespace seastar::httpd
