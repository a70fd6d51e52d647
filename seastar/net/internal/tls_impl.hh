// Internals of //seastar/net:tls shared by its .cc files: the credentials'
// state and the SSL_CTX built from it, and BoringSSL error helpers. Includes
// BoringSSL, so only the tls target's own sources may include it.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "seastar/net/tls.hh"

namespace seastar::tls::internal {

// Everything certificate_credentials collects; turned into an SSL_CTX per
// role when a session first needs it (and again after a change).
class credentials_impl {
public:
    std::vector<bssl::UniquePtr<X509>> trust;
    bool system_trust = false;
    std::vector<bssl::UniquePtr<X509>> chain; // leaf first
    bssl::UniquePtr<EVP_PKEY> key;
    std::vector<std::string> alpn;
    client_auth auth = client_auth::NONE;
    bool is_server = false;

    // The context for this role, built on first use. Throws std::system_error.
    SSL_CTX* context();
    void changed() noexcept { _ctx.reset(); }

private:
    bssl::UniquePtr<SSL_CTX> _ctx;
};

// BoringSSL's new-session callback for clients: hands a resumable session
// (with the server's ticket) to the SSL's session_impl (its app data).
int on_new_client_session(SSL* ssl, SSL_SESSION* session);

// Drains this thread's BoringSSL error queue into "reason (library); ...".
// Returns "" when it is empty; `first` gets the first packed code.
std::string drain_error_queue(uint32_t* first = nullptr);

// ALPN wire format (length-prefixed names). Throws std::invalid_argument for
// an empty or over-long name.
std::string alpn_wire(const std::vector<std::string>& protocols);

// Sends close_notify without waiting for the peer's, then closes the
// session's transport sink (connected_socket::shutdown_output()).
future<> shutdown_output(const std::shared_ptr<session_impl>& s);

} // namespace seastar::tls::internal
