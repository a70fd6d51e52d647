// TLS tests: our client against our server over an in-memory transport, and
// against openssl and BoringSSL's bssl tool over loopback TCP.
#include "seastar/net/tls.hh"

#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "seastar/core/coroutine.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/when_all.hh"
#include "seastar/core/with_timeout.hh"
#include "seastar/net/tls_test_util.hh"
#include "seastar/testing/seastar_test.hh"

using namespace seastar;
using namespace std::chrono_literals;
using tls::testing::cert_path;
using tls::testing::read_file;

namespace {

constexpr auto PEM = tls::x509_crt_format::PEM;

std::shared_ptr<tls::server_credentials> server_creds(const std::string& cert = "server",
                                                      tls::client_auth auth = tls::client_auth::NONE,
                                                      std::vector<std::string> alpn = {}) {
    auto c = std::make_shared<tls::server_credentials>();
    c->set_x509_key(read_file(cert_path(cert + ".pem")), read_file(cert_path(cert + ".key")), PEM);
    c->set_x509_trust(read_file(cert_path("ca.pem")), PEM);
    c->set_client_auth(auth);
    if (!alpn.empty()) {
        c->set_alpn_protocols(std::move(alpn));
    }
    return c;
}

std::shared_ptr<tls::certificate_credentials> client_creds(const std::string& ca = "ca", bool with_cert = false) {
    auto c = std::make_shared<tls::certificate_credentials>();
    c->set_x509_trust(read_file(cert_path(ca + ".pem")), PEM);
    if (with_cert) {
        c->set_x509_key(read_file(cert_path("client.pem")), read_file(cert_path("client.key")), PEM);
    }
    return c;
}

// Both directions of a session, for tests.
struct conn {
    tls::session s;
    data_source in;
    data_sink out;
    explicit conn(tls::session ss) : s(std::move(ss)), in(s.source()), out(s.sink()) {}
    future<> send(std::string msg) {
        temporary_buffer<char> b(msg.data(), msg.size());
        co_await out.put(std::move(b));
    }
    future<std::string> recv_exactly(size_t n) {
        std::string got;
        while (got.size() < n) {
            auto b = co_await in.get();
            if (b.empty()) {
                break;
            }
            got.append(b.get(), b.size());
        }
        co_return got;
    }
    future<> close() {
        co_await out.close();
        co_await in.close();
    }
};

struct memory_pair {
    conn client;
    conn server;
};

memory_pair make_pair(std::shared_ptr<tls::certificate_credentials> cc, std::shared_ptr<tls::server_credentials> sc,
                      tls::tls_options copts = {.server_name = "localhost"}) {
    auto [a, b] = tls::testing::memory_transport_pair();
    memory_pair p{conn(tls::wrap_client(std::move(cc), std::move(a.source), std::move(a.sink), copts)),
                  conn(tls::wrap_server(std::move(sc), std::move(b.source), std::move(b.sink)))};
    // Like a server that handshakes as soon as it accepts; the outcome stays
    // available to the session's later calls.
    (void)p.server.s.handshake().handle_exception([](std::exception_ptr) {});
    return p;
}

std::string message_of(std::exception_ptr e) {
    try {
        if (e) {
            std::rethrow_exception(e);
        }
    } catch (const std::exception& x) {
        return x.what();
    }
    return "";
}

// The exception of a future that must fail; fails the test if it does not.
template <typename T>
future<std::exception_ptr> failure_of(future<T> f) {
    try {
        co_await with_timeout(std::chrono::steady_clock::now() + 10s, std::move(f));
    } catch (...) {
        std::cerr << "failed as expected: " << message_of(std::current_exception()) << "\n";
        co_return std::current_exception();
    }
    ADD_FAILURE() << "expected a failure";
    co_return nullptr;
}

bool is_verification_error(std::exception_ptr e) {
    try {
        if (e) {
            std::rethrow_exception(e);
        }
    } catch (const tls::verification_error&) {
        return true;
    } catch (...) {
    }
    return false;
}

// Runs both handshakes; returns their outcomes.
future<std::pair<std::exception_ptr, std::exception_ptr>> handshake_both(memory_pair& p) {
    auto run = [](tls::session& s) -> future<std::exception_ptr> {
        try {
            co_await with_timeout(std::chrono::steady_clock::now() + 10s, s.handshake());
        } catch (...) {
            std::cerr << "handshake failed: " << message_of(std::current_exception()) << "\n";
            co_return std::current_exception();
        }
        co_return nullptr;
    };
    auto [c, s] = co_await when_all_succeed(run(p.client.s), run(p.server.s));
    co_return std::make_pair(c, s);
}

// Closes both sides without waiting on each other (a failed session's close
// must still close the transport).
future<> close_both(memory_pair& p) {
    co_await when_all(p.client.close(), p.server.close());
}

} // namespace

