// IPv4: header checks (every malformed or truncated header dropped and
// counted), L4 demultiplexing, checksums, routing, fragmentation and
// reassembly (overlap, duplicates, conflicts, memory limit, timeout).
#include "seastar/net/ip.hh"

#include <gtest/gtest.h>

#include "seastar/core/local_scheduler.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/net/byteorder.hh"
#include "seastar/net/ip_checksum.hh"
#include "seastar/net/net_test_util.hh"
#include "seastar/net/toeplitz.hh"

namespace seastar::net {
namespace {

using namespace std::chrono_literals;
using testing::capture_device;
using testing::eth_frame;
using testing::fix_ipv4_csum;
using testing::flatten;
using testing::ipv4_packet;

const ethernet_address us{{0x02, 0, 0, 0, 0, 0x01}};
const ethernet_address peer{{0x02, 0, 0, 0, 0, 0x99}};
const ethernet_address gw_mac{{0x02, 0, 0, 0, 0, 0x88}};
const ipv4_address our_ip(0xc0000202);  // 192.0.2.2
const ipv4_address peer_ip(0xc0000201); // 192.0.2.1
const ipv4_address gw_ip(0xc00002fe);   // 192.0.2.254
const ipv4_address far_ip(0xc6336401);  // 198.51.100.1
constexpr uint8_t test_proto = 253;     // experimentation (RFC 3692)

struct recorder final : ip_protocol {
    std::vector<std::pair<std::string, ipv4_rx_info>> got;
    void received(packet p, const ipv4_rx_info& info) noexcept override { got.emplace_back(flatten(p), info); }
};

struct rig {
    local_scheduler sched;
    std::shared_ptr<capture_device> dev = std::make_shared<capture_device>(us);
    interface iface{dev->make_queue(0), dev->hw_address(), dev->hw_features()};
    now_function now = [] { return manual_clock::now().time_since_epoch(); };
    arp a{iface, arp_config{.now = now}};
    ipv4 ip;
    recorder rec;
    explicit rig(std::size_t frag_limit = 4 << 20)
        : ip(iface, a,
             ipv4_config{.host = our_ip,
                         .netmask = ipv4_address(0xffffff00),
                         .gateway = gw_ip,
                         .reassembly_timeout = 30s,
                         .reassembly_memory_limit = frag_limit,
                         .now = now}) {
        ip.register_l4(test_proto, rec);
        a.learn(peer_ip, peer);
        a.learn(gw_ip, gw_mac);
    }
    void inject_ip(const std::string& ip_bytes) { dev->inject(eth_frame(us, peer, 0x0800, ip_bytes)); }
    std::vector<std::string> flush() {
        sched.run_until_idle();
        return std::exchange(dev->sent(), {});
    }
};

TEST(ipv4, delivers_to_the_registered_protocol) {
    rig r;
    r.inject_ip(ipv4_packet(peer_ip, our_ip, test_proto, "payload"));
    ASSERT_EQ(r.rec.got.size(), 1u);
    EXPECT_EQ(r.rec.got[0].first, "payload");
    EXPECT_EQ(r.rec.got[0].second.src, peer_ip);
    EXPECT_EQ(r.rec.got[0].second.dst, our_ip);
    EXPECT_EQ(r.rec.got[0].second.proto, test_proto);
    EXPECT_FALSE(r.rec.got[0].second.l4_csum_verified);
    // Broadcasts, limited and of the subnet, are for us too.
    r.inject_ip(ipv4_packet(peer_ip, ipv4_address::broadcast_address(), test_proto, "b1"));
    r.inject_ip(ipv4_packet(peer_ip, ipv4_address(0xc00002ff), test_proto, "b2"));
    EXPECT_EQ(r.rec.got.size(), 3u);
    // Ethernet padding beyond the total length is removed.
    r.inject_ip(ipv4_packet(peer_ip, our_ip, test_proto, "x") + std::string(20, '\0'));
    ASSERT_EQ(r.rec.got.size(), 4u);
    EXPECT_EQ(r.rec.got[3].first, "x");
    r.ip.unregister_l4(test_proto);
    r.inject_ip(ipv4_packet(peer_ip, our_ip, test_proto, "gone"));
    EXPECT_EQ(r.rec.got.size(), 4u);
    EXPECT_EQ(r.ip.stats().rx_dropped_unknown_proto, 1u);
}

TEST(ipv4, every_truncated_header_is_dropped_and_counted) {
    rig r;
    std::string good = ipv4_packet(peer_ip, our_ip, test_proto, "");
    for (std::size_t n = 0; n < good.size(); ++n) {
        r.inject_ip(good.substr(0, n));
    }
    EXPECT_EQ(r.ip.stats().rx_dropped_short, good.size());
    // A header that claims options it does not carry.
    std::string opts = good;
    opts[0] = 0x46;
    fix_ipv4_csum(opts);
    r.inject_ip(opts);
    EXPECT_EQ(r.ip.stats().rx_dropped_short, good.size() + 1);
    EXPECT_TRUE(r.rec.got.empty());
}

TEST(ipv4, malformed_headers_are_dropped_and_counted) {
    rig r;
    std::string good = ipv4_packet(peer_ip, our_ip, test_proto, "data");
    auto variant = [&](auto change, bool fix_csum = true) {
        std::string b = good;
        change(b);
        if (fix_csum) {
            fix_ipv4_csum(b);
        }
        r.inject_ip(b);
    };
    variant([](std::string& b) { b[0] = 0x65; });                                   // version 6
    variant([](std::string& b) { b[0] = 0x44; });                                   // header length 16
    variant([](std::string& b) { write_be<uint16_t>(b.data() + 2, 19); });          // total below header
    variant([](std::string& b) { write_be<uint16_t>(b.data() + 2, 25); });          // beyond the frame
    variant([](std::string& b) { b[19] ^= 1; }, false);                             // checksum
    variant([](std::string& b) { b[8] = 0; });                                      // TTL 0
    variant([](std::string& b) { write_be<uint32_t>(b.data() + 12, 0xe0000001); }); // multicast source
    variant([](std::string& b) { write_be<uint32_t>(b.data() + 12, 0xffffffff); }); // broadcast source
    variant([](std::string& b) { write_be<uint32_t>(b.data() + 16, 0xc0000203); }); // another host
    auto& s = r.ip.stats();
    EXPECT_EQ(s.rx_dropped_bad_version, 1u);
    EXPECT_EQ(s.rx_dropped_bad_header_len, 1u);
    EXPECT_EQ(s.rx_dropped_bad_length, 2u);
    EXPECT_EQ(s.rx_dropped_bad_csum, 1u);
    EXPECT_EQ(s.rx_dropped_ttl, 1u);
    EXPECT_EQ(s.rx_dropped_bad_src, 2u);
    EXPECT_EQ(s.rx_dropped_not_for_us, 1u);
    EXPECT_TRUE(r.rec.got.empty());
    // A header with options is accepted (options are skipped).
    std::string with_opts = good.substr(0, 20) + std::string(4, '\1') + good.substr(20);
    with_opts[0] = 0x46;
    write_be<uint16_t>(with_opts.data() + 2, uint16_t(with_opts.size()));
    fix_ipv4_csum(with_opts);
    r.inject_ip(with_opts);
    ASSERT_EQ(r.rec.got.size(), 1u);
    EXPECT_EQ(r.rec.got[0].first, "data");
}

TEST(ipv4, rss_hash_from_the_device_or_in_software) {
    rig r;
    // UDP-like: ports 0x1234 -> 0x0050 at the front of the L4 bytes.
    std::string l4 = std::string("\x12\x34\x00\x50", 4) + "rest";
    r.ip.register_l4(17, r.rec);
    r.inject_ip(ipv4_packet(peer_ip, our_ip, 17, l4));
    uint8_t tuple[12] = {192, 0, 2, 1, 192, 0, 2, 2, 0x12, 0x34, 0x00, 0x50};
    ASSERT_EQ(r.rec.got.size(), 1u);
    EXPECT_EQ(r.rec.got[0].second.rss_hash, toeplitz_hash(default_rsskey_40bytes, tuple));
    // Another protocol: addresses only.
    r.inject_ip(ipv4_packet(peer_ip, our_ip, test_proto, l4));
    ASSERT_EQ(r.rec.got.size(), 2u);
    EXPECT_EQ(r.rec.got[1].second.rss_hash, toeplitz_hash(default_rsskey_40bytes, std::span<const uint8_t>(tuple, 8)));
    // The device's hash wins.
    std::string b = ipv4_packet(peer_ip, our_ip, 17, l4);
    offload_info oi;
    oi.rss_hash = 0xabcd;
    r.ip.received(packet(b.data(), b.size()), peer, oi);
    ASSERT_EQ(r.rec.got.size(), 3u);
    EXPECT_EQ(r.rec.got[2].second.rss_hash, 0xabcdu);
}

TEST(ipv4, device_checked_checksums_are_trusted) {
    rig r;
    std::string b = ipv4_packet(peer_ip, our_ip, test_proto, "data");
    offload_info oi;
    oi.rx_csum_good = true;
    r.ip.received(packet(b.data(), b.size()), peer, oi);
    ASSERT_EQ(r.rec.got.size(), 1u);
    EXPECT_TRUE(r.rec.got[0].second.l4_csum_verified);
    // The IPv4 header checksum is checked all the same.
    b[10] ^= 0x55;
    r.ip.received(packet(b.data(), b.size()), peer, oi);
    EXPECT_EQ(r.rec.got.size(), 1u);
    EXPECT_EQ(r.ip.stats().rx_dropped_bad_csum, 1u);
}

TEST(ipv4, send_builds_the_header_and_l4_checksum) {
    rig r;
    std::string seg("ab\0\0cdef"
                    "payload",
                    15);
    r.ip.send(ipv4_l4_send{{}, peer_ip, test_proto, packet(seg.data(), seg.size()), {true, 2, 8}});
    auto sent = r.flush();
    ASSERT_EQ(sent.size(), 1u);
    std::string frame = sent[0];
    ASSERT_EQ(frame.size(), 14u + 20 + seg.size());
    EXPECT_EQ(frame.substr(0, 14), eth_frame(peer, us, 0x0800, ""));
    std::string iph = frame.substr(14, 20);
    EXPECT_EQ(uint8_t(iph[0]), 0x45);
    EXPECT_EQ(read_be<uint16_t>(iph.data() + 2), 20 + seg.size());
    EXPECT_EQ(uint8_t(iph[8]), 64);
    EXPECT_EQ(uint8_t(iph[9]), test_proto);
    EXPECT_EQ(read_be<uint32_t>(iph.data() + 12), our_ip.ip);
    EXPECT_EQ(read_be<uint32_t>(iph.data() + 16), peer_ip.ip);
    EXPECT_EQ(ip_checksum(iph.data(), 20), 0);
    // The L4 checksum covers the pseudo-header and the segment.
    checksummer c;
    ipv4::pseudo_header_checksum(c, our_ip, peer_ip, test_proto, uint16_t(seg.size()));
    c.sum(frame.data() + 34, seg.size());
    EXPECT_EQ(c.get(), 0);
}

TEST(ipv4, checksums_left_to_a_device_that_offers_offload) {
    local_scheduler sched;
    auto dev = std::make_shared<capture_device>(us);
    dev->features().tx_csum_ip_offload = true;
    dev->features().tx_csum_l4_offload = true;
    interface iface(dev->make_queue(0), us, dev->hw_features());
    arp a(iface, {});
    ipv4 ip(iface, a, ipv4_config{.host = our_ip});
    a.learn(peer_ip, peer);
    std::string seg("ab\0\0cdef"
                    "payload",
                    15);
    ip.send(ipv4_l4_send{{}, peer_ip, test_proto, packet(seg.data(), seg.size()), {true, 2, 8}});
    sched.run_until_idle();
    auto sent = dev->sent();
    ASSERT_EQ(sent.size(), 1u);
    auto& oi = dev->sent_offload().back();
    EXPECT_TRUE(oi.needs_ip_csum);
    EXPECT_TRUE(oi.needs_csum);
    EXPECT_EQ(oi.protocol, test_proto);
    EXPECT_EQ(oi.ip_hdr_len, 20);
    EXPECT_EQ(oi.l4_hdr_len, 8);
    EXPECT_EQ(oi.l4_csum_offset, 2);
    // The IP checksum field is left zero; the L4 field holds the
    // pseudo-header sum the device completes.
    EXPECT_EQ(read_be<uint16_t>(sent[0].data() + 14 + 10), 0);
    checksummer c;
    ipv4::pseudo_header_checksum(c, our_ip, peer_ip, test_proto, uint16_t(seg.size()));
    EXPECT_EQ(read_be<uint16_t>(sent[0].data() + 34 + 2), uint16_t(~c.get()));
    // Completing it as a device would gives a valid segment.
    checksummer dev_sum;
    dev_sum.sum(sent[0].data() + 34, seg.size());
    std::string done = sent[0];
    write_be<uint16_t>(done.data() + 34 + 2, dev_sum.get());
    checksummer check;
    ipv4::pseudo_header_checksum(check, our_ip, peer_ip, test_proto, uint16_t(seg.size()));
    check.sum(done.data() + 34, seg.size());
    EXPECT_EQ(check.get(), 0);
}

TEST(ipv4, routes_off_link_through_the_gateway) {
    rig r;
    r.ip.send(ipv4_l4_send{{}, far_ip, test_proto, packet("x", 1), {}});
    r.ip.send(ipv4_l4_send{{}, ipv4_address(), test_proto, packet("x", 1), {}});
    auto sent = r.flush();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].substr(0, 14), eth_frame(gw_mac, us, 0x0800, ""));
    EXPECT_EQ(read_be<uint32_t>(sent[0].data() + 14 + 16), far_ip.ip);
    EXPECT_EQ(r.ip.stats().tx_dropped_no_route, 1u);
}

