// ARP: replies, resolution with a queue of waiting packets, expiry and
// retries under a manual clock, gratuitous ARP, malformed packets.
#include "seastar/net/arp.hh"

#include <gtest/gtest.h>

#include "seastar/core/local_scheduler.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/net/net_test_util.hh"

namespace seastar::net {
namespace {

using namespace std::chrono_literals;
using testing::arp_packet;
using testing::capture_device;
using testing::eth_frame;

const ethernet_address us{{0x02, 0, 0, 0, 0, 0x01}};
const ethernet_address peer{{0x02, 0, 0, 0, 0, 0x99}};
const ipv4_address our_ip(0xc0000202);  // 192.0.2.2
const ipv4_address peer_ip(0xc0000201); // 192.0.2.1

struct rig {
    local_scheduler sched;
    std::shared_ptr<capture_device> dev = std::make_shared<capture_device>(us);
    interface iface{dev->make_queue(0), dev->hw_address(), dev->hw_features()};
    arp a{
        iface,
        arp_config{.entry_ttl = 60s, .retry_interval = 1s, .max_requests = 3, .max_waiting_per_address = 4, .now = [] {
                       return manual_clock::now().time_since_epoch();
                   }}};
    rig() { a.set_self_addr(our_ip); }
    std::vector<std::string> flush() {
        sched.run_until_idle();
        return std::exchange(dev->sent(), {});
    }
    void advance(std::chrono::nanoseconds d) {
        manual_clock::advance(d);
        sched.run_until_idle();
        a.expire();
    }
};

TEST(arp, answers_a_request_for_our_address_and_learns_the_asker) {
    rig r;
    r.dev->inject(eth_frame(ethernet_address::broadcast(), peer, 0x0806,
                            arp_packet(1, peer, peer_ip, ethernet_address{}, our_ip)));
    auto sent = r.flush();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0], eth_frame(peer, us, 0x0806, arp_packet(2, us, our_ip, peer, peer_ip)));
    EXPECT_EQ(r.a.stats().replies_sent, 1u);
    EXPECT_EQ(r.a.lookup(peer_ip), peer);
}

TEST(arp, ignores_requests_for_other_addresses) {
    rig r;
    r.dev->inject(eth_frame(ethernet_address::broadcast(), peer, 0x0806,
                            arp_packet(1, peer, peer_ip, ethernet_address{}, ipv4_address(0xc0000277))));
    EXPECT_TRUE(r.flush().empty());
    EXPECT_FALSE(r.a.lookup(peer_ip)); // not for us: not learned
}

TEST(arp, packets_wait_for_resolution_then_go_in_order) {
    rig r;
    r.a.send(peer_ip, packet("one", 3));
    r.a.send(peer_ip, packet("two", 3));
    auto sent = r.flush();
    ASSERT_EQ(sent.size(), 1u); // one request, nothing else
    EXPECT_EQ(sent[0], eth_frame(ethernet_address::broadcast(), us, 0x0806,
                                 arp_packet(1, us, our_ip, ethernet_address{}, peer_ip)));
    r.dev->inject(eth_frame(us, peer, 0x0806, arp_packet(2, peer, peer_ip, us, our_ip)));
    sent = r.flush();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0], eth_frame(peer, us, 0x0800, "one"));
    EXPECT_EQ(sent[1], eth_frame(peer, us, 0x0800, "two"));
    // Now cached: straight out.
    r.a.send(peer_ip, packet("three", 5));
    sent = r.flush();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0], eth_frame(peer, us, 0x0800, "three"));
}

TEST(arp, waiting_queue_is_bounded) {
    rig r;
    for (int i = 0; i < 6; ++i) {
        r.a.send(peer_ip, packet(std::to_string(i).data(), 1));
    }
    EXPECT_EQ(r.a.stats().queue_dropped, 2u);
    r.flush();
    r.a.learn(peer_ip, peer);
    auto sent = r.flush();
    ASSERT_EQ(sent.size(), 4u);
    EXPECT_EQ(sent[0], eth_frame(peer, us, 0x0800, "2")); // the oldest went
}

