// UDP: channels bound to ports, datagrams in and out with checksums, and
// every bad datagram dropped and counted.
#include "seastar/net/udp.hh"

#include <gtest/gtest.h>

#include <system_error>

#include "seastar/core/local_scheduler.hh"
#include "seastar/net/byteorder.hh"
#include "seastar/net/ip_checksum.hh"
#include "seastar/net/net_test_util.hh"

namespace seastar::net {
namespace {

using testing::capture_device;
using testing::eth_frame;
using testing::flatten;
using testing::ipv4_packet;
using testing::udp_segment;

const ethernet_address us{{0x02, 0, 0, 0, 0, 0x01}};
const ethernet_address peer{{0x02, 0, 0, 0, 0, 0x99}};
const ipv4_address our_ip(0xc0000202);
const ipv4_address peer_ip(0xc0000201);

struct rig {
    local_scheduler sched;
    std::shared_ptr<capture_device> dev = std::make_shared<capture_device>(us);
    interface iface{dev->make_queue(0), dev->hw_address(), dev->hw_features()};
    arp a{iface, {}};
    ipv4 ip{iface, a, ipv4_config{.host = our_ip}};
    net::udp u{ip};
    rig() { a.learn(peer_ip, peer); }
    void inject_udp(const std::string& seg) {
        dev->inject(eth_frame(us, peer, 0x0800, ipv4_packet(peer_ip, our_ip, 17, seg)));
    }
    std::vector<std::string> flush() {
        sched.run_until_idle();
        return std::exchange(dev->sent(), {});
    }
};

int error_of(local_scheduler& s, future<> f) {
    try {
        s.wait(std::move(f));
    } catch (const std::system_error& e) {
        return e.code().value();
    }
    return 0;
}

TEST(udp, receives_on_a_bound_port) {
    rig r;
    udp_channel ch(r.u.make_channel(socket_address(ipv4_addr(5000))));
    EXPECT_EQ(ch.local_address(), socket_address(ipv4_addr(our_ip.ip, 5000)));
    auto f = ch.receive();
    EXPECT_FALSE(f.available());
    r.inject_udp(udp_segment(peer_ip, our_ip, 4000, 5000, "hello"));
    auto d = r.sched.wait(std::move(f));
    EXPECT_EQ(flatten(d.get_data()), "hello");
    EXPECT_EQ(d.get_src(), socket_address(ipv4_addr(peer_ip.ip, 4000)));
    EXPECT_EQ(d.get_dst(), socket_address(ipv4_addr(our_ip.ip, 5000)));
    EXPECT_EQ(d.get_dst_port(), 5000);
    // Queued while nobody waits.
    r.inject_udp(udp_segment(peer_ip, our_ip, 4000, 5000, "a"));
    r.inject_udp(udp_segment(peer_ip, our_ip, 4000, 5000, "b"));
    EXPECT_EQ(flatten(r.sched.wait(ch.receive()).get_data()), "a");
    EXPECT_EQ(flatten(r.sched.wait(ch.receive()).get_data()), "b");
}

TEST(udp, sends_with_a_correct_checksum) {
    rig r;
    udp_channel ch(r.u.make_channel(socket_address(ipv4_addr(5000))));
    r.sched.wait(ch.send(socket_address(ipv4_addr(peer_ip.ip, 4000)), "hi there"));
    auto sent = r.flush();
    ASSERT_EQ(sent.size(), 1u);
    std::string seg = sent[0].substr(14 + 20);
    EXPECT_EQ(seg, udp_segment(our_ip, peer_ip, 5000, 4000, "hi there"));
}

TEST(udp, bad_datagrams_are_dropped_and_counted) {
    rig r;
    udp_channel ch(r.u.make_channel(socket_address(ipv4_addr(5000))));
    std::string good = udp_segment(peer_ip, our_ip, 4000, 5000, "data");
    for (std::size_t n = 0; n < 8; ++n) {
        r.inject_udp(good.substr(0, n));
    }
    EXPECT_EQ(r.u.stats().rx_dropped_short, 8u);
    std::string b = good;
    write_be<uint16_t>(b.data() + 4, 7); // length below the header
    r.inject_udp(b);
    write_be<uint16_t>(b.data() + 4, 13); // beyond the datagram
    r.inject_udp(b);
    EXPECT_EQ(r.u.stats().rx_dropped_bad_length, 2u);
    b = good;
    b[9] ^= 1;
    r.inject_udp(b);
    EXPECT_EQ(r.u.stats().rx_dropped_bad_csum, 1u);
    r.inject_udp(udp_segment(peer_ip, our_ip, 4000, 5001, "data"));
    EXPECT_EQ(r.u.stats().rx_dropped_no_port, 1u);
    EXPECT_EQ(r.u.stats().rx_delivered, 0u);
    // Checksum 0 means none.
    b = good;
    write_be<uint16_t>(b.data() + 6, 0);
    r.inject_udp(b);
    EXPECT_EQ(r.u.stats().rx_delivered, 1u);
    EXPECT_EQ(flatten(r.sched.wait(ch.receive()).get_data()), "data");
}

TEST(udp, queue_is_bounded) {
    rig r;
    udp_channel ch(r.u.make_channel(socket_address(ipv4_addr(5000))));
    for (std::size_t i = 0; i < udp::max_queued + 3; ++i) {
        r.inject_udp(udp_segment(peer_ip, our_ip, 4000, 5000, "x"));
    }
    EXPECT_EQ(r.u.stats().rx_dropped_queue_full, 3u);
}

TEST(udp, ports_and_errors) {
    rig r;
    udp_channel a(r.u.make_channel(socket_address(ipv4_addr(5000))));
    EXPECT_THROW(r.u.make_channel(socket_address(ipv4_addr(5000))), std::system_error);
    udp_channel e1(r.u.make_channel(socket_address()));
    udp_channel e2(r.u.make_channel(socket_address(ipv4_addr(0))));
    EXPECT_GE(e1.local_address().port(), udp::first_ephemeral_port);
    EXPECT_NE(e1.local_address().port(), e2.local_address().port());
    EXPECT_EQ(error_of(r.sched, a.send(socket_address(ipv6_addr("::1", 1)), "x")), EAFNOSUPPORT);
    EXPECT_EQ(error_of(r.sched,
                       a.send(socket_address(ipv4_addr(peer_ip.ip, 1)), packet(std::string(65508, 'x').data(), 65508))),
              EMSGSIZE);
    auto pending = a.receive();
    a.close();
    EXPECT_TRUE(a.is_closed());
    EXPECT_EQ(error_of(r.sched, pending.then([](udp_datagram) {})), ECONNABORTED);
    EXPECT_EQ(error_of(r.sched, a.send(socket_address(ipv4_addr(peer_ip.ip, 1)), "x")), EPIPE);
    // The port is free again.
    udp_channel again(r.u.make_channel(socket_address(ipv4_addr(5000))));
    again.shutdown_output();
    EXPECT_EQ(error_of(r.sched, again.send(socket_address(ipv4_addr(peer_ip.ip, 1)), "x")), EPIPE);
}

TEST(udp, channel_outliving_the_stack_fails_cleanly) {
    std::optional<udp_channel> ch;
    std::optional<future<udp_datagram>> pending;
    {
        rig r;
        ch.emplace(r.u.make_channel(socket_address(ipv4_addr(5000))));
        pending.emplace(ch->receive());
    }
    local_scheduler sched;
    EXPECT_EQ(error_of(sched, pending->then([](udp_datagram) {})), ECONNABORTED);
    EXPECT_EQ(error_of(sched, ch->send(socket_address(ipv4_addr(peer_ip.ip, 1)), "x")), ENOTCONN);
    ch.reset();
}

} // namespace
} // namespace seastar::net