std::string make_payload(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s.push_back(char('a' + i % 26));
    }
    return s;
}

TEST(ipv4, fragments_big_datagrams_and_reassembles_them) {
    rig sender;
    std::string data = make_payload(4000);
    sender.ip.send(ipv4_l4_send{{}, peer_ip, test_proto, packet(data.data(), data.size()), {}});
    auto frames = sender.flush();
    ASSERT_EQ(frames.size(), 3u); // 1480 + 1480 + 1040
    EXPECT_EQ(sender.ip.stats().tx_fragments, 3u);
    for (auto& f : frames) {
        EXPECT_LE(f.size(), 1514u);
    }
    // Feed them, in reverse order, to a receiver whose address is the peer's.
    rig receiver;
    receiver.ip.set_host_address(peer_ip);
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
        receiver.dev->inject(eth_frame(us, peer, 0x0800, it->substr(14)));
    }
    ASSERT_EQ(receiver.rec.got.size(), 1u);
    EXPECT_EQ(receiver.rec.got[0].first, data);
    EXPECT_EQ(receiver.ip.stats().reassembled, 1u);
    EXPECT_EQ(receiver.ip.reassembly_bytes(), 0u);
}

// A fragment of `data` at byte `off` (a multiple of 8), `more` set when not last.
std::string frag(const std::string& data, std::size_t off, std::size_t len, bool more, uint16_t id = 7) {
    return ipv4_packet(peer_ip, our_ip, test_proto, data.substr(off, len), id,
                       uint16_t(off / 8) | (more ? ipv4_hdr::flag_mf : 0));
}

