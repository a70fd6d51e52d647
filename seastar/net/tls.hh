// TLS over any byte stream, on BoringSSL (which stays out of this header).
//
// Credentials hold what a side proves and whom it trusts: a certificate chain
// with its private key, CA certificates to verify the peer with (PEM or DER,
// from memory or files, or the system's store), the ALPN protocols to offer
// or accept, and on a server whether clients must present a certificate.
// tls::connect / tls::listen / tls::wrap_client / tls::wrap_server give TLS
// connected_sockets and server_sockets over any stack's sockets. Underneath,
// a tls::session runs the protocol over a data_source/data_sink pair (the
// two directions of a connection) and gives back a plaintext data_source
// and data_sink, so input_stream/output_stream work on top unchanged; it can
// be used directly over any transport.
//
// Contract:
//   * One shard. Credentials may be shared by many sessions of their shard
//     (they are referenced, not copied); change them before the first
//     session uses them: a change applies to sessions created afterwards.
//     Sessions keep the credentials alive.
//   * Handshake: runs on the first read or write, or when handshake() (or a
//     get_* query) is called; all of them share its outcome. A client
//     always verifies the server's chain against its trust; with a
//     server_name it also checks the name (DNS name or IP address) and sends
//     it as SNI (unless it is an IP address). Without one, only the chain is
//     verified (as in Seastar).
//   * Errors travel in futures, never thrown from a future-returning call:
//       - tls::verification_error (a std::runtime_error) when the peer's
//         certificate is rejected or missing, naming why (expired, unknown
//         CA, hostname mismatch, no certificate) with BoringSSL's reason;
//       - std::system_error in tls::error_category() for other protocol
//         failures (garbage from the peer, an alert, no common protocol),
//         its what() carrying BoringSSL's reason strings;
//       - std::system_error(ECONNRESET) when the peer closes the transport
//         during the handshake;
//       - the transport's error code when the underlying source/sink fails
//         (a std::system_error gets the session's context in its what()).
//     Messages start with "tls: " and name the operation and the peer
//     ("tls: handshake with server example.com failed: ...").
//     Once a session failed, every later read and write fails the same way.
//     Credentials setters throw std::invalid_argument for unparsable input.
//   * Reads: the plaintext source returns an empty buffer at the peer's
//     close_notify, and also when the transport ends without one (as
//     Seastar does; the truncation is not reported).
//   * close() of the plaintext sink sends close_notify, then (with
//     tls_options::wait_for_eof_on_shutdown) waits up to
//     tls_options::shutdown_timeout for the peer's close_notify (data that
//     arrives meanwhile stays readable), then closes the transport's sink.
//     close() of the plaintext source closes the transport's source. Close
//     both, and wait for them, before dropping the session.
//   * Renegotiation is refused (BoringSSL's default): a peer that asks for
//     it gets an alert and the read fails.
//   * Allocation: sessions and buffers allocate; std::bad_alloc becomes a
//     failed future.
//
// Example (a client, then a server):
//
//     auto creds = std::make_shared<seastar::tls::certificate_credentials>();
//     co_await creds->set_x509_trust_file("ca.pem", seastar::tls::x509_crt_format::PEM);
//     auto s = co_await seastar::tls::connect(creds, seastar::ipv4_addr("127.0.0.1", 443), {.server_name =
//     "localhost"}); auto in = s.input(); auto out = s.output(); co_await out.write("ping"); co_await out.flush(); auto
//     reply = co_await in.read();   // a verification failure surfaces here co_await out.close();              //
//     close_notify co_await in.close();
//
//     auto sc = std::make_shared<seastar::tls::server_credentials>();
//     co_await sc->set_x509_key_file("cert.pem", "key.pem", seastar::tls::x509_crt_format::PEM);
//     auto listener = seastar::tls::listen(sc, seastar::ipv4_addr("127.0.0.1", 8443));
//     auto ar = co_await listener.accept();
//     auto sni = co_await seastar::tls::get_server_name(ar.connection);
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/net/api.hh"

