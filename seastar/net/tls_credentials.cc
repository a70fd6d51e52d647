// Credentials: parsing certificates and keys, and the SSL_CTX built from them.
#include <openssl/bio.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>

#include "seastar/core/reactor.hh"
#include "seastar/net/internal/tls_impl.hh"
#include "seastar/net/tls.hh"

namespace seastar::tls {

namespace {

class tls_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "tls"; }
    std::string message(int code) const override {
        auto e = static_cast<uint32_t>(code);
        const char* r = ERR_reason_error_string(e);
        const char* lib = ERR_lib_error_string(e);
        if (!r) {
            return "TLS error " + std::to_string(code);
        }
        return lib ? std::string(r) + " (" + lib + ")" : std::string(r);
    }
};

std::vector<bssl::UniquePtr<X509>> parse_certs(const blob& b, x509_crt_format fmt, const char* what) {
    std::vector<bssl::UniquePtr<X509>> out;
    if (fmt == x509_crt_format::DER) {
        auto p = reinterpret_cast<const uint8_t*>(b.data());
        bssl::UniquePtr<X509> c(d2i_X509(nullptr, &p, static_cast<long>(b.size())));
        if (!c) {
            throw std::invalid_argument(std::string("tls: cannot parse DER ") + what + ": " +
                                        internal::drain_error_queue());
        }
        out.push_back(std::move(c));
        return out;
    }
    bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(b.data(), b.size()));
    for (;;) {
        bssl::UniquePtr<X509> c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!c) {
            break;
        }
        out.push_back(std::move(c));
    }
    uint32_t e = ERR_peek_last_error();
    // The loop ends on "no start line" once the input is used up; anything
    // else is a malformed certificate.
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
    } else if (e != 0) {
        throw std::invalid_argument(std::string("tls: malformed PEM ") + what + ": " + internal::drain_error_queue());
    }
    if (out.empty()) {
        throw std::invalid_argument(std::string("tls: no certificate in PEM ") + what);
    }
    return out;
}

bssl::UniquePtr<EVP_PKEY> parse_key(const blob& b, x509_crt_format fmt) {
    bssl::UniquePtr<EVP_PKEY> k;
    if (fmt == x509_crt_format::DER) {
        auto p = reinterpret_cast<const uint8_t*>(b.data());
        k.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(b.size())));
    } else {
        bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(b.data(), b.size()));
        k.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    }
    if (!k) {
        throw std::invalid_argument("tls: cannot parse private key: " + internal::drain_error_queue());
    }
    return k;
}

std::string read_whole_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        throw std::system_error(errno, std::system_category(), "tls: cannot open " + path);
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

