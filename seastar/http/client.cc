#include "seastar/http/client.hh"

#include <string>
#include <string_view>

#include "seastar/core/coroutine.hh"
#include "seastar/core/lowres_clock.hh"
#include "seastar/core/timed_out_error.hh"
#include "seastar/core/timer.hh"
#include "seastar/http/internal/chunked.hh"

namespace seastar::http::experimental {

namespace {

// The largest reply head the client accepts.
constexpr size_t max_reply_head = 64 * 1024;

std::string_view trim(std::string_view v) noexcept {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
        v.remove_suffix(1);
    }
    return v;
}

// Thrown inside the client to send a request once more.
struct retry_signal {};

// Notes when the wrapped source reached its end.
class tracking_source : public data_source_impl {
    data_source _src;
    std::shared_ptr<bool> _done;

public:
    tracking_source(data_source src, std::shared_ptr<bool> done) : _src(std::move(src)), _done(std::move(done)) {}
    future<temporary_buffer<char>> get() override {
        return _src.get().then([done = _done](temporary_buffer<char> b) {
            if (b.empty()) {
                *done = true;
            }
            return b;
        });
    }
};

bool idempotent(std::string_view method) noexcept {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS" ||
           method == "TRACE";
}

class basic_connection_factory : public connection_factory {
    socket_address _addr;

public:
    explicit basic_connection_factory(socket_address addr) : _addr(addr) {}
    future<connected_socket> make() override { return seastar::connect(_addr); }
};

class tls_connection_factory : public connection_factory {
    socket_address _addr;
    std::shared_ptr<tls::certificate_credentials> _creds;
    sstring _host;

public:
    tls_connection_factory(socket_address addr, std::shared_ptr<tls::certificate_credentials> creds, sstring host)
        : _addr(addr), _creds(std::move(creds)), _host(std::move(host)) {}
    future<connected_socket> make() override {
        tls::tls_options opts;
        opts.server_name = std::string(_host);
        return tls::connect(_creds, _addr, opts);
    }
};

// Parses a reply head ("HTTP/1.1 200 OK\r\n" + fields); false when malformed.
bool parse_reply_head(std::string_view head, reply& rep) {
    auto eol = head.find('\n');
    auto line = trim(head.substr(0, eol));
    if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') {
        return false;
    }
    rep._version = sstring(line.substr(5, 3));
    int code = 0;
    for (size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') {
            return false;
        }
        code = code * 10 + (line[i] - '0');
    }
    if (line.size() > 12 && line[12] != ' ') {
        return false;
    }
    rep._status = reply::status_type(code);
    head.remove_prefix(eol + 1);
    while (!head.empty()) {
        eol = head.find('\n');
        auto field = head.substr(0, eol);
        head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 1);
        field = trim(field);
        if (field.empty()) {
            break;
        }
        auto colon = field.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return false;
        }
        auto name = sstring(field.substr(0, colon));
        auto value = sstring(trim(field.substr(colon + 1)));
        auto it = rep._headers.find(name);
        if (it == rep._headers.end()) {
            rep._headers.emplace(name, value);
        } else {
            it->second += ", " + value;
        }
    }
    return true;
}

} // namespace

class connection {
public:
    connected_socket fd;
    input_stream<char> in;
    output_stream<char> out;
    bool persistent = true;

    explicit connection(connected_socket s) : fd(std::move(s)), in(fd.input()), out(fd.output()) {}

    future<> close() {
        try {
            co_await out.close();
        } catch (...) {
        }
        try {
            co_await in.close();
        } catch (...) {
        }
    }

    // Reads a reply head; `any_byte` tells whether anything arrived.
    future<reply> read_head(bool& any_byte) {
        std::string head;
        bool done = false;
        co_await in.consume([&](temporary_buffer<char> buf) {
            if (buf.empty()) {
                return make_ready_future<consumption_result<char>>(stop_consuming<char>({}));
            }
            any_byte = true;
            size_t before = head.size();
            head.append(buf.get(), buf.size());
            // Look for the blank line from a little before the new bytes.
            size_t from = before >= 3 ? before - 3 : 0;
            size_t end = std::string::npos;
            for (size_t i = from; i < head.size(); ++i) {
                if (head[i] == '\n' &&
                    ((i >= 1 && head[i - 1] == '\n') || (i >= 3 && head.compare(i - 3, 4, "\r\n\r\n") == 0))) {
                    end = i + 1;
                    break;
                }
            }
            if (end == std::string::npos) {
                if (head.size() > max_reply_head) {
                    return make_exception_future<consumption_result<char>>(
                        std::runtime_error("HTTP reply head too large"));
                }
                return make_ready_future<consumption_result<char>>(continue_consuming{});
            }
            done = true;
            buf.trim_front(end - before);
            head.resize(end);
            return make_ready_future<consumption_result<char>>(stop_consuming<char>(std::move(buf)));
        });
        if (!done) {
            throw std::runtime_error(any_byte ? "connection closed inside the reply head"
                                              : "connection closed before the reply");
        }
        reply rep;
        if (!parse_reply_head(head, rep)) {
            throw std::runtime_error("malformed HTTP reply");
        }
        co_return rep;
    }

