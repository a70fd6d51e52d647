// ICMP echo: replies carry the request's identifier, sequence and data;
// bad messages are dropped and counted.
#include "seastar/net/icmp.hh"

#include <gtest/gtest.h>

#include "seastar/core/local_scheduler.hh"
#include "seastar/net/byteorder.hh"
#include "seastar/net/ip_checksum.hh"
#include "seastar/net/net_test_util.hh"

namespace seastar::net {
namespace {

using testing::capture_device;
using testing::eth_frame;
using testing::icmp_echo;
using testing::ipv4_packet;

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
    icmp ic{ip};
    rig() { a.learn(peer_ip, peer); }
    void inject_icmp(const std::string& msg, ipv4_address dst = our_ip) {
        dev->inject(eth_frame(us, peer, 0x0800, ipv4_packet(peer_ip, dst, 1, msg)));
    }
    std::vector<std::string> flush() {
        sched.run_until_idle();
        return std::exchange(dev->sent(), {});
    }
};

TEST(icmp, echo_request_gets_a_reply) {
    rig r;
    std::string data(56, 'p');
    r.inject_icmp(icmp_echo(8, 0x1234, 7, data));
    auto sent = r.flush();
    ASSERT_EQ(sent.size(), 1u);
    std::string ip = sent[0].substr(14);
    EXPECT_EQ(read_be<uint32_t>(ip.data() + 12), our_ip.ip);
    EXPECT_EQ(read_be<uint32_t>(ip.data() + 16), peer_ip.ip);
    EXPECT_EQ(uint8_t(ip[9]), 1);
    EXPECT_EQ(ip.substr(20), icmp_echo(0, 0x1234, 7, data));
    EXPECT_EQ(r.ic.stats().echo_replies_sent, 1u);
}

TEST(icmp, bad_messages_are_dropped_and_counted) {
    rig r;
    std::string good = icmp_echo(8, 1, 1, "abcd");
    for (std::size_t n = 0; n < 8; ++n) {
        r.inject_icmp(good.substr(0, n));
    }
    EXPECT_EQ(r.ic.stats().rx_dropped_short, 8u);
    std::string bad = good;
    bad[9] ^= 1;
    r.inject_icmp(bad);
    EXPECT_EQ(r.ic.stats().rx_dropped_bad_csum, 1u);
    r.inject_icmp(icmp_echo(0, 1, 1, "abcd"));                                    // a reply: nothing to do
    r.inject_icmp(icmp_echo(8, 1, 1, "abcd"), ipv4_address::broadcast_address()); // broadcast ping
    EXPECT_EQ(r.ic.stats().rx_ignored, 2u);
    EXPECT_TRUE(r.flush().empty());
}

} // namespace
} // namespace seastar::net
