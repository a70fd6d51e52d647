// TLS connected_socket and server_socket over any stack's sockets.
#include "seastar/core/coroutine.hh"
#include "seastar/net/internal/tls_impl.hh"
#include "seastar/net/stack.hh"
#include "seastar/net/tls.hh"

namespace seastar::tls {

namespace {

class tls_connected_socket_impl final : public net::connected_socket_impl {
    connected_socket _under; // keeps the connection; the session owns its streams
    session _session;

public:
    tls_connected_socket_impl(connected_socket under, session s) : _under(std::move(under)), _session(std::move(s)) {}

    session& get_session() noexcept { return _session; }

    data_source source() override { return _session.source(); }
    data_sink sink() override { return _session.sink(); }
    void shutdown_input() override { _under.shutdown_input(); }
    void shutdown_output() override {
        // close_notify first; the wrapped socket's output closes after it.
        (void)internal::shutdown_output(_session.impl()).handle_exception([](std::exception_ptr) {});
    }
    void set_nodelay(bool nodelay) override { _under.set_nodelay(nodelay); }
    bool get_nodelay() const override { return _under.get_nodelay(); }
    void set_keepalive(bool keepalive) override { _under.set_keepalive(keepalive); }
    bool get_keepalive() const override { return _under.get_keepalive(); }
    void set_keepalive_parameters(const net::keepalive_params& p) override { _under.set_keepalive_parameters(p); }
    net::keepalive_params get_keepalive_parameters() const override { return _under.get_keepalive_parameters(); }
    void set_sockopt(int level, int optname, const void* data, size_t len) override {
        _under.set_sockopt(level, optname, data, len);
    }
    int get_sockopt(int level, int optname, void* data, size_t len) const override {
        return _under.get_sockopt(level, optname, data, len);
    }
    socket_address local_address() const noexcept override { return _under.local_address(); }
    socket_address remote_address() const noexcept override { return _under.remote_address(); }
    future<> wait_input_shutdown() override { return _under.wait_input_shutdown(); }
};

class tls_server_socket_impl final : public net::server_socket_impl {
    std::shared_ptr<server_credentials> _creds;
    server_socket _under;

public:
    tls_server_socket_impl(std::shared_ptr<server_credentials> creds, server_socket under)
        : _creds(std::move(creds)), _under(std::move(under)) {}

    future<accept_result> accept() override {
        auto ar = co_await _under.accept();
        auto cs = co_await wrap_server(_creds, std::move(ar.connection));
        co_return accept_result{std::move(cs), std::move(ar.remote_address)};
    }
    void abort_accept() override { _under.abort_accept(); }
    socket_address local_address() const override { return _under.local_address(); }
};

connected_socket make_tls_socket(connected_socket&& s, std::function<session(data_source, data_sink)> wrap) {
    auto* impl = net::get_impl::get(s);
    if (!impl) {
        throw std::invalid_argument("tls: cannot wrap an empty connected_socket");
    }
    auto sess = wrap(impl->source(), impl->sink());
    return connected_socket(std::make_unique<tls_connected_socket_impl>(std::move(s), std::move(sess)));
}

session& session_of(connected_socket& s) {
    auto* t = dynamic_cast<tls_connected_socket_impl*>(net::get_impl::get(s));
    if (!t) {
        throw std::invalid_argument("tls: not a TLS connected_socket");
    }
    return t->get_session();
}

template <typename T = void, typename Func>
future<T> with_session(connected_socket& s, Func f) {
    session* ss = nullptr;
    try {
        ss = &session_of(s);
    } catch (...) {
        return make_exception_future<T>(std::current_exception());
    }
    return f(*ss);
}

} // namespace

future<connected_socket> wrap_client(std::shared_ptr<certificate_credentials> creds, connected_socket&& s,
                                     tls_options options) {
    try {
        return make_ready_future<connected_socket>(make_tls_socket(std::move(s), [&](data_source in, data_sink out) {
            return wrap_client(std::move(creds), std::move(in), std::move(out), std::move(options));
        }));
    } catch (...) {
        return make_exception_future<connected_socket>(std::current_exception());
    }
}

future<connected_socket> wrap_server(std::shared_ptr<server_credentials> creds, connected_socket&& s,
                                     tls_options options) {
    try {
        return make_ready_future<connected_socket>(make_tls_socket(std::move(s), [&](data_source in, data_sink out) {
            return wrap_server(std::move(creds), std::move(in), std::move(out), std::move(options));
        }));
    } catch (...) {
        return make_exception_future<connected_socket>(std::current_exception());
    }
}

future<connected_socket> connect(std::shared_ptr<certificate_credentials> creds, socket_address sa,
                                 tls_options options) {
    auto s = co_await seastar::connect(sa);
    co_return co_await wrap_client(std::move(creds), std::move(s), std::move(options));
}

future<connected_socket> wrap_client(std::shared_ptr<certificate_credentials> creds, connected_socket&& s,
                                     std::string server_name) {
    return wrap_client(std::move(creds), std::move(s), tls_options{.server_name = std::move(server_name)});
}

future<connected_socket> connect(std::shared_ptr<certificate_credentials> creds, socket_address sa,
                                 std::string server_name) {
    return connect(std::move(creds), sa, tls_options{.server_name = std::move(server_name)});
}

server_socket listen(std::shared_ptr<server_credentials> creds, server_socket ss) {
    return server_socket(std::make_unique<tls_server_socket_impl>(std::move(creds), std::move(ss)));
}

server_socket listen(std::shared_ptr<server_credentials> creds, socket_address sa, listen_options opts) {
    return listen(std::move(creds), seastar::listen(sa, opts));
}

future<> check_handshake(connected_socket& s) {
    return with_session<>(s, [](session& ss) { return ss.handshake(); });
}

future<std::optional<session_dn>> get_dn_information(connected_socket& s) {
    return with_session<std::optional<session_dn>>(s, [](session& ss) { return ss.get_dn_information(); });
}

future<std::optional<std::string>> get_selected_alpn_protocol(connected_socket& s) {
    return with_session<std::optional<std::string>>(s, [](session& ss) { return ss.get_selected_alpn_protocol(); });
}

future<std::string> get_server_name(connected_socket& s) {
    return with_session<std::string>(s, [](session& ss) { return ss.get_server_name(); });
}

future<bool> check_session_is_resumed(connected_socket& s) {
    return with_session<bool>(s, [](session& ss) { return ss.check_session_is_resumed(); });
}

future<session_data> get_session_resume_data(connected_socket& s) {
    return with_session<session_data>(s, [](session& ss) { return ss.get_session_resume_data(); });
}

} // namespace seastar::tls