    future<> write_head(const request& req, bool chunked) {
        std::string h;
        h += std::string_view(req._method);
        h += ' ';
        h += std::string_view(req._url.empty() ? sstring("/") : req._url);
        h += " HTTP/1.1\r\n";
        for (auto& [name, value] : req._headers) {
            if (case_insensitive_cmp()(name, "Content-Length") || case_insensitive_cmp()(name, "Transfer-Encoding")) {
                continue;
            }
            h += std::string_view(name);
            h += ": ";
            h += std::string_view(value);
            h += "\r\n";
        }
        if (chunked) {
            h += "Transfer-Encoding: chunked\r\n";
        } else if (req.body_writer || !req.content.empty() || req._method == "POST" || req._method == "PUT") {
            h += "Content-Length: ";
            h += std::to_string(req.body_writer ? req.content_length : req.content.size());
            h += "\r\n";
        }
        h += "\r\n";
        co_await out.write(h);
    }

    future<> write_body(request& req, bool chunked) {
        if (req.body_writer) {
            auto sink = chunked ? internal::make_chunked_sink(out) : internal::make_plain_sink(out);
            co_await req.body_writer(output_stream<char>(std::move(sink), 8192));
        } else if (!req.content.empty()) {
            co_await out.write(std::string_view(req.content));
        }
        co_await out.flush();
    }
};

client::client(socket_address addr) : client(std::make_unique<basic_connection_factory>(addr)) {}

client::client(socket_address addr, std::shared_ptr<tls::certificate_credentials> creds, sstring host)
    : client(std::make_unique<tls_connection_factory>(addr, std::move(creds), std::move(host))) {}

client::client(std::unique_ptr<connection_factory> f, unsigned max_connections, retry_requests retry)
    : _factory(std::move(f)), _max_connections(max_connections), _retry(retry), _slots(max_connections) {}

client::~client() = default;

future<std::unique_ptr<connection>> client::get_connection(bool& reused) {
    if (!_pool.empty()) {
        auto c = std::move(_pool.back());
        _pool.pop_back();
        reused = true;
        co_return c;
    }
    reused = false;
    auto s = co_await _factory->make();
    ++_nr_connections;
    ++_total_new_connections;
    s.set_nodelay(true);
    co_return std::make_unique<connection>(std::move(s));
}

future<> client::put_connection(std::unique_ptr<connection> c) {
    if (c->persistent && _nr_connections <= _max_connections) {
        _pool.push_back(std::move(c));
        co_return;
    }
    --_nr_connections;
    co_await c->close();
}