TEST(ipv4, overlapping_and_duplicate_fragments_keep_the_first_bytes) {
    rig r;
    std::string data = make_payload(64);
    std::string other(64, 'Z');
    r.inject_ip(frag(data, 0, 24, true));
    r.inject_ip(frag(data, 0, 24, true));   // duplicate
    r.inject_ip(frag(other, 16, 24, true)); // overlaps [16,24) with different bytes
    r.inject_ip(frag(data, 8, 8, true));    // inside what is held
    EXPECT_TRUE(r.rec.got.empty());
    r.inject_ip(frag(data, 40, 24, false));
    ASSERT_EQ(r.rec.got.size(), 1u);
    // [0,24) and [40,64) from data, [24,40) from the overlapping fragment.
    std::string expect = data.substr(0, 24) + other.substr(24, 16) + data.substr(40);
    EXPECT_EQ(r.rec.got[0].first, expect);
    EXPECT_EQ(r.ip.stats().frags_duplicate_bytes, 24u + 8 + 8);
    EXPECT_EQ(r.ip.reassemblies_pending(), 0u);
}

TEST(ipv4, contradicting_and_malformed_fragments_are_dropped) {
    rig r;
    std::string data = make_payload(64);
    r.inject_ip(frag(data, 0, 12, true)); // non-final, not a multiple of 8
    EXPECT_EQ(r.ip.stats().frags_malformed, 1u);
    // Two different ends.
    r.inject_ip(frag(data, 0, 16, true, 1));
    r.inject_ip(frag(data, 32, 16, false, 1));
    r.inject_ip(frag(data, 16, 8, false, 1));
    EXPECT_EQ(r.ip.stats().reassembly_conflicts, 1u);
    // Bytes beyond the announced end.
    r.inject_ip(frag(data, 16, 16, false, 2));
    r.inject_ip(frag(data, 32, 16, true, 2));
    EXPECT_EQ(r.ip.stats().reassembly_conflicts, 2u);
    // Beyond the largest datagram.
    std::string big(64, 'x');
    r.inject_ip(ipv4_packet(peer_ip, our_ip, test_proto, big, 3, uint16_t(65512 / 8)));
    EXPECT_EQ(r.ip.stats().frags_malformed, 2u);
    EXPECT_TRUE(r.rec.got.empty());
    EXPECT_EQ(r.ip.reassemblies_pending(), 0u);
    EXPECT_EQ(r.ip.reassembly_bytes(), 0u);
}

