// The native stack end to end in one process: options, and two stacks wired
// back to back (pair device), clean and through the fault device,
// exchanging UDP both ways.
#include "seastar/net/native-stack.hh"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/when_all.hh"
#include "seastar/net/fault-device.hh"
#include "seastar/net/pair-device.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar::net {
namespace {

using namespace std::chrono_literals;

const ipv4_address ip_a(0xc0000201); // 192.0.2.1
const ipv4_address ip_b(0xc0000202); // 192.0.2.2

std::string text(packet& p) {
    std::string s;
    for (auto& f : p.fragments()) {
        s.append(f.base, f.size);
    }
    return s;
}

TEST(native_stack_options, set_parses_and_refuses) {
    native_stack_options o;
    o.set("--host-ipv4-addr", "192.0.2.2");
    o.set("gw-ipv4-addr", "192.0.2.1");
    o.set("netmask-ipv4-addr", "255.255.255.0");
    o.set("tap-device", "tap7");
    o.set("dhcp", "false");
    EXPECT_EQ(o.host_ipv4_addr, "192.0.2.2");
    EXPECT_EQ(o.gw_ipv4_addr, "192.0.2.1");
    EXPECT_EQ(o.tap_device, "tap7");
    EXPECT_THROW(o.set("host-ipv4-addr", "192.0.2"), std::invalid_argument);
    EXPECT_THROW(o.set("gw-ipv4-addr", "gateway"), std::invalid_argument);
    EXPECT_THROW(o.set("netmask-ipv4-addr", "255.0.255.0"), std::invalid_argument);
    EXPECT_THROW(o.set("tap-device", ""), std::invalid_argument);
    EXPECT_THROW(o.set("tap-device", "a-name-far-too-long"), std::invalid_argument);
    EXPECT_THROW(o.set("dhcp", "maybe"), std::invalid_argument);
    EXPECT_THROW(o.set("network-stack", "native"), std::invalid_argument);
    try {
        o.set("--host-ipv4-addr", "x");
        ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("--host-ipv4-addr"), std::string::npos);
    }
    EXPECT_EQ(o.host_ipv4_addr, "192.0.2.2"); // unchanged by the failures
    std::set<std::string> names;
    for (auto& d : native_stack_option_descriptions()) {
        names.insert(d.name);
    }
    EXPECT_EQ(names,
              (std::set<std::string>{"tap-device", "host-ipv4-addr", "gw-ipv4-addr", "netmask-ipv4-addr", "dhcp"}));
}

struct two_stacks {
    std::unique_ptr<native_network_stack> a;
    std::unique_ptr<native_network_stack> b;
    std::shared_ptr<fault_device> fa, fb;

    explicit two_stacks(std::optional<fault_options> faults = {}) {
        auto [da, db] = make_device_pair();
        std::shared_ptr<device> dev_a = da, dev_b = db;
        if (faults) {
            fa = make_fault_device(da, *faults);
            auto fo = *faults;
            fo.seed ^= 0xabcdef;
            fb = make_fault_device(db, fo);
            dev_a = fa;
            dev_b = fb;
        }
        a = std::make_unique<native_network_stack>(dev_a, native_stack_config{.host = ip_a});
        b = std::make_unique<native_network_stack>(dev_b, native_stack_config{.host = ip_b});
    }
};

SEASTAR_TEST_CASE(native_stack, udp_both_ways_over_a_clean_cable) {
    two_stacks s;
    auto ca = s.a->make_udp_channel(socket_address(ipv4_addr(1000)));
    auto cb = s.b->make_udp_channel(socket_address(ipv4_addr(2000)));
    co_await ca.send(socket_address(ipv4_addr(ip_b.ip, 2000)), "from a");
    auto d = co_await cb.receive();
    EXPECT_EQ(text(d.get_data()), "from a");
    EXPECT_EQ(d.get_src(), socket_address(ipv4_addr(ip_a.ip, 1000)));
    co_await cb.send(d.get_src(), "from b");
    auto e = co_await ca.receive();
    EXPECT_EQ(text(e.get_data()), "from b");
    // A datagram larger than the MTU goes in fragments.
    std::string big(20000, 'q');
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = char('a' + i * 7 % 26);
    }
    co_await ca.send(socket_address(ipv4_addr(ip_b.ip, 2000)), packet(big.data(), big.size()));
    auto f = co_await cb.receive();
    EXPECT_EQ(text(f.get_data()), big);
    EXPECT_EQ(s.b->ip().stats().reassembled, 1u);
    EXPECT_EQ(s.a->arp().stats().requests_sent, 2u); // gratuitous + resolving b
    ca.close();
    cb.close();
}

