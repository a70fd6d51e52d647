// connected_socket and server_socket over two native TCP instances wired
// back to back (in memory, manual_clock): streams, addresses, options and
// errors as applications see them.
#include "seastar/net/tcp_socket.hh"

#include <gtest/gtest.h>

#include <string>
#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/net/api.hh"
#include "seastar/net/tcp_test_util.hh"

namespace seastar::net {
namespace {

using namespace testing;

future<std::string> read_all(input_stream<char>& in) {
    std::string s;
    while (true) {
        auto b = co_await in.read();
        if (b.empty()) {
            co_return s;
        }
        s.append(b.get(), b.size());
    }
}

future<std::string> serve_once(server_socket& ss) {
    auto ar = co_await ss.accept();
    auto in = ar.connection.input();
    auto out = ar.connection.output();
    auto got = co_await read_all(in);
    co_await out.write("echo:" + got);
    co_await out.close();
    co_return got;
}

future<std::string> client(mtcp& t, std::string msg) {
    auto c = co_await t.connect(ip_a, ip_b, 80);
    connected_socket s(make_tcp_connected_socket_impl<manual_clock>(std::move(c)));
    EXPECT_EQ(s.remote_address(), socket_address(ipv4_addr(ip_b, 80)));
    EXPECT_EQ(s.local_address().port() >= 32768, true);
    auto out = s.output();
    auto in = s.input();
    co_await out.write(msg);
    co_await out.close();
    co_return co_await read_all(in);
}

class tcp_socket_test : public ::testing::Test {
protected:
    local_scheduler sched;
    wire w;
    mtcp ta{w.a, {}};
    mtcp tb{w.b, {}};
    tcp_socket_test() {
        w.tcp[0] = &ta;
        w.tcp[1] = &tb;
    }
};

TEST_F(tcp_socket_test, streams_carry_bytes_both_ways_and_end_with_eof) {
    server_socket ss(make_tcp_server_socket_impl<manual_clock>(tb.listen(0, 80)));
    EXPECT_EQ(ss.local_address(), socket_address(ipv4_addr(0, 80)));
    std::string msg;
    for (int i = 0; i < 20000; ++i) {
        msg += "line " + std::to_string(i) + "\n";
    }
    auto server = serve_once(ss);
    auto reply = client(ta, msg);
    ASSERT_TRUE(w.run(sched, [&] { return server.available() && reply.available(); }, 100000));
    EXPECT_EQ(server.get(), msg);
    EXPECT_EQ(reply.get(), "echo:" + msg);
}

TEST_F(tcp_socket_test, options_and_unsupported_sockopts) {
    auto l = tb.listen(0, 80);
    auto fc = ta.connect(ip_a, ip_b, 80);
    auto fa = l.accept();
    ASSERT_TRUE(w.run(sched, [&] { return fc.available() && fa.available(); }, 1000));
    connected_socket s(make_tcp_connected_socket_impl<manual_clock>(fc.get()));
    s.set_nodelay(true);
    EXPECT_TRUE(s.get_nodelay());
    s.set_keepalive(true);
    EXPECT_TRUE(s.get_keepalive());
    s.set_keepalive_parameters(tcp_keepalive_params{std::chrono::seconds(30), std::chrono::seconds(5), 4});
    auto kp = std::get<tcp_keepalive_params>(s.get_keepalive_parameters());
    EXPECT_EQ(kp.idle, std::chrono::seconds(30));
    EXPECT_EQ(kp.count, 4u);
    EXPECT_THROW(s.set_keepalive_parameters(sctp_keepalive_params{std::chrono::seconds(1), 1}), std::system_error);
    int v = 1;
    try {
        s.set_sockopt(6, 1, &v, sizeof(v));
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOPROTOOPT);
    }
    fa.get();
}

TEST_F(tcp_socket_test, peer_reset_fails_the_reader) {
    auto l = tb.listen(0, 80);
    auto fc = ta.connect(ip_a, ip_b, 80);
    auto fa = l.accept();
    ASSERT_TRUE(w.run(sched, [&] { return fc.available() && fa.available(); }, 1000));
    connected_socket s(make_tcp_connected_socket_impl<manual_clock>(fc.get()));
    auto in = s.input();
    auto r = in.read();
    auto shut = s.wait_input_shutdown();
    auto peer = fa.get();
    peer.abort();
    ASSERT_TRUE(w.run(sched, [&] { return r.available() && shut.available(); }, 1000));
    try {
        r.get();
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ECONNRESET);
    }
    EXPECT_THROW(shut.get(), std::system_error);
}

TEST_F(tcp_socket_test, socket_connects_and_shutdown_aborts_a_connect) {
    auto l = tb.listen(0, 80);
    seastar::socket sock(make_tcp_socket_impl<manual_clock>(ta, ip_a));
    auto fc = sock.connect(socket_address(ipv4_addr(ip_b, 80)), socket_address(ipv4_addr(0, 4321)));
    auto fa = l.accept();
    ASSERT_TRUE(w.run(sched, [&] { return fc.available() && fa.available(); }, 1000));
    auto s = fc.get();
    EXPECT_EQ(s.local_address(), socket_address(ipv4_addr(ip_a, 4321)));
    // Nobody answers port 81 now: shutdown() ends the attempt.
    w.tcp[1] = nullptr;
    seastar::socket sock2(make_tcp_socket_impl<manual_clock>(ta, ip_a));
    auto pending = sock2.connect(socket_address(ipv4_addr(ip_b, 81)));
    w.run(sched, [] { return false; }, 10);
    EXPECT_FALSE(pending.available());
    sock2.shutdown();
    sched.run_until_idle();
    ASSERT_TRUE(pending.available());
    try {
        pending.get();
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ECONNABORTED);
    }
    seastar::socket sock3(make_tcp_socket_impl<manual_clock>(ta, ip_a));
    EXPECT_THROW(sock3.connect(socket_address(ipv4_addr(ip_b, 80)), {}, transport::SCTP).get(), std::system_error);
    fa.get();
}

TEST_F(tcp_socket_test, abort_accept_fails_accept) {
    server_socket ss(make_tcp_server_socket_impl<manual_clock>(tb.listen(0, 80)));
    auto a = ss.accept();
    ss.abort_accept();
    sched.run_until_idle();
    ASSERT_TRUE(a.available());
    EXPECT_THROW(a.get(), std::exception);
}

} // namespace
} // namespace seastar::net
