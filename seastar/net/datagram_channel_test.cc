// Seastar's datagram API on the POSIX stack: make_bound_datagram_channel /
// make_unbound_datagram_channel over UDP on 127.0.0.1 and over unix-domain
// SOCK_DGRAM sockets, closing while a receive waits, a send whose caller
// reuses its address, and the errors of bad destinations and bad binds.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/net/api.hh"
#include "seastar/net/posix-stack.hh"
#include "seastar/net/stack.hh"
#include "seastar/testing/seastar_test.hh"

using namespace seastar;

namespace {

socket_address loopback(uint16_t port = 0) {
    return socket_address(ipv4_addr("127.0.0.1", port));
}

std::string text(net::packet& p) {
    std::string s;
    for (auto& f : p.fragments()) {
        s.append(f.base, f.size);
    }
    return s;
}

template <typename F>
future<> expect_errno(F&& f, int err) {
    try {
        co_await std::forward<F>(f)();
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), err) << e.what();
        co_return;
    }
    ADD_FAILURE() << "expected errno " << err;
}

template <typename F>
void expect_throws_errno(F&& f, int err) {
    try {
        f();
        ADD_FAILURE() << "expected errno " << err;
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), err) << e.what();
    }
}

SEASTAR_TEST_CASE(datagram_channel, bound_channels_exchange_on_loopback) {
    net::datagram_channel a = make_bound_datagram_channel(loopback());
    net::datagram_channel b = make_bound_datagram_channel(loopback());
    EXPECT_NE(a.local_address().port(), 0);
    EXPECT_EQ(a.local_address().family(), AF_INET);
    co_await a.send(b.local_address(), "hello");
    net::datagram d = co_await b.receive();
    EXPECT_EQ(text(d.get_data()), "hello");
    EXPECT_EQ(d.get_src(), a.local_address());
    EXPECT_EQ(d.get_dst(), b.local_address());
    EXPECT_EQ(d.get_dst_port(), b.local_address().port());
    net::packet reply(temporary_buffer<char>::copy_of("wor"));
    reply.append(net::packet(temporary_buffer<char>::copy_of("ld")));
    co_await b.send(d.get_src(), std::move(reply));
    auto r = co_await a.receive();
    EXPECT_EQ(text(r.get_data()), "world");
    // The old names are the same types.
    static_assert(std::is_same_v<net::udp_channel, net::datagram_channel>);
    static_assert(std::is_same_v<net::udp_datagram, net::datagram>);
    a.close();
    b.close();
}

SEASTAR_TEST_CASE(datagram_channel, unbound_channel_sends_and_gets_replies) {
    auto server = make_bound_datagram_channel(loopback());
    auto client = make_unbound_datagram_channel(AF_INET);
    EXPECT_EQ(client.local_address().port(), 0); // no port until the first send
    co_await client.send(server.local_address(), "request");
    auto d = co_await server.receive();
    EXPECT_EQ(text(d.get_data()), "request");
    EXPECT_NE(d.get_src().port(), 0);
    co_await server.send(d.get_src(), "response");
    auto r = co_await client.receive();
    EXPECT_EQ(text(r.get_data()), "response");
    EXPECT_EQ(r.get_src(), server.local_address());
    client.close();
    server.close();
}

SEASTAR_TEST_CASE(datagram_channel, unix_domain_datagrams) {
    auto name = std::string("\0seastar-dgram-", 15) + std::to_string(::getpid());
    socket_address sa(unix_domain_addr(name + "-a"));
    socket_address sb(unix_domain_addr(name + "-b"));
    auto a = make_bound_datagram_channel(sa);
    auto b = make_bound_datagram_channel(sb);
    EXPECT_EQ(a.local_address(), sa);
    co_await a.send(sb, "over unix");
    auto d = co_await b.receive();
    EXPECT_EQ(text(d.get_data()), "over unix");
    EXPECT_EQ(d.get_src(), sa);
    co_await b.send(d.get_src(), "back");
    EXPECT_EQ(text((co_await a.receive()).get_data()), "back");
    // An unbound unix channel sends; its datagrams have no source to answer.
    auto u = make_unbound_datagram_channel(AF_UNIX);
    co_await u.send(sb, "anonymous");
    auto e = co_await b.receive();
    EXPECT_EQ(text(e.get_data()), "anonymous");
    EXPECT_NE(e.get_src(), sa);
    u.close();
    a.close();
    b.close();
}