int select_alpn(SSL* ssl, const uint8_t** out, uint8_t* out_len, const uint8_t* in, unsigned in_len, void* arg) {
    auto* creds = static_cast<internal::credentials_impl*>(arg);
    // Server preference: the first of ours that the client offered.
    for (const auto& mine : creds->alpn) {
        CBS offered;
        CBS_init(&offered, in, in_len);
        while (CBS_len(&offered) > 0) {
            CBS name;
            if (!CBS_get_u8_length_prefixed(&offered, &name)) {
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            }
            if (CBS_len(&name) == mine.size() && std::equal(mine.begin(), mine.end(), CBS_data(&name))) {
                *out = CBS_data(&name);
                *out_len = static_cast<uint8_t>(CBS_len(&name));
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    // RFC 7301: no protocol in common is a no_application_protocol alert.
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

[[noreturn]] void throw_ctx_error(const std::string& what) {
    uint32_t code = 0;
    auto reasons = internal::drain_error_queue(&code);
    throw std::system_error(static_cast<int>(code), error_category(), "tls: " + what);
}

} // namespace

const std::error_category& error_category() noexcept {
    static const tls_category cat;
    return cat;
}

namespace internal {

std::string drain_error_queue(uint32_t* first) {
    std::string out;
    const char* file = nullptr;
    int line = 0;
    while (uint32_t e = ERR_get_error_line(&file, &line)) {
        if (first && *first == 0) {
            *first = e;
        }
        if (!out.empty()) {
            out += "; ";
        }
        const char* reason = ERR_reason_error_string(e);
        const char* lib = ERR_lib_error_string(e);
        out += reason ? reason : ("error " + std::to_string(e)).c_str();
        if (lib) {
            out += " (";
            out += lib;
            out += ")";
        }
    }
    return out;
}

std::string alpn_wire(const std::vector<std::string>& protocols) {
    std::string w;
    for (auto& p : protocols) {
        if (p.empty() || p.size() > 255) {
            throw std::invalid_argument("tls: an ALPN protocol name must have 1 to 255 bytes");
        }
        w.push_back(static_cast<char>(p.size()));
        w += p;
    }
    return w;
}

SSL_CTX* credentials_impl::context() {
    if (_ctx) {
        return _ctx.get();
    }
    ERR_clear_error();
    bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
    if (!ctx) {
        throw_ctx_error("cannot create a context");
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    for (auto& c : trust) {
        if (!X509_STORE_add_cert(store, c.get())) {
            // The same CA added twice is harmless.
            uint32_t e = ERR_peek_last_error();
            if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
                throw_ctx_error("cannot add a trusted certificate");
            }
            ERR_clear_error();
        }
    }
    if (system_trust) {
        const char* bundle = "/etc/ssl/certs/ca-certificates.crt";
        bool ok = ::access(bundle, R_OK) == 0 ? SSL_CTX_load_verify_locations(ctx.get(), bundle, "/etc/ssl/certs")
                                              : SSL_CTX_set_default_verify_paths(ctx.get());
        if (!ok) {
            throw_ctx_error("cannot load the system trust store");
        }
    }
    if (!chain.empty()) {
        if (!SSL_CTX_use_certificate(ctx.get(), chain.front().get())) {
            throw_ctx_error("cannot use the certificate");
        }
        for (size_t i = 1; i < chain.size(); ++i) {
            if (!SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get())) {
                throw_ctx_error("cannot add a chain certificate");
            }
        }
        if (!SSL_CTX_use_PrivateKey(ctx.get(), key.get())) {
            throw_ctx_error("cannot use the private key");
        }
    }
    if (is_server) {
        int mode = SSL_VERIFY_NONE;
        if (auth == client_auth::REQUEST) {
            mode = SSL_VERIFY_PEER;
        } else if (auth == client_auth::REQUIRE) {
            mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        }
        SSL_CTX_set_verify(ctx.get(), mode, nullptr);
        if (!alpn.empty()) {
            SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, this);
        }
        // Resumption (tickets) with client certificates needs a session id
        // context; all sessions of these credentials share one.
        static const char sid_ctx[] = "seastar-tls";
        SSL_CTX_set_session_id_context(ctx.get(), reinterpret_cast<const uint8_t*>(sid_ctx), sizeof(sid_ctx) - 1);
    } else {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        // Sessions (with tickets) reach the connection, not a shared cache:
        // get_session_resume_data() hands them to the user.
        SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(ctx.get(), internal::on_new_client_session);
        if (!alpn.empty()) {
            auto w = alpn_wire(alpn);
            // Unusually, 0 means success here.
            if (SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const uint8_t*>(w.data()), w.size()) != 0) {
                throw_ctx_error("cannot set ALPN protocols");
            }
        }
    }
    _ctx = std::move(ctx);
    return _ctx.get();
}

} // namespace internal

certificate_credentials::certificate_credentials() : _impl(std::make_shared<internal::credentials_impl>()) {}
certificate_credentials::~certificate_credentials() = default;
certificate_credentials::certificate_credentials(certificate_credentials&&) noexcept = default;
certificate_credentials& certificate_credentials::operator=(certificate_credentials&&) noexcept = default;

void certificate_credentials::set_x509_trust(const blob& b, x509_crt_format fmt) {
    auto certs = parse_certs(b, fmt, "trust certificate");
    for (auto& c : certs) {
        _impl->trust.push_back(std::move(c));
    }
    _impl->changed();
}