TEST(ipv4, incomplete_datagrams_time_out) {
    rig r;
    std::string data = make_payload(32);
    r.inject_ip(frag(data, 0, 16, true));
    EXPECT_EQ(r.ip.reassemblies_pending(), 1u);
    manual_clock::advance(29s);
    r.sched.run_until_idle();
    r.ip.expire();
    EXPECT_EQ(r.ip.reassemblies_pending(), 1u);
    manual_clock::advance(1s);
    r.sched.run_until_idle();
    r.ip.expire();
    EXPECT_EQ(r.ip.reassemblies_pending(), 0u);
    EXPECT_EQ(r.ip.stats().reassembly_timeouts, 1u);
    EXPECT_EQ(r.ip.reassembly_bytes(), 0u);
    // The rest alone does not make a datagram.
    r.inject_ip(frag(data, 16, 16, false));
    EXPECT_TRUE(r.rec.got.empty());
}

TEST(ipv4, reassembly_memory_is_limited) {
    rig r(100);
    std::string data = make_payload(128);
    r.inject_ip(frag(data, 0, 64, true, 1));
    r.inject_ip(frag(data, 0, 32, true, 2)); // 96 held
    r.inject_ip(frag(data, 0, 16, true, 3)); // 112 > 100: the oldest (1) goes
    EXPECT_EQ(r.ip.stats().reassembly_evicted, 1u);
    EXPECT_EQ(r.ip.reassembly_bytes(), 48u);
    r.inject_ip(frag(data, 0, 128, true, 4)); // larger than the limit alone: only it goes
    EXPECT_EQ(r.ip.stats().reassembly_evicted, 2u);
    EXPECT_EQ(r.ip.reassembly_bytes(), 48u);
    // Datagram 2 still completes; 1 does not.
    r.inject_ip(frag(data, 32, 8, false, 2));
    ASSERT_EQ(r.rec.got.size(), 1u);
    EXPECT_EQ(r.rec.got[0].first, data.substr(0, 40));
    r.inject_ip(frag(data, 64, 8, false, 1));
    EXPECT_EQ(r.rec.got.size(), 1u);
    EXPECT_EQ(r.ip.reassembly_bytes(), 16u + 8);
}

} // namespace
} // namespace seastar::net