future<> client::do_make_request(request& req, reply_handler& handle, std::optional<reply::status_type>& expected,
                                 bool& retry_allowed) {
    auto units = co_await get_units(_slots, 1);
    bool reused = false;
    auto con = co_await get_connection(reused);
    bool timed_out = false;
    timer<lowres_clock> deadline([&] {
        timed_out = true;
        con->fd.shutdown_input();
        con->fd.shutdown_output();
    });
    if (_timeout.count()) {
        deadline.arm(_timeout);
    }
    bool any_byte = false;
    std::exception_ptr error;
    try {
        bool chunked = req.body_writer && !req._headers.contains("Content-Length");
        bool has_body = req.body_writer || !req.content.empty();
        bool expect_continue = has_body && req.expects_continue();
        co_await con->write_head(req, chunked);
        std::optional<reply> rep;
        if (expect_continue) {
            co_await con->out.flush();
            rep = co_await con->read_head(any_byte);
            if (rep->_status == reply::status_type::continue_) {
                rep.reset();
            } else {
                con->persistent = false; // the body was not sent: the framing is lost
            }
        }
        if (!rep) {
            co_await con->write_body(req, chunked);
            for (int i = 0; i < 8; ++i) { // skip interim (1xx) replies
                rep = co_await con->read_head(any_byte);
                if (int(rep->_status) >= 200) {
                    break;
                }
            }
        }
        if (expected && rep->_status != *expected) {
            con->persistent = false;
            throw unexpected_status_error(rep->_status);
        }
        auto conn_header = rep->get_header("Connection");
        if (rep->_version == "1.0" || case_insensitive_cmp()(std::string_view(conn_header), "close")) {
            con->persistent = false;
        }
        int code = int(rep->_status);
        bool no_body = req._method == "HEAD" || code == 204 || code == 304 || code < 200;
        auto te = rep->get_header("Transfer-Encoding");
        auto cl = rep->get_header("Content-Length");
        data_source src;
        if (no_body) {
            src = internal::make_content_length_source(con->in, 0);
        } else if (!te.empty()) {
            rep->content_length = 0;
            src = internal::make_chunked_source(con->in, uint64_t(1) << 62);
        } else if (!cl.empty()) {
            size_t len = 0;
            for (char ch : std::string_view(cl)) {
                if (ch < '0' || ch > '9' || len > (size_t(1) << 56)) {
                    throw std::runtime_error("malformed Content-Length in the reply");
                }
                len = len * 10 + size_t(ch - '0');
            }
            rep->content_length = len;
            src = internal::make_content_length_source(con->in, len);
        } else {
            // Delimited by the close: read what comes until EOF.
            con->persistent = false;
            struct to_eof : data_source_impl {
                input_stream<char>& in;
                explicit to_eof(input_stream<char>& i) : in(i) {}
                future<temporary_buffer<char>> get() override { return in.read(); }
            };
            src = data_source(std::make_unique<to_eof>(con->in));
        }
        auto body_done = std::make_shared<bool>(false);
        input_stream<char> body(data_source(std::make_unique<tracking_source>(std::move(src), body_done)));
        co_await handle(*rep, std::move(body));
        // A body the handler did not read to its end leaves the connection
        // at an unknown place in the stream: it is not reused.
        if (!*body_done) {
            con->persistent = false;
        }
    } catch (...) {
        error = std::current_exception();
    }
    deadline.cancel();
    if (error) {
        con->persistent = false;
        co_await put_connection(std::move(con));
        if (timed_out) {
            throw timed_out_error();
        }
        if (reused && !any_byte && retry_allowed && _retry && idempotent(req._method) && !req.body_writer) {
            retry_allowed = false;
            throw retry_signal{};
        }
        std::rethrow_exception(error);
    }
    co_await put_connection(std::move(con));
}

future<> client::make_request(request&& req, reply_handler&& handle, std::optional<reply::status_type> expected) {
    // The coroutine takes them by value: a caller's temporaries may go away
    // before the request ends.
    return do_make_request_retrying(std::move(req), std::move(handle), expected);
}

future<> client::do_make_request_retrying(request req, reply_handler handle,
                                          std::optional<reply::status_type> expected) {
    bool retry_allowed = true;
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::exception_ptr ex;
        try {
            co_await do_make_request(req, handle, expected, retry_allowed);
            co_return;
        } catch (const retry_signal&) {
            continue; // once more, on a new connection (the pool had a dead one)
        } catch (...) {
            ex = std::current_exception();
        }
        std::rethrow_exception(ex);
    }
}

future<std::pair<reply, sstring>> client::get(request&& req) {
    return do_get(std::move(req));
}

future<std::pair<reply, sstring>> client::do_get(request req) {
    reply out;
    std::string body;
    co_await make_request(std::move(req), [&](const reply& rep, input_stream<char>&& in) -> future<> {
        out = reply();
        out._status = rep._status;
        out._headers = rep._headers;
        out._version = rep._version;
        out.content_length = rep.content_length;
        auto s = std::move(in);
        body.clear();
        for (;;) {
            auto b = co_await s.read();
            if (b.empty()) {
                break;
            }
            body.append(b.get(), b.size());
        }
    });
    co_return std::make_pair(std::move(out), sstring(body));
}

future<> client::set_maximum_connections(unsigned nr) {
    if (nr > _max_connections) {
        _slots.signal(nr - _max_connections);
    } else if (nr < _max_connections) {
        _slots.consume(_max_connections - nr);
    }
    _max_connections = nr;
    while (_pool.size() > _max_connections) {
        auto c = std::move(_pool.back());
        _pool.pop_back();
        --_nr_connections;
        co_await c->close();
    }
}

future<> client::close() {
    while (!_pool.empty()) {
        auto c = std::move(_pool.back());
        _pool.pop_back();
        --_nr_connections;
        co_await c->close();
    }
}

} // namespace seastar::http::experimental