TEST(arp, entries_expire_with_the_clock) {
    rig r;
    r.a.learn(peer_ip, peer);
    r.advance(59s);
    EXPECT_EQ(r.a.lookup(peer_ip), peer);
    r.advance(1s);
    EXPECT_FALSE(r.a.lookup(peer_ip));
    EXPECT_EQ(r.a.cache_size(), 0u);
    EXPECT_EQ(r.a.stats().expired, 1u);
    // Sending now needs a new request.
    r.a.send(peer_ip, packet("x", 1));
    EXPECT_EQ(r.flush().size(), 1u);
    EXPECT_EQ(r.a.stats().requests_sent, 1u);
}

TEST(arp, retries_then_drops_what_waited) {
    rig r;
    r.a.send(peer_ip, packet("x", 1));
    r.a.send(peer_ip, packet("y", 1));
    EXPECT_EQ(r.flush().size(), 1u);
    r.advance(999ms);
    EXPECT_TRUE(r.flush().empty());
    r.advance(1ms);
    EXPECT_EQ(r.flush().size(), 1u); // second request
    r.advance(1s);
    EXPECT_EQ(r.flush().size(), 1u); // third
    r.advance(1s);
    EXPECT_TRUE(r.flush().empty());
    EXPECT_EQ(r.a.stats().requests_sent, 3u);
    EXPECT_EQ(r.a.stats().unresolved_dropped, 2u);
    // A late reply finds nothing waiting, and is not learned (unsolicited).
    r.dev->inject(eth_frame(us, peer, 0x0806, arp_packet(2, peer, peer_ip, us, ipv4_address(0xc0000203))));
    EXPECT_TRUE(r.flush().empty());
}

TEST(arp, gratuitous_announces_and_refreshes_known_entries) {
    rig r;
    r.a.send_gratuitous();
    auto sent = r.flush();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0], eth_frame(ethernet_address::broadcast(), us, 0x0806,
                                 arp_packet(1, us, our_ip, ethernet_address{}, our_ip)));
    // The peer moves to a new MAC and announces it.
    r.a.learn(peer_ip, peer);
    ethernet_address moved{{0x02, 0, 0, 0, 0, 0x77}};
    r.dev->inject(eth_frame(ethernet_address::broadcast(), moved, 0x0806,
                            arp_packet(1, moved, peer_ip, ethernet_address{}, peer_ip)));
    EXPECT_EQ(r.a.lookup(peer_ip), moved);
    EXPECT_TRUE(r.flush().empty()); // no reply to an announcement
    // An announcement of an unknown host is not learned.
    ipv4_address other(0xc0000209);
    r.dev->inject(eth_frame(ethernet_address::broadcast(), moved, 0x0806,
                            arp_packet(1, moved, other, ethernet_address{}, other)));
    EXPECT_FALSE(r.a.lookup(other));
}

TEST(arp, malformed_packets_are_dropped_and_counted) {
    rig r;
    std::string good = arp_packet(1, peer, peer_ip, ethernet_address{}, our_ip);
    for (std::size_t n = 0; n < good.size(); ++n) {
        r.dev->inject(eth_frame(us, peer, 0x0806, good.substr(0, n)));
    }
    EXPECT_EQ(r.a.stats().rx_dropped_short, good.size());
    auto broken = [&](std::size_t at, char v) {
        std::string b = good;
        b[at] = v;
        r.dev->inject(eth_frame(us, peer, 0x0806, b));
    };
    broken(1, 6);    // hardware type
    broken(2, 0x86); // protocol type
    broken(4, 8);    // hardware length
    broken(5, 16);   // protocol length
    broken(7, 3);    // operation (RARP)
    broken(8, 0x01); // multicast sender MAC
    EXPECT_EQ(r.a.stats().rx_dropped_malformed, 6u);
    EXPECT_TRUE(r.flush().empty());
    EXPECT_EQ(r.a.cache_size(), 0u);
}

} // namespace
} // namespace seastar::net