// Seastar's datagram API on the native stack: a bound channel and an
// unbound one (an ephemeral port), IPv4 only.
SEASTAR_TEST_CASE(native_stack, datagram_channels) {
    two_stacks s;
    auto server = s.a->make_bound_datagram_channel(socket_address(ipv4_addr(3000)));
    auto client = s.b->make_unbound_datagram_channel(AF_INET);
    co_await client.send(socket_address(ipv4_addr(ip_a.ip, 3000)), "question");
    auto d = co_await server.receive();
    EXPECT_EQ(text(d.get_data()), "question");
    EXPECT_EQ(d.get_src().port(), client.local_address().port());
    co_await server.send(d.get_src(), "answer");
    EXPECT_EQ(text((co_await client.receive()).get_data()), "answer");
    EXPECT_THROW(s.a->make_unbound_datagram_channel(AF_UNIX), std::system_error);
    EXPECT_THROW(s.a->make_bound_datagram_channel(socket_address(unix_domain_addr("/x"))), std::system_error);
    client.close();
    server.close();
}

// Each side serves echo on port 7 and, as a client, gets `n` requests
// echoed, retrying a request until its reply comes (bounded).
future<> serve_echo(udp_channel& ch, bool& stop) {
    while (!stop) {
        try {
            auto d = co_await ch.receive();
            co_await ch.send(d.get_src(), std::move(d.get_data()));
        } catch (const std::system_error&) {
            break; // closed
        }
    }
}

future<> collect_replies(udp_channel& ch, std::set<std::string>& got) {
    for (;;) {
        try {
            auto d = co_await ch.receive();
            got.insert(text(d.get_data()));
        } catch (const std::system_error&) {
            break;
        }
    }
}

future<unsigned> echo_client(udp_channel& ch, ipv4_address server, int n, std::set<std::string>& got,
                             unsigned& attempts_total) {
    unsigned done = 0;
    for (int i = 0; i < n; ++i) {
        std::string msg = "request " + std::to_string(i) + " " + std::string(i % 50 * 30, char('a' + i % 26));
        for (int attempt = 0; attempt < 50 && !got.contains(msg); ++attempt) {
            attempts_total++;
            co_await ch.send(socket_address(ipv4_addr(server.ip, 7)), packet(msg.data(), msg.size()));
            for (int w = 0; w < 20 && !got.contains(msg); ++w) {
                co_await seastar::sleep(1ms);
            }
        }
        done += got.contains(msg);
    }
    co_return done;
}

future<> echo_both_ways(two_stacks& s, int n) {
    auto srv_a = s.a->make_udp_channel(socket_address(ipv4_addr(7)));
    auto srv_b = s.b->make_udp_channel(socket_address(ipv4_addr(7)));
    auto cli_a = s.a->make_udp_channel(socket_address());
    auto cli_b = s.b->make_udp_channel(socket_address());
    bool stop = false;
    std::set<std::string> got_a, got_b;
    unsigned attempts = 0;
    auto servers = when_all(serve_echo(srv_a, stop), serve_echo(srv_b, stop));
    auto collectors = when_all(collect_replies(cli_a, got_a), collect_replies(cli_b, got_b));
    auto [done_a, done_b] = co_await when_all_succeed(echo_client(cli_a, ip_b, n, got_a, attempts),
                                                      echo_client(cli_b, ip_a, n, got_b, attempts));
    EXPECT_EQ(done_a, unsigned(n));
    EXPECT_EQ(done_b, unsigned(n));
    // Nothing arrived that was not sent: every reply is one of our requests.
    for (auto* got : {&got_a, &got_b}) {
        for (auto& m : *got) {
            EXPECT_EQ(m.rfind("request ", 0), 0u) << m;
        }
    }
    stop = true;
    srv_a.close();
    srv_b.close();
    cli_a.close();
    cli_b.close();
    co_await std::move(servers);
    co_await std::move(collectors);
}

SEASTAR_TEST_CASE(native_stack, udp_echo_both_ways_through_the_fault_device) {
    for (uint64_t seed : {1, 2, 3}) {
        fault_config fc{.drop = 0.05, .corrupt = 0.05, .duplicate = 0.05, .reorder = 0.05, .delay = 0.05};
        two_stacks s(fault_options{.seed = seed, .tx = fc, .rx = fc});
        co_await echo_both_ways(s, 100);
        // Every kind of fault happened, and corrupted frames were caught by
        // a checksum rather than delivered.
        auto& t = s.fa->tx_stats();
        EXPECT_GT(t.dropped, 0u);
        EXPECT_GT(t.corrupted, 0u);
        EXPECT_GT(t.duplicated, 0u);
        EXPECT_GT(t.reordered, 0u);
        EXPECT_GT(t.delayed, 0u);
        uint64_t caught = 0;
        for (auto* st : {s.a.get(), s.b.get()}) {
            caught += st->ip().stats().rx_dropped_bad_csum + st->udp().stats().rx_dropped_bad_csum +
                      st->ip().stats().frags_malformed + st->ip().stats().reassembly_conflicts;
        }
        EXPECT_GT(caught, 0u) << "seed " << seed;
    }
}

} // namespace
} // namespace seastar::net