// ---- our client <-> our server, in memory ----

SEASTAR_TEST_CASE(tls_memory, handshake_and_echo) {
    auto p = make_pair(client_creds(), server_creds());
    co_await p.client.send("hello over tls");
    auto got = co_await p.server.recv_exactly(14);
    EXPECT_EQ(got, "hello over tls");
    co_await p.server.send("HELLO OVER TLS");
    EXPECT_EQ(co_await p.client.recv_exactly(14), "HELLO OVER TLS");

    auto dn = co_await p.client.s.get_dn_information();
    EXPECT_TRUE(dn.has_value());
    if (dn) {
        EXPECT_EQ(dn->subject, "CN=localhost");
        EXPECT_EQ(dn->issuer, "CN=Test CA");
    }
    // No client certificate was asked for.
    EXPECT_FALSE((co_await p.server.s.get_dn_information()).has_value());
    EXPECT_EQ(co_await p.server.s.get_server_name(), "localhost");
    EXPECT_FALSE(co_await p.client.s.check_session_is_resumed());
    EXPECT_FALSE((co_await p.client.s.get_selected_alpn_protocol()).has_value());
    co_await close_both(p);
}

SEASTAR_TEST_CASE(tls_memory, bulk_both_ways) {
    auto p = make_pair(client_creds(), server_creds());
    std::string big(1 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) {
        big[i] = char(i * 7 + i / 251);
    }
    auto writer = [](conn& c, const std::string& data) -> future<> {
        // Uneven pieces, so records do not line up with writes.
        size_t off = 0, step = 1;
        while (off < data.size()) {
            size_t n = std::min(data.size() - off, step);
            co_await c.send(data.substr(off, n));
            off += n;
            step = step * 3 % 70001 + 1;
        }
    };
    // Readers run beside the writers, as a transport's buffers are bounded.
    auto [got_s, got_c] =
        co_await when_all_succeed(writer(p.client, big), writer(p.server, big), p.server.recv_exactly(big.size()),
                                  p.client.recv_exactly(big.size()));
    EXPECT_TRUE(got_s == big);
    EXPECT_TRUE(got_c == big);
    co_await close_both(p);
}

// close() sends close_notify: the server reads end of stream while the
// client's transport is still open (the client waits for the server's
// close_notify before closing it), then the server's close answers it.
SEASTAR_TEST_CASE(tls_memory, close_notify_both_ways) {
    auto p = make_pair(client_creds(), server_creds());
    co_await p.client.send("bye");
    EXPECT_EQ(co_await p.server.recv_exactly(3), "bye");
    auto client_close = p.client.out.close();
    auto eof = co_await with_timeout(std::chrono::steady_clock::now() + 10s, p.server.in.get());
    EXPECT_TRUE(eof.empty());
    EXPECT_FALSE(client_close.available());
    // Server data sent before its close_notify still reaches the client.
    co_await p.server.send("last words");
    co_await p.server.out.close();
    co_await with_timeout(std::chrono::steady_clock::now() + 10s, std::move(client_close));
    EXPECT_EQ(co_await p.client.recv_exactly(100), "last words");
    EXPECT_TRUE((co_await p.client.in.get()).empty());
    // Writing after close fails.
    auto e = co_await failure_of(p.client.out.put(temporary_buffer<char>("x", 1)));
    EXPECT_TRUE(e);
    co_await p.client.in.close();
    co_await p.server.in.close();
}