SEASTAR_TEST_CASE(datagram_channel, close_and_shutdown_fail_a_waiting_receive) {
    auto a = make_bound_datagram_channel(loopback());
    auto pending = a.receive();
    EXPECT_FALSE(pending.available());
    a.close();
    EXPECT_TRUE(a.is_closed());
    co_await expect_errno([&] { return std::move(pending).discard_result(); }, ECANCELED);
    co_await expect_errno([&] { return a.receive().discard_result(); }, ECANCELED);
    co_await expect_errno([&] { return a.send(loopback(9), "late"); }, EBADF);

    auto b = make_bound_datagram_channel(loopback());
    auto waiting = b.receive();
    b.shutdown_input();
    co_await expect_errno([&] { return std::move(waiting).discard_result(); }, EBADF);
    b.shutdown_output();
    co_await expect_errno([&] { return b.send(loopback(9), "x"); }, EBADF);
    EXPECT_FALSE(b.is_closed());
    b.close();
}

SEASTAR_TEST_CASE(datagram_channel, engine_net_is_the_shards_stack) {
    net::network_stack& s = engine().net();
    EXPECT_EQ(&s, &net::local_network_stack());
    EXPECT_NE(dynamic_cast<net::posix_network_stack*>(&s), nullptr);
    auto ch = s.make_bound_datagram_channel(loopback());
    EXPECT_NE(ch.local_address().port(), 0);
    ch.close();
    co_return;
}

// A caller may reuse the address it passed to send() before the send
// completed: the datagram still goes where the call said (the channel keeps
// its own copy with the message header until the kernel took it, which on
// io_uring is after send() returned).
SEASTAR_TEST_CASE(datagram_channel, a_send_keeps_its_destination_when_the_caller_reuses_it) {
    auto a = make_bound_datagram_channel(loopback());
    auto b = make_bound_datagram_channel(loopback());
    auto c = make_bound_datagram_channel(loopback());
    for (int i = 0; i < 8; ++i) {
        socket_address dst = (i % 2 ? c : b).local_address();
        auto f = a.send(dst, std::to_string(i).c_str());
        dst = (i % 2 ? b : c).local_address();
        co_await std::move(f);
    }
    co_await a.send(b.local_address(), "end");
    co_await a.send(c.local_address(), "end");
    for (auto [ch, want] : {std::pair{&b, std::string("0246end")}, std::pair{&c, std::string("1357end")}}) {
        std::string got;
        for (;;) {
            auto t = text((co_await ch->receive()).get_data());
            got += t;
            if (t == "end") {
                break;
            }
        }
        EXPECT_EQ(got, want);
    }
    a.close();
    b.close();
    c.close();
}

SEASTAR_TEST_CASE(datagram_channel, bad_destinations_and_binds_fail) {
    auto a = make_bound_datagram_channel(loopback());
    // Port 0 is not a destination.
    co_await expect_errno([&] { return a.send(loopback(0), "x"); }, EINVAL);
    // An address of another family.
    co_await expect_errno([&] { return a.send(socket_address(unix_domain_addr("/nonexistent")), "x"); }, EINVAL);
    // A unix path nobody bound: unreachable.
    auto u = make_unbound_datagram_channel(AF_UNIX);
    co_await expect_errno([&] { return u.send(socket_address(unix_domain_addr("/nonexistent/seastar.sock")), "x"); },
                          ENOENT);
    // The channel still works after failed sends.
    auto b = make_bound_datagram_channel(loopback());
    co_await a.send(b.local_address(), "still fine");
    EXPECT_EQ(text((co_await b.receive()).get_data()), "still fine");
    // Binding an address in use, an unspecified address, or an unknown family.
    expect_throws_errno([&] { (void)make_bound_datagram_channel(a.local_address()); }, EADDRINUSE);
    expect_throws_errno([&] { (void)make_bound_datagram_channel(socket_address()); }, EAFNOSUPPORT);
    expect_throws_errno([&] { (void)make_unbound_datagram_channel(AF_APPLETALK + 100); }, EAFNOSUPPORT);
    u.close();
    a.close();
    b.close();
}

} // namespace