namespace seastar::tls {

enum class x509_crt_format {
    DER,
    PEM,
};

enum class client_auth {
    NONE,    // no client certificate asked for
    REQUEST, // asked for; verified when presented
    REQUIRE, // the handshake fails without a valid one
};

// Bytes of a certificate or key (PEM text or DER).
using blob = std::string_view;

// The peer's certificate was rejected or missing. what() says why.
class verification_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The category of TLS protocol errors (std::system_error::code()); the
// value is BoringSSL's packed error code of the first error.
const std::error_category& error_category() noexcept;

namespace internal {
class credentials_impl;
class session_impl;
} // namespace internal

class certificate_credentials {
public:
    certificate_credentials();
    ~certificate_credentials();
    certificate_credentials(certificate_credentials&&) noexcept;
    certificate_credentials& operator=(certificate_credentials&&) noexcept;

    // The *_file setters read on the syscall thread; keep the credentials
    // alive until their future resolves.
    // Adds CA certificates to trust (a PEM blob may hold several).
    void set_x509_trust(const blob& b, x509_crt_format fmt);
    future<> set_x509_trust_file(const std::string& cafile, x509_crt_format fmt);
    // This side's certificate (a PEM blob may add its chain after the leaf)
    // and private key. Throws std::invalid_argument if the key does not
    // match the certificate.
    void set_x509_key(const blob& cert, const blob& key, x509_crt_format fmt);
    future<> set_x509_key_file(const std::string& cf, const std::string& kf, x509_crt_format fmt);
    // Trusts the system's CA store (/etc/ssl/certs).
    future<> set_system_trust();
    // ALPN protocols, most preferred first: offered by a client, accepted
    // by a server (the server picks its most preferred one the client
    // offers; none in common fails the handshake).
    void set_alpn_protocols(std::vector<std::string> protocols);

    internal::credentials_impl& impl() const noexcept { return *_impl; }

protected:
    std::shared_ptr<internal::credentials_impl> _impl;
    friend class internal::session_impl;
};

class server_credentials : public certificate_credentials {
public:
    server_credentials();
    void set_client_auth(client_auth ca);
};

// Collects credentials settings (as values, file contents included) to
// build any number of credentials from, e.g. one per shard: credentials are
// shard-local, a builder may be copied to other shards.
class credentials_builder {
public:
    void set_x509_trust(const blob& b, x509_crt_format fmt);
    future<> set_x509_trust_file(const std::string& cafile, x509_crt_format fmt);
    void set_x509_key(const blob& cert, const blob& key, x509_crt_format fmt);
    future<> set_x509_key_file(const std::string& cf, const std::string& kf, x509_crt_format fmt);
    future<> set_system_trust();
    void set_alpn_protocols(std::vector<std::string> protocols);
    void set_client_auth(client_auth ca) { _client_auth = ca; }

    // Applies the settings; throws as the credentials' setters do.
    void apply_to(certificate_credentials& c) const;
    std::shared_ptr<certificate_credentials> build_certificate_credentials() const;
    std::shared_ptr<server_credentials> build_server_credentials() const;

private:
    struct item {
        std::string cert; // or trust
        std::string key;  // empty for trust
        x509_crt_format fmt;
    };
    std::vector<item> _trust;
    std::optional<item> _key;
    bool _system_trust = false;
    std::vector<std::string> _alpn;
    client_auth _client_auth = client_auth::NONE;
};

struct tls_options {
    // On close of the sink, wait for the peer's close_notify (bounded by
    // shutdown_timeout) before closing the transport.
    bool wait_for_eof_on_shutdown = true;
    // Client: the name to verify the server's certificate against and to
    // send as SNI. Empty: chain verification only, no SNI.
    std::string server_name = {};
    // Client: ALPN protocols to offer instead of the credentials' list.
    std::vector<std::string> alpn_protocols = {};
    std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(10);
    // Client: a session to resume (from get_session_resume_data() of an
    // earlier connection to the same server). Unusable data means a full
    // handshake, not an error.
    std::vector<uint8_t> session_resume_data = {};
};

using session_data = std::vector<uint8_t>;

// The distinguished names of the peer's certificate (RFC 2253 form).
struct session_dn {
    std::string subject;
    std::string issuer;
};

// One TLS connection over a transport. Movable; the plaintext source and
// sink share its state, so the session object itself may be dropped once
// they were taken.
class session {
public:
    session(session&&) noexcept;
    session& operator=(session&&) noexcept;
    ~session();