// A peer that never answers close_notify holds close() up to
// shutdown_timeout only; the transport is closed after it.
SEASTAR_TEST_CASE(tls_memory, close_bounded_when_peer_does_not_answer) {
    auto p = make_pair(client_creds(), server_creds(), {.server_name = "localhost", .shutdown_timeout = 50ms});
    auto [c, s] = co_await handshake_both(p);
    EXPECT_FALSE(c);
    co_await with_timeout(std::chrono::steady_clock::now() + 10s, p.client.out.close());
    // The server still finds the close_notify, then the end of the transport.
    EXPECT_TRUE((co_await p.server.in.get()).empty());
    co_await close_both(p);
}

SEASTAR_TEST_CASE(tls_memory, alpn_negotiated) {
    auto p = make_pair(client_creds(), server_creds("server", tls::client_auth::NONE, {"h2", "http/1.1"}),
                       {.server_name = "localhost", .alpn_protocols = {"foo", "http/1.1", "h2"}});
    // The server's preference wins.
    EXPECT_EQ(co_await p.client.s.get_selected_alpn_protocol(), std::optional<std::string>("h2"));
    EXPECT_EQ(co_await p.server.s.get_selected_alpn_protocol(), std::optional<std::string>("h2"));
    co_await close_both(p);

    // Credentials' list on the client.
    auto cc = client_creds();
    cc->set_alpn_protocols({"http/1.1"});
    auto q = make_pair(cc, server_creds("server", tls::client_auth::NONE, {"h2", "http/1.1"}));
    EXPECT_EQ(co_await q.client.s.get_selected_alpn_protocol(), std::optional<std::string>("http/1.1"));
    co_await close_both(q);
}

SEASTAR_TEST_CASE(tls_memory, alpn_no_common_protocol_fails) {
    auto p = make_pair(client_creds(), server_creds("server", tls::client_auth::NONE, {"h2"}),
                       {.server_name = "localhost", .alpn_protocols = {"spdy/1"}});
    auto [c, s] = co_await handshake_both(p);
    EXPECT_TRUE(c);
    EXPECT_TRUE(s);
    EXPECT_NE(message_of(c).find("NO_APPLICATION_PROTOCOL"), std::string::npos) << message_of(c);
    co_await close_both(p);
}

SEASTAR_TEST_CASE(tls_memory, unknown_ca_rejected) {
    auto p = make_pair(client_creds("other_ca"), server_creds());
    auto [c, s] = co_await handshake_both(p);
    EXPECT_TRUE(is_verification_error(c)) << message_of(c);
    EXPECT_NE(message_of(c).find("unable to get local issuer certificate"), std::string::npos) << message_of(c);
    EXPECT_NE(message_of(c).find("CERTIFICATE_VERIFY_FAILED"), std::string::npos) << message_of(c);
    // The server learns of it through the client's alert.
    EXPECT_TRUE(s);
    EXPECT_NE(message_of(s).find("ALERT"), std::string::npos) << message_of(s);
    // Later reads and writes fail the same way.
    auto e = co_await failure_of(p.client.in.get());
    EXPECT_TRUE(is_verification_error(e));
    co_await close_both(p);
}

SEASTAR_TEST_CASE(tls_memory, expired_certificate_rejected) {
    auto p = make_pair(client_creds(), server_creds("expired"));
    auto [c, s] = co_await handshake_both(p);
    EXPECT_TRUE(is_verification_error(c)) << message_of(c);
    EXPECT_NE(message_of(c).find("certificate has expired"), std::string::npos) << message_of(c);
    EXPECT_TRUE(s);
    co_await close_both(p);
}