future<> certificate_credentials::set_x509_trust_file(const std::string& cafile, x509_crt_format fmt) {
    return engine().run_blocking([cafile] { return read_whole_file(cafile); }).then([this, fmt](std::string data) {
        set_x509_trust(data, fmt);
    });
}

void certificate_credentials::set_x509_key(const blob& cert, const blob& key, x509_crt_format fmt) {
    auto chain = parse_certs(cert, fmt, "certificate");
    auto k = parse_key(key, fmt);
    if (!X509_check_private_key(chain.front().get(), k.get())) {
        ERR_clear_error();
        throw std::invalid_argument("tls: the private key does not match the certificate");
    }
    _impl->chain = std::move(chain);
    _impl->key = std::move(k);
    _impl->changed();
}

future<> certificate_credentials::set_x509_key_file(const std::string& cf, const std::string& kf, x509_crt_format fmt) {
    return engine()
        .run_blocking([cf, kf] { return std::make_pair(read_whole_file(cf), read_whole_file(kf)); })
        .then([this, fmt](std::pair<std::string, std::string> d) { set_x509_key(d.first, d.second, fmt); });
}

future<> certificate_credentials::set_system_trust() {
    _impl->system_trust = true;
    _impl->changed();
    return make_ready_future<>();
}

void certificate_credentials::set_alpn_protocols(std::vector<std::string> protocols) {
    internal::alpn_wire(protocols); // validates
    _impl->alpn = std::move(protocols);
    _impl->changed();
}

server_credentials::server_credentials() {
    _impl->is_server = true;
}

void server_credentials::set_client_auth(client_auth ca) {
    _impl->auth = ca;
    _impl->changed();
}

void credentials_builder::set_x509_trust(const blob& b, x509_crt_format fmt) {
    parse_certs(b, fmt, "trust certificate"); // fail here, not in build
    _trust.push_back(item{std::string(b), "", fmt});
}

future<> credentials_builder::set_x509_trust_file(const std::string& cafile, x509_crt_format fmt) {
    return engine().run_blocking([cafile] { return read_whole_file(cafile); }).then([this, fmt](std::string data) {
        set_x509_trust(data, fmt);
    });
}

void credentials_builder::set_x509_key(const blob& cert, const blob& key, x509_crt_format fmt) {
    certificate_credentials check;
    check.set_x509_key(cert, key, fmt);
    _key = item{std::string(cert), std::string(key), fmt};
}

future<> credentials_builder::set_x509_key_file(const std::string& cf, const std::string& kf, x509_crt_format fmt) {
    return engine()
        .run_blocking([cf, kf] { return std::make_pair(read_whole_file(cf), read_whole_file(kf)); })
        .then([this, fmt](std::pair<std::string, std::string> d) { set_x509_key(d.first, d.second, fmt); });
}

future<> credentials_builder::set_system_trust() {
    _system_trust = true;
    return make_ready_future<>();
}

void credentials_builder::set_alpn_protocols(std::vector<std::string> protocols) {
    internal::alpn_wire(protocols);
    _alpn = std::move(protocols);
}

void credentials_builder::apply_to(certificate_credentials& c) const {
    for (auto& t : _trust) {
        c.set_x509_trust(t.cert, t.fmt);
    }
    if (_key) {
        c.set_x509_key(_key->cert, _key->key, _key->fmt);
    }
    if (_system_trust) {
        c.impl().system_trust = true;
        c.impl().changed();
    }
    if (!_alpn.empty()) {
        c.set_alpn_protocols(_alpn);
    }
}

std::shared_ptr<certificate_credentials> credentials_builder::build_certificate_credentials() const {
    auto c = std::make_shared<certificate_credentials>();
    apply_to(*c);
    return c;
}

std::shared_ptr<server_credentials> credentials_builder::build_server_credentials() const {
    auto c = std::make_shared<server_credentials>();
    apply_to(*c);
    c->set_client_auth(_client_auth);
    return c;
}

} // namespace seastar::tls