    // The plaintext directions; each may be taken once.
    data_source source();
    data_sink sink();

    // Completes the handshake (or reports how it failed).
    future<> handshake();
    // The peer's certificate names; nullopt when it presented none.
    future<std::optional<session_dn>> get_dn_information();
    // The ALPN protocol agreed on; nullopt when none was negotiated.
    future<std::optional<std::string>> get_selected_alpn_protocol();
    // Server: the SNI name the client sent ("" if none). Client: the name
    // it sent.
    future<std::string> get_server_name();
    future<bool> check_session_is_resumed();
    // Client: the session state to resume later with, or empty when there
    // is none yet (in TLS 1.3 the server's ticket comes with its first data
    // after the handshake, so read something first).
    future<session_data> get_session_resume_data();

    explicit session(std::shared_ptr<internal::session_impl> s) noexcept;
    const std::shared_ptr<internal::session_impl>& impl() const noexcept { return _s; }

private:
    std::shared_ptr<internal::session_impl> _s;
};

// A client session over `src`/`snk` (the transport's two directions).
// Throws std::invalid_argument for a server name or ALPN list BoringSSL
// refuses, std::system_error if the credentials cannot make a context.
session wrap_client(std::shared_ptr<certificate_credentials> creds, data_source src, data_sink snk,
                    tls_options options = {});
// A server session over `src`/`snk`.
session wrap_server(std::shared_ptr<server_credentials> creds, data_source src, data_sink snk,
                    tls_options options = {.wait_for_eof_on_shutdown = false});

// ---- sockets ----
//
// TLS connected_sockets behave like the sockets they wrap: input()/output()
// carry plaintext; closing the output stream sends close_notify (and waits
// for the peer's as tls_options say); shutdown_output() sends close_notify
// without waiting; shutdown_input() and the socket options go to the
// wrapped socket. The returned futures resolve before the handshake, which
// runs on first use (as in Seastar); its failure fails that use. Keep the
// connected_socket alive while its streams are in use.

// TLS client over an established connection.
future<connected_socket> wrap_client(std::shared_ptr<certificate_credentials> creds, connected_socket&& s,
                                     tls_options options = {});
// Older Seastar form: verify against and send `server_name`.
future<connected_socket> wrap_client(std::shared_ptr<certificate_credentials> creds, connected_socket&& s,
                                     std::string server_name);
// TLS server over an accepted connection.
future<connected_socket> wrap_server(std::shared_ptr<server_credentials> creds, connected_socket&& s,
                                     tls_options options = {.wait_for_eof_on_shutdown = false});
// Connects and wraps. Fails as seastar::connect() does.
future<connected_socket> connect(std::shared_ptr<certificate_credentials> creds, socket_address sa,
                                 tls_options options = {});
future<connected_socket> connect(std::shared_ptr<certificate_credentials> creds, socket_address sa,
                                 std::string server_name);
// A server socket whose accepted connections are TLS servers.
server_socket listen(std::shared_ptr<server_credentials> creds, socket_address sa, listen_options opts = {});
// Wraps any server socket.
server_socket listen(std::shared_ptr<server_credentials> creds, server_socket ss);

// Queries on a TLS connected_socket (they complete the handshake first).
// On a socket that is not TLS they fail with std::invalid_argument.
future<> check_handshake(connected_socket& s);
future<std::optional<session_dn>> get_dn_information(connected_socket& s);
future<std::optional<std::string>> get_selected_alpn_protocol(connected_socket& s);
future<std::string> get_server_name(connected_socket& s);
future<bool> check_session_is_resumed(connected_socket& s);
future<session_data> get_session_resume_data(connected_socket& s);

} // namespace seastar::tls