SEASTAR_TEST_CASE(tls_memory, hostname_mismatch_rejected) {
    auto p = make_pair(client_creds(), server_creds(), {.server_name = "www.example.com"});
    auto [c, s] = co_await handshake_both(p);
    EXPECT_TRUE(is_verification_error(c)) << message_of(c);
    EXPECT_NE(message_of(c).find("mismatch"), std::string::npos) << message_of(c);
    EXPECT_NE(message_of(c).find("www.example.com"), std::string::npos) << message_of(c);
    co_await close_both(p);
}

SEASTAR_TEST_CASE(tls_memory, ip_address_checked) {
    auto ok = make_pair(client_creds(), server_creds(), {.server_name = "127.0.0.1"});
    auto [c1, s1] = co_await handshake_both(ok);
    EXPECT_FALSE(c1) << message_of(c1);
    EXPECT_FALSE(s1) << message_of(s1);
    // No SNI for an address.
    EXPECT_EQ(co_await ok.server.s.get_server_name(), "");
    co_await close_both(ok);

    auto bad = make_pair(client_creds(), server_creds(), {.server_name = "127.0.0.2"});
    auto [c2, s2] = co_await handshake_both(bad);
    EXPECT_TRUE(is_verification_error(c2)) << message_of(c2);
    co_await close_both(bad);
}

SEASTAR_TEST_CASE(tls_memory, client_certificate_required) {
    // Without a certificate: the server rejects the client.
    auto p = make_pair(client_creds(), server_creds("server", tls::client_auth::REQUIRE));
    auto [c, s] = co_await handshake_both(p);
    EXPECT_TRUE(is_verification_error(s)) << message_of(s);
    EXPECT_NE(message_of(s).find("did not present a certificate"), std::string::npos) << message_of(s);
    // In TLS 1.3 the client finishes first and hears of it on its next read.
    auto e = c ? c : co_await failure_of(p.client.in.get());
    EXPECT_NE(message_of(e).find("CERTIFICATE_REQUIRED"), std::string::npos) << message_of(e);
    co_await close_both(p);

    // With one: accepted, and the server sees who the client is.
    auto q = make_pair(client_creds("ca", true), server_creds("server", tls::client_auth::REQUIRE));
    auto [c2, s2] = co_await handshake_both(q);
    EXPECT_FALSE(c2) << message_of(c2);
    EXPECT_FALSE(s2) << message_of(s2);
    auto dn = co_await q.server.s.get_dn_information();
    EXPECT_TRUE(dn && dn->subject == "CN=client");
    co_await close_both(q);
}

SEASTAR_TEST_CASE(tls_memory, client_certificate_from_unknown_ca_rejected) {
    auto sc = server_creds("server", tls::client_auth::REQUEST);
    auto cc = client_creds();
    cc->set_x509_key(read_file(cert_path("other.pem")), read_file(cert_path("other.key")), PEM);
    auto p = make_pair(cc, sc);
    auto [c, s] = co_await handshake_both(p);
    EXPECT_TRUE(is_verification_error(s)) << message_of(s);
    EXPECT_NE(message_of(s).find("unable to get local issuer certificate"), std::string::npos) << message_of(s);
    co_await close_both(p);
}

// A peer that is not TLS, or that goes away mid-handshake.
SEASTAR_TEST_CASE(tls_memory, peer_closes_mid_handshake) {
    auto [a, b] = tls::testing::memory_transport_pair();
    conn client(tls::wrap_client(client_creds(), std::move(a.source), std::move(a.sink), {.server_name = "localhost"}));
    auto hs = client.s.handshake();
    auto hello = co_await b.source.get(); // the ClientHello
    EXPECT_FALSE(hello.empty());
    co_await b.sink.close();
    auto e = co_await failure_of(std::move(hs));
    EXPECT_NE(message_of(e).find("connection closed by the peer"), std::string::npos) << message_of(e);
    auto e2 = co_await failure_of(client.out.put(temporary_buffer<char>("x", 1)));
    EXPECT_EQ(message_of(e2), message_of(e));
    co_await client.close();
    co_await b.source.close();
}

