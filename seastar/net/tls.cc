// The TLS session engine: BoringSSL over memory BIOs, driven by futures.
//
// SSL reads ciphertext from `_rbio`, which we fill from the transport's
// source, and writes ciphertext to `_wbio`, which we drain to the transport's
// sink. SSL calls never block: when SSL wants input we fetch the next buffer
// from the transport and retry. Two semaphores order the transport: one
// reader of the source at a time (handshake, plaintext reads, close's wait
// for close_notify) and one writer to the sink at a time; ciphertext is
// taken out of `_wbio` synchronously right after the SSL call that made it,
// so queued writes keep SSL's order.
#include <arpa/inet.h>

#include <algorithm>
#include <deque>

#include "seastar/core/coroutine.hh"
#include "seastar/core/semaphore.hh"
#include "seastar/core/shared_future.hh"
#include "seastar/core/with_timeout.hh"
#include "seastar/net/internal/tls_impl.hh"
#include "seastar/net/tls.hh"

namespace seastar::tls {

namespace internal {

namespace {

constexpr size_t read_chunk = 16 * 1024;
constexpr size_t write_chunk = 64 * 1024;
// What close() keeps of data arriving while it waits for close_notify.
constexpr size_t max_buffered_on_close = 4 * 1024 * 1024;

bool is_ip_address(const std::string& s) {
    unsigned char buf[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

} // namespace

class session_impl : public std::enable_shared_from_this<session_impl> {
    std::shared_ptr<credentials_impl> _creds;
    bssl::UniquePtr<SSL> _ssl;
    BIO* _rbio = nullptr; // owned by _ssl
    BIO* _wbio = nullptr; // owned by _ssl
    data_source _in;
    data_sink _out;
    tls_options _opts;
    bool _client;
    semaphore _in_sem{1};
    semaphore _out_sem{1};
    std::optional<shared_future<>> _handshake;
    std::exception_ptr _error;       // sticky: the session failed
    std::exception_ptr _write_error; // a background write to the transport failed
    std::deque<temporary_buffer<char>> _plain;
    size_t _plain_bytes = 0;
    bool _eof = false; // no more plaintext will come
    bool _shutdown_sent = false;
    bool _source_taken = false;
    bool _sink_taken = false;
    bool _transport_sink_closed = false;
    bssl::UniquePtr<SSL_SESSION> _resumable; // the latest session with a ticket

public:
    session_impl(std::shared_ptr<credentials_impl> creds, data_source in, data_sink out, tls_options opts, bool client)
        : _creds(std::move(creds)), _in(std::move(in)), _out(std::move(out)), _opts(std::move(opts)), _client(client) {
        ERR_clear_error();
        SSL_CTX* ctx = _creds->context();
        _ssl.reset(SSL_new(ctx));
        _rbio = BIO_new(BIO_s_mem());
        _wbio = BIO_new(BIO_s_mem());
        if (!_ssl || !_rbio || !_wbio) {
            BIO_free(_rbio);
            BIO_free(_wbio);
            throw std::bad_alloc();
        }
        // An empty read BIO means "retry later", not end of file.
        BIO_set_mem_eof_return(_rbio, -1);
        BIO_set_mem_eof_return(_wbio, -1);
        SSL_set_bio(_ssl.get(), _rbio, _wbio);
        SSL_set_app_data(_ssl.get(), this);
        if (_client) {
            SSL_set_connect_state(_ssl.get());
            if (!_opts.server_name.empty()) {
                auto* param = SSL_get0_param(_ssl.get());
                if (is_ip_address(_opts.server_name)) {
                    if (!X509_VERIFY_PARAM_set1_ip_asc(param, _opts.server_name.c_str())) {
                        throw std::invalid_argument("tls: bad IP address " + _opts.server_name);
                    }
                } else {
                    if (!SSL_set_tlsext_host_name(_ssl.get(), _opts.server_name.c_str()) ||
                        !X509_VERIFY_PARAM_set1_host(param, _opts.server_name.data(), _opts.server_name.size())) {
                        throw std::invalid_argument("tls: bad server name " + _opts.server_name + ": " +
                                                    drain_error_queue());
                    }
                }
            }
            if (!_opts.session_resume_data.empty()) {
                bssl::UniquePtr<SSL_SESSION> sess(
                    SSL_SESSION_from_bytes(_opts.session_resume_data.data(), _opts.session_resume_data.size(), ctx));
                if (sess) {
                    SSL_set_session(_ssl.get(), sess.get());
                }
                ERR_clear_error();
            }
            if (!_opts.alpn_protocols.empty()) {
                auto w = alpn_wire(_opts.alpn_protocols);
                if (SSL_set_alpn_protos(_ssl.get(), reinterpret_cast<const uint8_t*>(w.data()), w.size()) != 0) {
                    throw std::invalid_argument("tls: cannot set ALPN protocols: " + drain_error_queue());
                }
            }
        } else {
            SSL_set_accept_state(_ssl.get());
        }
    }

    ~session_impl() {
        // Whatever closes the transport is the user's; the semaphores may
        // still have waiters only if the user broke the close contract.
        _in_sem.broken();
        _out_sem.broken();
    }

    data_source take_source();
    data_sink take_sink();

    future<> handshake() {
        if (!_handshake) {
            // The handshake may outlive every handle of the session (a
            // query nobody waits for); it keeps the session alive.
            _handshake.emplace(do_handshake().finally([self = shared_from_this()] {}));
        }
        return _handshake->get_future();
    }

    // ---- plaintext side ----

    future<temporary_buffer<char>> get() {
        co_await handshake();
        if (_plain.empty() && !_eof) {
            auto units = co_await get_units(_in_sem, 1);
            if (_plain.empty()) {
                co_await fill_plain();
            }
        }
        if (!_plain.empty()) {
            auto b = std::move(_plain.front());
            _plain.pop_front();
            _plain_bytes -= b.size();
            co_return b;
        }
        if (_error) {
            std::rethrow_exception(_error);
        }
        co_return temporary_buffer<char>();
    }

    future<> put(temporary_buffer<char> buf) {
        co_await handshake();
        co_await write_plain(buf.get(), buf.size());
    }

    future<> put(net::packet p) {
        co_await handshake();
        for (auto& f : p.fragments()) {
            co_await write_plain(f.base, f.size);
        }
    }

    future<> close_source() { co_await _in.close(); }

    // Sends close_notify (once), optionally waits for the peer's, then
    // closes the transport's sink (once).
    future<> close_sink(bool wait_for_peer);
    future<> close_sink() { return close_sink(_opts.wait_for_eof_on_shutdown); }

    // ---- queries (after the handshake) ----

    std::optional<session_dn> dn_information() const {
        X509* peer = SSL_get_peer_certificate(_ssl.get());
        if (!peer) {
            return std::nullopt;
        }
        bssl::UniquePtr<X509> owner(peer);
        return session_dn{name_string(X509_get_subject_name(peer)), name_string(X509_get_issuer_name(peer))};
    }

    std::optional<std::string> selected_alpn() const {
        const uint8_t* p = nullptr;
        unsigned len = 0;
        SSL_get0_alpn_selected(_ssl.get(), &p, &len);
        if (len == 0) {
            return std::nullopt;
        }
        return std::string(reinterpret_cast<const char*>(p), len);
    }

    std::string server_name() const {
        if (_client) {
            return _opts.server_name;
        }
        const char* n = SSL_get_servername(_ssl.get(), TLSEXT_NAMETYPE_host_name);
        return n ? n : "";
    }

    bool resumed() const { return SSL_session_reused(_ssl.get()); }

    void set_resumable(SSL_SESSION* s) noexcept { _resumable.reset(s); }

    session_data resume_data() const {
        SSL_SESSION* sess = _resumable ? _resumable.get() : SSL_get_session(_ssl.get());
        if (!_client || !sess || !SSL_SESSION_is_resumable(sess)) {
            return {};
        }
        uint8_t* p = nullptr;
        size_t len = 0;
        if (!SSL_SESSION_to_bytes(sess, &p, &len)) {
            ERR_clear_error();
            throw std::bad_alloc();
        }
        session_data out(p, p + len);
        OPENSSL_free(p);
        return out;
    }

private:
    static std::string name_string(X509_NAME* n) {
        bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
        X509_NAME_print_ex(bio.get(), n, 0, XN_FLAG_RFC2253);
        const uint8_t* data = nullptr;
        size_t len = 0;
        BIO_mem_contents(bio.get(), &data, &len);
        return std::string(reinterpret_cast<const char*>(data), len);
    }

    std::string peer_label() const {
        return _client ? (_opts.server_name.empty() ? std::string("server") : "server " + _opts.server_name)
                       : std::string("client");
    }

    // Moves what SSL wrote to `_wbio` into the transport's sink, in order.
    future<> flush_output() {
        size_t pending = BIO_pending(_wbio);
        if (pending == 0) {
            return make_ready_future<>();
        }
        temporary_buffer<char> buf(pending);
        int n = BIO_read(_wbio, buf.get_write(), static_cast<int>(pending));
        buf.trim(n > 0 ? size_t(n) : 0);
        return with_semaphore(_out_sem, 1, [this, buf = std::move(buf)]() mutable {
            if (_write_error) {
                return make_exception_future<>(_write_error);
            }
            return _out.put(std::move(buf)).then([this] { return _out.flush(); });
        });
    }

    // Flushes without waiting (for output made while reading, e.g. alerts
    // or key-update replies); a failure is kept for the next write.
    void flush_output_in_background() {
        if (BIO_pending(_wbio) == 0) {
            return;
        }
        (void)flush_output().handle_exception([self = shared_from_this()](std::exception_ptr e) {
            if (!self->_write_error) {
                self->_write_error = e;
            }
        });
    }

    // Feeds the next transport buffer to SSL; false at end of stream.
    future<bool> read_transport() {
        auto buf = co_await _in.get();
        if (buf.empty()) {
            co_return false;
        }
        if (BIO_write(_rbio, buf.get(), static_cast<int>(buf.size())) != static_cast<int>(buf.size())) {
            throw std::bad_alloc();
        }
        co_return true;
    }

    // The exception for a failed SSL call; `what` says which operation.
    std::exception_ptr make_error(const char* what, int ssl_error, uint32_t code, const std::string& reasons) {
        if (ssl_error == SSL_ERROR_SYSCALL && reasons.empty()) {
            return std::make_exception_ptr(
                std::system_error(ECONNRESET, std::system_category(), std::string("tls: ") + what));
        }
        long verify = SSL_get_verify_result(_ssl.get());
        int reason = ERR_GET_REASON(code);
        if (ERR_GET_LIB(code) == ERR_LIB_SSL && reason == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
            return std::make_exception_ptr(verification_error(
                "tls: " + peer_label() + " certificate verification failed: " + X509_verify_cert_error_string(verify) +
                " (X509 error " + std::to_string(verify) + "; " + reasons + ")"));
        }
        if (ERR_GET_LIB(code) == ERR_LIB_SSL && reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
            return std::make_exception_ptr(verification_error(
                "tls: the " + peer_label() + " did not present a certificate, which is required (" + reasons + ")"));
        }
        // The category's message names the first reason; list any others.
        std::string msg = std::string("tls: ") + what + " with " + peer_label() + " failed";
        if (auto more = reasons.find("; "); more != std::string::npos) {
            msg += " (then: " + reasons.substr(more + 2) + ")";
        }
        return std::make_exception_ptr(std::system_error(static_cast<int>(code), error_category(), msg));
    }

    future<> fail(std::exception_ptr e) {
        if (!_error) {
            _error = e;
        }
        // Alerts SSL queued on the failure tell the peer why; best effort.
        try {
            co_await flush_output();
        } catch (...) {
        }
        std::rethrow_exception(_error);
    }

    // A transport failure, said to be one of this session's `what`.
    std::exception_ptr with_context(std::exception_ptr e, const char* what) const {
        try {
            std::rethrow_exception(e);
        } catch (const std::system_error& x) {
            std::string msg = x.what();
            if (msg.starts_with("tls: ")) {
                return e;
            }
            // system_error appends the code's message; it is added back.
            auto suffix = ": " + x.code().message();
            if (msg.size() >= suffix.size() && msg.compare(msg.size() - suffix.size(), suffix.size(), suffix) == 0) {
                msg.resize(msg.size() - suffix.size());
            }
            return std::make_exception_ptr(std::system_error(
                x.code(), std::string("tls: ") + what + " with " + peer_label() + " failed: transport: " + msg));
        } catch (...) {
            return e;
        }
    }

    future<> do_handshake() {
        try {
            co_await handshake_loop();
        } catch (...) {
            if (!_error) {
                _error = with_context(std::current_exception(), "handshake");
            }
        }
        if (_error) {
            std::rethrow_exception(_error);
        }
    }

    future<> handshake_loop() {
        auto units = co_await get_units(_in_sem, 1);
        for (;;) {
            ERR_clear_error();
            int r = SSL_do_handshake(_ssl.get());
            if (r == 1) {
                co_await flush_output();
                co_return;
            }
            int err = SSL_get_error(_ssl.get(), r);
            if (err == SSL_ERROR_WANT_READ) {
                co_await flush_output();
                bool more = false;
                more = co_await read_transport();
                if (!more) {
                    co_await fail(std::make_exception_ptr(std::system_error(
                        ECONNRESET, std::system_category(),
                        "tls: handshake with " + peer_label() + " failed: connection closed by the peer")));
                }
                continue;
            }
            uint32_t code = 0;
            auto reasons = drain_error_queue(&code);
            co_await fail(make_error("handshake", err, code, reasons));
        }
    }

    // Under _in_sem, after the handshake: decrypts until at least one
    // plaintext buffer is queued or no more will come.
    future<> fill_plain() {
        while (!_eof && !_error) {
            ERR_clear_error();
            temporary_buffer<char> buf(read_chunk);
            int r = SSL_read(_ssl.get(), buf.get_write(), static_cast<int>(buf.size()));
            if (r > 0) {
                flush_output_in_background();
                buf.trim(size_t(r));
                _plain_bytes += buf.size();
                _plain.push_back(std::move(buf));
                co_return;
            }
            int err = SSL_get_error(_ssl.get(), r);
            if (err == SSL_ERROR_ZERO_RETURN) {
                _eof = true;
                co_return;
            }
            if (err == SSL_ERROR_WANT_READ) {
                flush_output_in_background();
                bool more = false;
                try {
                    more = co_await read_transport();
                } catch (...) {
                    _error = with_context(std::current_exception(), "read");
                }
                if (_error) {
                    std::rethrow_exception(_error);
                }
                if (!more) {
                    // End of the transport without close_notify: reported as
                    // end of stream, as Seastar does.
                    _eof = true;
                }
                continue;
            }
            uint32_t code = 0;
            auto reasons = drain_error_queue(&code);
            co_await fail(make_error("read", err, code, reasons));
        }
        if (_error && _plain.empty()) {
            std::rethrow_exception(_error);
        }
    }

    future<> write_plain(const char* data, size_t len) {
        if (_error) {
            std::rethrow_exception(_error);
        }
        if (_write_error) {
            std::rethrow_exception(_write_error);
        }
        if (_shutdown_sent) {
            throw std::system_error(EPIPE, std::system_category(), "tls: write after close");
        }
        while (len > 0) {
            size_t n = std::min(len, write_chunk);
            ERR_clear_error();
            int r = SSL_write(_ssl.get(), data, static_cast<int>(n));
            if (r <= 0) {
                int err = SSL_get_error(_ssl.get(), r);
                uint32_t code = 0;
                auto reasons = drain_error_queue(&code);
                co_await fail(make_error("write", err, code, reasons));
            }
            data += r;
            len -= size_t(r);
            co_await flush_output();
        }
    }

    // Reads (keeping the data) until the peer's close_notify or the end of
    // the transport.
    future<> wait_for_peer_close() {
        auto units = co_await get_units(_in_sem, 1);
        while (!_eof && !_error && _plain_bytes < max_buffered_on_close) {
            co_await fill_plain();
        }
    }
};

namespace {

class tls_source final : public data_source_impl {
    std::shared_ptr<session_impl> _s;

public:
    explicit tls_source(std::shared_ptr<session_impl> s) : _s(std::move(s)) {}
    future<temporary_buffer<char>> get() override { return _s->get(); }
    future<> close() override { return _s->close_source(); }
};

class tls_sink final : public data_sink_impl {
    std::shared_ptr<session_impl> _s;

public:
    explicit tls_sink(std::shared_ptr<session_impl> s) : _s(std::move(s)) {}
    future<> put(net::packet p) override { return _s->put(std::move(p)); }
    future<> put(temporary_buffer<char> b) override { return _s->put(std::move(b)); }
    future<> close() override { return _s->close_sink(); }
    // A TLS record holds up to 16 KiB of plaintext.
    std::size_t buffer_size() const noexcept override { return 16 * 1024; }
};

} // namespace

data_source session_impl::take_source() {
    if (_source_taken) {
        throw std::logic_error("tls: the session's source was already taken");
    }
    _source_taken = true;
    return data_source(std::make_unique<tls_source>(shared_from_this()));
}

data_sink session_impl::take_sink() {
    if (_sink_taken) {
        throw std::logic_error("tls: the session's sink was already taken");
    }
    _sink_taken = true;
    return data_sink(std::make_unique<tls_sink>(shared_from_this()));
}

future<> session_impl::close_sink(bool wait_for_peer) {
    auto self = shared_from_this();
    // Only an established session has anything to close; a failed one has
    // already sent its alert.
    if (_handshake && !_shutdown_sent) {
        try {
            co_await _handshake->get_future();
        } catch (...) {
        }
        if (!_error && !_write_error) {
            _shutdown_sent = true;
            ERR_clear_error();
            SSL_shutdown(_ssl.get()); // queues close_notify
            ERR_clear_error();
            std::exception_ptr err;
            try {
                co_await flush_output();
                if (wait_for_peer) {
                    co_await with_timeout(std::chrono::steady_clock::now() + _opts.shutdown_timeout,
                                          wait_for_peer_close().finally([self] {}));
                }
            } catch (...) {
                // A peer that does not answer, or a transport that is gone,
                // must not keep close() from closing the transport.
                err = std::current_exception();
            }
            (void)err;
        }
    }
    _shutdown_sent = true;
    // Let queued writes finish before closing the transport's sink.
    auto units = co_await get_units(_out_sem, 1);
    if (!std::exchange(_transport_sink_closed, true)) {
        co_await _out.close();
    }
}

future<> shutdown_output(const std::shared_ptr<session_impl>& s) {
    return s->close_sink(false).finally([s] {});
}

int on_new_client_session(SSL* ssl, SSL_SESSION* session) {
    auto* s = static_cast<session_impl*>(SSL_get_app_data(ssl));
    if (!s) {
        return 0;
    }
    s->set_resumable(session); // takes the reference
    return 1;
}

} // namespace internal

session::session(std::shared_ptr<internal::session_impl> s) noexcept : _s(std::move(s)) {}
session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;
session::~session() = default;

data_source session::source() {
    return _s->take_source();
}

data_sink session::sink() {
    return _s->take_sink();
}

future<> session::handshake() {
    return _s->handshake();
}

future<std::optional<session_dn>> session::get_dn_information() {
    return _s->handshake().then([s = _s] { return s->dn_information(); });
}

future<std::optional<std::string>> session::get_selected_alpn_protocol() {
    return _s->handshake().then([s = _s] { return s->selected_alpn(); });
}

future<std::string> session::get_server_name() {
    return _s->handshake().then([s = _s] { return s->server_name(); });
}

future<bool> session::check_session_is_resumed() {
    return _s->handshake().then([s = _s] { return s->resumed(); });
}

future<session_data> session::get_session_resume_data() {
    return _s->handshake().then([s = _s] { return s->resume_data(); });
}

session wrap_client(std::shared_ptr<certificate_credentials> creds, data_source src, data_sink snk,
                    tls_options options) {
    return session(
        std::make_shared<internal::session_impl>(std::shared_ptr<internal::credentials_impl>(creds, &creds->impl()),
                                                 std::move(src), std::move(snk), std::move(options), true));
}

session wrap_server(std::shared_ptr<server_credentials> creds, data_source src, data_sink snk, tls_options options) {
    return session(
        std::make_shared<internal::session_impl>(std::shared_ptr<internal::credentials_impl>(creds, &creds->impl()),
                                                 std::move(src), std::move(snk), std::move(options), false));
}

} // namespace seastar::tls
