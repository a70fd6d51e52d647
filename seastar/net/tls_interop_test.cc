// TLS against real peers on 127.0.0.1: openssl s_server / s_client and
// BoringSSL's bssl tool (installed as bssl-tool), as child processes.
// Tests skip, saying so, when a tool is missing.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <iostream>
#include <string>

#include "seastar/core/coroutine.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/with_timeout.hh"
#include "seastar/net/api.hh"
#include "seastar/net/tls.hh"
#include "seastar/net/tls_test_util.hh"
#include "seastar/testing/seastar_test.hh"

using namespace seastar;
using namespace std::chrono_literals;
using tls::testing::cert_path;
using tls::testing::find_tool;
using tls::testing::process;
using tls::testing::read_file;

namespace {

constexpr auto PEM = tls::x509_crt_format::PEM;
constexpr auto wait_limit = 10s;

// A test that needs `tool`; skipped when it is not installed.
#define TLS_INTEROP_TEST(suite, name, tool)                                                                            \
    static ::seastar::future<> interop_body_##suite##_##name();                                                        \
    TEST(suite, name) {                                                                                                \
        if (find_tool(tool).empty()) {                                                                                 \
            GTEST_SKIP() << tool << " is not installed; skipping this interoperability test";                          \
        }                                                                                                              \
        ::seastar::testing::run_in_reactor(&interop_body_##suite##_##name);                                            \
    }                                                                                                                  \
    static ::seastar::future<> interop_body_##suite##_##name()

std::shared_ptr<tls::server_credentials> server_creds(tls::client_auth auth = tls::client_auth::NONE,
                                                      std::vector<std::string> alpn = {}) {
    auto c = std::make_shared<tls::server_credentials>();
    c->set_x509_key(read_file(cert_path("server.pem")), read_file(cert_path("server.key")), PEM);
    c->set_x509_trust(read_file(cert_path("ca.pem")), PEM);
    c->set_client_auth(auth);
    if (!alpn.empty()) {
        c->set_alpn_protocols(std::move(alpn));
    }
    return c;
}

std::shared_ptr<tls::certificate_credentials> client_creds() {
    auto c = std::make_shared<tls::certificate_credentials>();
    c->set_x509_trust(read_file(cert_path("ca.pem")), PEM);
    return c;
}

socket_address local(uint16_t port) {
    return socket_address(ipv4_addr("127.0.0.1", port));
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

template <typename T>
future<std::exception_ptr> failure_of(future<T> f) {
    try {
        co_await with_timeout(std::chrono::steady_clock::now() + wait_limit, std::move(f));
    } catch (...) {
        std::cerr << "failed as expected: " << message_of(std::current_exception()) << "\n";
        co_return std::current_exception();
    }
    ADD_FAILURE() << "expected a failure";
    co_return nullptr;
}

// Reads until `needle` shows up or the stream ends; bounded in time.
future<std::string> read_until(input_stream<char>& in, std::string needle) {
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + wait_limit;
    while (got.find(needle) == std::string::npos) {
        auto b = co_await with_timeout(deadline, in.read());
        if (b.empty()) {
            break;
        }
        got.append(b.get(), b.size());
    }
    co_return got;
}

// Connects, retrying while the peer process is not listening yet.
future<connected_socket> connect_retry(uint16_t port) {
    auto deadline = std::chrono::steady_clock::now() + wait_limit;
    for (;;) {
        try {
            co_return co_await seastar::connect(local(port));
        } catch (const std::system_error& e) {
            if (e.code().value() != ECONNREFUSED || std::chrono::steady_clock::now() > deadline) {
                throw;
            }
        }
        co_await sleep(20ms);
    }
}

process openssl_s_server(uint16_t port, const std::string& cert, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {find_tool("openssl"),
                                     "s_server",
                                     "-accept",
                                     "127.0.0.1:" + std::to_string(port),
                                     "-cert",
                                     cert_path(cert + ".pem"),
                                     "-key",
                                     cert_path(cert + ".key"),
                                     "-naccept",
                                     "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return process(argv, "s_server_" + std::to_string(port) + ".log");
}

process bssl_s_server(uint16_t port, const std::string& cert, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        find_tool("bssl-tool"),  "s_server", "-accept", std::to_string(port), "-cert", cert_path(cert + ".pem"), "-key",
        cert_path(cert + ".key")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return process(argv, "bssl_s_server_" + std::to_string(port) + ".log");
}

} // namespace

// ---- openssl ----

TLS_INTEROP_TEST(tls_openssl, our_client_to_s_server, "openssl") {
    auto port = tls::testing::pick_free_port();
    auto srv = openssl_s_server(port, "server", {"-alpn", "http/1.1"});
    EXPECT_TRUE(co_await srv.wait_for_output("ACCEPT", wait_limit)) << srv.output();
    auto cs = co_await tls::wrap_client(client_creds(), co_await connect_retry(port),
                                        {.server_name = "localhost", .alpn_protocols = {"h2", "http/1.1"}});
    auto in = cs.input();
    auto out = cs.output();
    co_await out.write("hello from seastar\n");
    co_await out.flush();
    EXPECT_TRUE(co_await srv.wait_for_output("hello from seastar", wait_limit)) << srv.output();
    EXPECT_EQ(co_await tls::get_selected_alpn_protocol(cs), std::optional<std::string>("http/1.1"));
    auto dn = co_await tls::get_dn_information(cs);
    EXPECT_TRUE(dn && dn->subject == "CN=localhost" && dn->issuer == "CN=Test CA");

    srv.write_stdin("hello from openssl\n");
    auto got = co_await read_until(in, "\n");
    EXPECT_EQ(got, "hello from openssl\n");

    // close_notify: s_server reports DONE (an EOF without it is an error
    // there), then answers with its own, which ends our reads.
    co_await with_timeout(std::chrono::steady_clock::now() + wait_limit, out.close());
    EXPECT_TRUE(co_await srv.wait_for_output("DONE", wait_limit)) << srv.output();
    EXPECT_TRUE((co_await with_timeout(std::chrono::steady_clock::now() + wait_limit, in.read())).empty());
    co_await in.close();
    auto status = co_await srv.wait_exit(wait_limit);
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << srv.output();
}

TLS_INTEROP_TEST(tls_openssl, s_client_to_our_server, "openssl") {
    auto ss = tls::listen(server_creds(tls::client_auth::NONE, {"h2", "http/1.1"}), local(0));
    auto port = ss.local_address().port();
    process cli({find_tool("openssl"), "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-servername",
                 "localhost", "-CAfile", cert_path("ca.pem"), "-verify_return_error", "-verify_hostname", "localhost",
                 "-alpn", "http/1.1"},
                "s_client_" + std::to_string(port) + ".log");
    auto ar = co_await with_timeout(std::chrono::steady_clock::now() + wait_limit, ss.accept());
    auto& cs = ar.connection;
    auto in = cs.input();
    auto out = cs.output();
    EXPECT_EQ(co_await tls::get_server_name(cs), "localhost");
    EXPECT_EQ(co_await tls::get_selected_alpn_protocol(cs), std::optional<std::string>("http/1.1"));
    EXPECT_FALSE((co_await tls::get_dn_information(cs)).has_value());

    cli.write_stdin("ping from s_client\n");
    EXPECT_EQ(co_await read_until(in, "\n"), "ping from s_client\n");
    co_await out.write("pong from seastar\n");
    co_await out.flush();
    EXPECT_TRUE(co_await cli.wait_for_output("pong from seastar", wait_limit)) << cli.output();
    // Our close_notify: s_client says "closed" only when it got one.
    co_await out.close();
    EXPECT_TRUE(co_await cli.wait_for_output("\nclosed\n", wait_limit)) << cli.output();
    EXPECT_NE(cli.output().find("Verify return code: 0 (ok)"), std::string::npos) << cli.output();
    co_await in.close();
    ss.abort_accept();
}

TLS_INTEROP_TEST(tls_openssl, s_client_without_required_certificate, "openssl") {
    auto ss = tls::listen(server_creds(tls::client_auth::REQUIRE), local(0));
    auto port = ss.local_address().port();
    process cli({find_tool("openssl"), "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile",
                 cert_path("ca.pem")},
                "s_client_nocert_" + std::to_string(port) + ".log");
    auto ar = co_await with_timeout(std::chrono::steady_clock::now() + wait_limit, ss.accept());
    auto e = co_await failure_of(tls::check_handshake(ar.connection));
    EXPECT_TRUE(is_verification_error(e)) << message_of(e);
    EXPECT_NE(message_of(e).find("did not present a certificate"), std::string::npos);
    // The client is told why.
    EXPECT_TRUE(co_await cli.wait_for_output("certificate required", wait_limit)) << cli.output();
    auto out = ar.connection.output();
    co_await out.close();
    ss.abort_accept();
}

TLS_INTEROP_TEST(tls_openssl, our_client_rejects_unknown_ca, "openssl") {
    auto port = tls::testing::pick_free_port();
    auto srv = openssl_s_server(port, "other");
    EXPECT_TRUE(co_await srv.wait_for_output("ACCEPT", wait_limit)) << srv.output();
    auto cs = co_await tls::wrap_client(client_creds(), co_await connect_retry(port), {.server_name = "localhost"});
    auto e = co_await failure_of(tls::check_handshake(cs));
    EXPECT_NE(message_of(e).find("unable to get local issuer certificate"), std::string::npos) << message_of(e);
    // Our alert reaches s_server.
    EXPECT_TRUE(co_await srv.wait_for_output("unknown ca", wait_limit)) << srv.output();
    auto out = cs.output();
    co_await out.close();
}

TLS_INTEROP_TEST(tls_openssl, our_client_rejects_hostname_mismatch, "openssl") {
    auto port = tls::testing::pick_free_port();
    auto srv = openssl_s_server(port, "server");
    EXPECT_TRUE(co_await srv.wait_for_output("ACCEPT", wait_limit)) << srv.output();
    // (The older overload that takes just the name.)
    auto cs = co_await tls::wrap_client(client_creds(), co_await connect_retry(port), "db.example");
    auto in = cs.input();
    auto e = co_await failure_of(in.read());
    EXPECT_NE(message_of(e).find("Hostname mismatch"), std::string::npos) << message_of(e);
    co_await in.close();
}

// Renegotiation is refused: s_server asks for it (its "r" command, over
// TLS 1.2) and our read fails with a clear error instead of renegotiating.
TLS_INTEROP_TEST(tls_openssl, renegotiation_refused, "openssl") {
    auto port = tls::testing::pick_free_port();
    auto srv = openssl_s_server(port, "server", {"-tls1_2"});
    EXPECT_TRUE(co_await srv.wait_for_output("ACCEPT", wait_limit)) << srv.output();
    auto cs = co_await tls::wrap_client(client_creds(), co_await connect_retry(port), {.server_name = "localhost"});
    auto in = cs.input();
    auto out = cs.output();
    co_await out.write("x\n");
    co_await out.flush();
    EXPECT_TRUE(co_await srv.wait_for_output("x\n", wait_limit)) << srv.output();
    srv.write_stdin("r\n");
    auto e = co_await failure_of(read_until(in, "never"));
    EXPECT_NE(message_of(e).find("NO_RENEGOTIATION"), std::string::npos) << message_of(e);
    co_await out.close();
    co_await in.close();
}

// A session from one connection resumes on the next (s_server issues
// tickets; it takes two connections here).
TLS_INTEROP_TEST(tls_openssl, session_resumed_with_s_server, "openssl") {
    auto port = tls::testing::pick_free_port();
    process srv({find_tool("openssl"), "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
                 cert_path("server.pem"), "-key", cert_path("server.key"), "-naccept", "2"},
                "s_server_resume_" + std::to_string(port) + ".log");
    EXPECT_TRUE(co_await srv.wait_for_output("ACCEPT", wait_limit)) << srv.output();
    tls::session_data data;
    {
        auto cs = co_await tls::wrap_client(client_creds(), co_await connect_retry(port), "localhost");
        auto in = cs.input();
        auto out = cs.output();
        co_await out.write("first\n");
        co_await out.flush();
        EXPECT_TRUE(co_await srv.wait_for_output("first", wait_limit)) << srv.output();
        srv.write_stdin("ticket?\n");
        EXPECT_EQ(co_await read_until(in, "\n"), "ticket?\n");
        EXPECT_FALSE(co_await tls::check_session_is_resumed(cs));
        data = co_await tls::get_session_resume_data(cs);
        EXPECT_FALSE(data.empty());
        co_await out.close();
        co_await in.close();
    }
    auto cs = co_await tls::wrap_client(client_creds(), co_await connect_retry(port),
                                        {.server_name = "localhost", .session_resume_data = data});
    auto out = cs.output();
    co_await out.write("second\n");
    co_await out.flush();
    EXPECT_TRUE(co_await srv.wait_for_output("second", wait_limit)) << srv.output();
    EXPECT_TRUE(co_await tls::check_session_is_resumed(cs));
    co_await out.close();
}

// ---- BoringSSL's bssl tool ----

TLS_INTEROP_TEST(tls_bssl, our_client_to_s_server, "bssl-tool") {
    auto port = tls::testing::pick_free_port();
    auto srv = bssl_s_server(port, "server");
    auto cs = co_await tls::wrap_client(client_creds(), co_await connect_retry(port),
                                        {.wait_for_eof_on_shutdown = false, .server_name = "localhost"});
    auto in = cs.input();
    auto out = cs.output();
    co_await out.write("hello from seastar\n");
    co_await out.flush();
    EXPECT_TRUE(co_await srv.wait_for_output("hello from seastar", wait_limit)) << srv.output();
    // The SNI we sent reached the server.
    EXPECT_NE(srv.output().find("Client sent SNI: localhost"), std::string::npos) << srv.output();
    srv.write_stdin("hello from bssl\n");
    EXPECT_EQ(co_await read_until(in, "\n"), "hello from bssl\n");
    co_await out.close();
    co_await in.close();
}

TLS_INTEROP_TEST(tls_bssl, our_client_rejects_expired, "bssl-tool") {
    auto port = tls::testing::pick_free_port();
    auto srv = bssl_s_server(port, "expired");
    auto cs = co_await tls::wrap_client(client_creds(), co_await connect_retry(port), {.server_name = "localhost"});
    auto e = co_await failure_of(tls::check_handshake(cs));
    EXPECT_NE(message_of(e).find("certificate has expired"), std::string::npos) << message_of(e);
    auto out = cs.output();
    co_await out.close();
}

TLS_INTEROP_TEST(tls_bssl, s_client_to_our_server, "bssl-tool") {
    auto ss = tls::listen(server_creds(tls::client_auth::REQUIRE, {"h2", "http/1.1"}), local(0));
    auto port = ss.local_address().port();
    process cli({find_tool("bssl-tool"), "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-server-name",
                 "localhost", "-root-certs", cert_path("ca.pem"), "-alpn-protos", "http/1.1,h2", "-cert",
                 cert_path("client.pem"), "-key", cert_path("client.key")},
                "bssl_s_client_" + std::to_string(port) + ".log");
    auto ar = co_await with_timeout(std::chrono::steady_clock::now() + wait_limit, ss.accept());
    auto& cs = ar.connection;
    auto in = cs.input();
    auto out = cs.output();
    EXPECT_EQ(co_await tls::get_server_name(cs), "localhost");
    // Our preference (h2) among what the client offered.
    EXPECT_EQ(co_await tls::get_selected_alpn_protocol(cs), std::optional<std::string>("h2"));
    auto dn = co_await tls::get_dn_information(cs);
    EXPECT_TRUE(dn && dn->subject == "CN=client") << (dn ? dn->subject : "no certificate");
    cli.write_stdin("ping from bssl\n");
    EXPECT_EQ(co_await read_until(in, "\n"), "ping from bssl\n");
    co_await out.write("pong from seastar\n");
    co_await out.flush();
    EXPECT_TRUE(co_await cli.wait_for_output("pong from seastar", wait_limit)) << cli.output();
    EXPECT_NE(cli.output().find("ALPN protocol: h2"), std::string::npos) << cli.output();
    co_await out.close();
    co_await in.close();
    ss.abort_accept();
}

// ---- raw peers over TCP: not TLS, or gone mid-handshake ----

SEASTAR_TEST_CASE(tls_tcp, garbage_from_server) {
    auto ss = seastar::listen(local(0));
    auto port = ss.local_address().port();
    auto cs = co_await tls::connect(client_creds(), local(port), {.server_name = "localhost"});
    auto ar = co_await ss.accept();
    auto raw_out = ar.connection.output();
    co_await raw_out.write("SSH-2.0-OpenSSH_9.2\r\n");
    co_await raw_out.flush();
    auto e = co_await failure_of(tls::check_handshake(cs));
    EXPECT_NE(message_of(e).find("handshake with server localhost failed"), std::string::npos) << message_of(e);
    EXPECT_NE(message_of(e).find("WRONG_VERSION_NUMBER"), std::string::npos) << message_of(e);
    co_await raw_out.close();
    auto out = cs.output();
    co_await out.close();
    ss.abort_accept();
}

SEASTAR_TEST_CASE(tls_tcp, server_closes_mid_handshake) {
    auto ss = seastar::listen(local(0));
    auto port = ss.local_address().port();
    auto cs = co_await tls::connect(client_creds(), local(port), "localhost");
    auto hs = tls::check_handshake(cs);
    {
        auto ar = co_await ss.accept();
        auto raw_in = ar.connection.input();
        auto hello = co_await raw_in.read();
        EXPECT_FALSE(hello.empty());
        co_await raw_in.close();
        // Dropping the connection closes it.
    }
    auto e = co_await failure_of(std::move(hs));
    EXPECT_NE(message_of(e).find("handshake with server localhost failed"), std::string::npos) << message_of(e);
    auto out = cs.output();
    co_await out.close();
    ss.abort_accept();
}

// A reset (not a close) from the server: the transport's error, with context.
SEASTAR_TEST_CASE(tls_tcp, server_resets_mid_handshake) {
    auto ss = seastar::listen(local(0));
    auto port = ss.local_address().port();
    auto cs = co_await tls::connect(client_creds(), local(port), "localhost");
    auto hs = tls::check_handshake(cs);
    {
        auto ar = co_await ss.accept();
        auto raw_in = ar.connection.input();
        auto hello = co_await raw_in.read();
        EXPECT_FALSE(hello.empty());
        ::linger lg{1, 0}; // close() sends RST
        ar.connection.set_sockopt(SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    auto e = co_await failure_of(std::move(hs));
    EXPECT_NE(message_of(e).find("handshake with server localhost failed"), std::string::npos) << message_of(e);
    try {
        std::rethrow_exception(e);
    } catch (const std::system_error& x) {
        EXPECT_EQ(x.code().value(), ECONNRESET) << x.what();
    } catch (...) {
    }
    auto out = cs.output();
    co_await out.close();
    ss.abort_accept();
}

SEASTAR_TEST_CASE(tls_tcp, client_closes_mid_handshake) {
    auto ss = tls::listen(server_creds(), local(0));
    auto port = ss.local_address().port();
    auto raw = co_await seastar::connect(local(port));
    auto raw_out = raw.output();
    // A TLS record header promising more than is sent, then EOF.
    co_await raw_out.write(std::string("\x16\x03\x01\x02\x00\x01\x00", 7));
    co_await raw_out.flush();
    co_await raw_out.close();
    auto ar = co_await ss.accept();
    auto e = co_await failure_of(tls::check_handshake(ar.connection));
    EXPECT_NE(message_of(e).find("connection closed by the peer"), std::string::npos) << message_of(e);
    auto out = ar.connection.output();
    co_await out.close();
    ss.abort_accept();
}

SEASTAR_TEST_CASE(tls_tcp, queries_on_plain_socket_fail) {
    auto ss = seastar::listen(local(0));
    auto cs = co_await seastar::connect(local(ss.local_address().port()));
    auto e = co_await failure_of(tls::get_dn_information(cs));
    EXPECT_NE(message_of(e).find("not a TLS connected_socket"), std::string::npos);
    ss.abort_accept();
}