SEASTAR_TEST_CASE(tls_memory, garbage_from_server) {
    auto [a, b] = tls::testing::memory_transport_pair();
    conn client(tls::wrap_client(client_creds(), std::move(a.source), std::move(a.sink), {.server_name = "localhost"}));
    auto hs = client.s.handshake();
    (void)co_await b.source.get();
    std::string junk = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    co_await b.sink.put(temporary_buffer<char>(junk.data(), junk.size()));
    auto e = co_await failure_of(std::move(hs));
    try {
        std::rethrow_exception(e);
    } catch (const std::system_error& x) {
        EXPECT_EQ(&x.code().category(), &tls::error_category());
        EXPECT_NE(std::string(x.what()).find("handshake with server localhost failed"), std::string::npos) << x.what();
    } catch (...) {
        ADD_FAILURE() << "not a system_error: " << message_of(e);
    }
    co_await client.close();
    co_await b.sink.close();
    co_await b.source.close();
}

SEASTAR_TEST_CASE(tls_memory, garbage_from_client) {
    auto [a, b] = tls::testing::memory_transport_pair();
    conn server(tls::wrap_server(server_creds(), std::move(b.source), std::move(b.sink)));
    std::string junk(300, 'G');
    co_await a.sink.put(temporary_buffer<char>(junk.data(), junk.size()));
    auto e = co_await failure_of(server.in.get());
    EXPECT_NE(message_of(e).find("handshake with client failed"), std::string::npos) << message_of(e);
    co_await a.sink.close();
    co_await server.close();
    co_await a.source.close();
}

SEASTAR_TEST_CASE(tls_memory, credentials_reject_bad_input) {
    tls::certificate_credentials c;
    EXPECT_THROW(c.set_x509_trust("not a certificate", PEM), std::invalid_argument);
    EXPECT_THROW(c.set_x509_trust("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", PEM),
                 std::invalid_argument);
    EXPECT_THROW(c.set_x509_trust("\x30\x03\x02\x01", tls::x509_crt_format::DER), std::invalid_argument);
    // A key that does not belong to the certificate.
    EXPECT_THROW(c.set_x509_key(read_file(cert_path("server.pem")), read_file(cert_path("client.key")), PEM),
                 std::invalid_argument);
    EXPECT_THROW(c.set_x509_key(read_file(cert_path("server.pem")), "garbage", PEM), std::invalid_argument);
    EXPECT_THROW(c.set_alpn_protocols({""}), std::invalid_argument);
    auto e = co_await failure_of(c.set_x509_trust_file(cert_path("no-such-file.pem"), PEM));
    EXPECT_NE(message_of(e).find("no-such-file.pem"), std::string::npos) << message_of(e);
}

SEASTAR_TEST_CASE(tls_memory, credentials_from_files_and_der) {
    auto cc = std::make_shared<tls::certificate_credentials>();
    co_await cc->set_x509_trust_file(cert_path("ca.der"), tls::x509_crt_format::DER);
    auto sc = std::make_shared<tls::server_credentials>();
    // A PEM with the chain after the leaf.
    co_await sc->set_x509_key_file(cert_path("server_chain.pem"), cert_path("server.key"), PEM);
    auto p = make_pair(cc, sc);
    auto [c, s] = co_await handshake_both(p);
    EXPECT_FALSE(c) << message_of(c);
    EXPECT_FALSE(s) << message_of(s);
    co_await close_both(p);

    // DER leaf and key.
    auto sc2 = std::make_shared<tls::server_credentials>();
    co_await sc2->set_x509_key_file(cert_path("server.der"), cert_path("server.key.der"), tls::x509_crt_format::DER);
    auto q = make_pair(client_creds(), sc2);
    auto [c2, s2] = co_await handshake_both(q);
    EXPECT_FALSE(c2) << message_of(c2);
    co_await close_both(q);
}

SEASTAR_TEST_CASE(tls_memory, system_trust_does_not_know_our_ca) {
    auto cc = std::make_shared<tls::certificate_credentials>();
    co_await cc->set_system_trust();
    auto p = make_pair(cc, server_creds());
    auto [c, s] = co_await handshake_both(p);
    EXPECT_TRUE(is_verification_error(c)) << message_of(c);
    co_await close_both(p);
}

SEASTAR_TEST_CASE(tls_memory, credentials_builder_builds_both_sides) {
    tls::credentials_builder sb;
    co_await sb.set_x509_key_file(cert_path("server.pem"), cert_path("server.key"), PEM);
    co_await sb.set_x509_trust_file(cert_path("ca.pem"), PEM);
    sb.set_client_auth(tls::client_auth::REQUIRE);
    sb.set_alpn_protocols({"h2"});
    tls::credentials_builder cb;
    cb.set_x509_trust(read_file(cert_path("ca.pem")), PEM);
    cb.set_x509_key(read_file(cert_path("client.pem")), read_file(cert_path("client.key")), PEM);
    cb.set_alpn_protocols({"h2"});
    EXPECT_THROW(cb.set_x509_trust("junk", PEM), std::invalid_argument);
    // Two independent sets built from the same builders.
    for (int i = 0; i < 2; ++i) {
        auto p = make_pair(cb.build_certificate_credentials(), sb.build_server_credentials());
        auto [c, s] = co_await handshake_both(p);
        EXPECT_FALSE(c) << message_of(c);
        EXPECT_FALSE(s) << message_of(s);
        auto dn = co_await p.server.s.get_dn_information();
        EXPECT_TRUE(dn && dn->subject == "CN=client");
        EXPECT_EQ(co_await p.client.s.get_selected_alpn_protocol(), std::optional<std::string>("h2"));
        co_await close_both(p);
    }
}

// Dropping every handle of a session while its handshake waits is safe:
// the handshake keeps the session alive and still reports its outcome.
SEASTAR_TEST_CASE(tls_memory, dropped_mid_handshake_is_safe) {
    auto [a, b] = tls::testing::memory_transport_pair();
    auto hs = [&] {
        auto s = tls::wrap_client(client_creds(), std::move(a.source), std::move(a.sink), {.server_name = "localhost"});
        return s.handshake();
    }();
    auto hello = co_await b.source.get();
    EXPECT_FALSE(hello.empty());
    co_await b.sink.close();
    auto e = co_await failure_of(std::move(hs));
    EXPECT_NE(message_of(e).find("connection closed by the peer"), std::string::npos) << message_of(e);
    co_await b.source.close();
}

SEASTAR_TEST_CASE(tls_memory, session_resumption) {
    auto cc = client_creds();
    auto sc = server_creds();
    auto first = make_pair(cc, sc);
    // The server speaks first; the client's read starts its handshake.
    auto [got] = co_await when_all_succeed(first.server.send("ticket comes first"), first.client.recv_exactly(18));
    EXPECT_EQ(got, "ticket comes first");
    EXPECT_FALSE(co_await first.client.s.check_session_is_resumed());
    auto data = co_await first.client.s.get_session_resume_data();
    EXPECT_FALSE(data.empty());
    co_await close_both(first);

    auto second = make_pair(cc, sc, {.server_name = "localhost", .session_resume_data = data});
    co_await second.client.send("again");
    EXPECT_EQ(co_await second.server.recv_exactly(5), "again");
    EXPECT_TRUE(co_await second.client.s.check_session_is_resumed());
    EXPECT_TRUE(co_await second.server.s.check_session_is_resumed());
    // The peer's identity is still known on a resumed session.
    auto dn = co_await second.client.s.get_dn_information();
    EXPECT_TRUE(dn && dn->subject == "CN=localhost");
    co_await close_both(second);

    // Garbage resume data: a full handshake.
    auto third = make_pair(cc, sc, {.server_name = "localhost", .session_resume_data = {1, 2, 3}});
    auto [c, s] = co_await handshake_both(third);
    EXPECT_FALSE(c) << message_of(c);
    EXPECT_FALSE(co_await third.client.s.check_session_is_resumed());
    co_await close_both(third);
}
