// The DHCP client: reply parsing (malformed replies refused), and a whole
// exchange against a server written here, on a second stack over the pair
// device: the client's stack configures itself from the lease.
#include "seastar/net/dhcp.hh"

#include <gtest/gtest.h>

#include "seastar/core/coroutine.hh"
#include "seastar/net/byteorder.hh"
#include "seastar/net/native-stack.hh"
#include "seastar/net/pair-device.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar::net {
namespace {

using namespace std::chrono_literals;

const ethernet_address client_mac{{0x02, 0, 0, 0, 0, 0x0a}};
const ipv4_address server_ip(0xc0000201); // 192.0.2.1
const ipv4_address offered(0xc0000232);   // 192.0.2.50

// A BOOTREPLY with the given options (code, bytes...), ending with 255.
std::string make_reply(uint32_t xid, uint8_t type, ethernet_address mac = client_mac, std::string extra = {}) {
    std::string m(240, '\0');
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
    write_be<uint32_t>(m.data() + 4, xid);
    write_be<uint32_t>(m.data() + 16, offered.ip);
    std::copy(mac.mac.begin(), mac.mac.end(), m.begin() + 28);
    write_be<uint32_t>(m.data() + 236, 0x63825363);
    std::string opts = {53, 1, char(type)};
    auto addr = [](uint8_t code, ipv4_address a) {
        std::string o = {char(code), 4, 0, 0, 0, 0};
        write_be<uint32_t>(o.data() + 2, a.ip);
        return o;
    };
    opts += addr(1, ipv4_address(0xffffff00));
    opts += addr(3, server_ip);
    opts += addr(54, server_ip);
    opts += std::string{51, 4, 0, 0, 0x0e, 0x10}; // 3600 s
    opts += extra;
    opts += char(255);
    return m + opts;
}

packet as_packet(const std::string& s) {
    return packet(s.data(), s.size());
}

TEST(dhcp_parse, a_good_reply) {
    ethernet_address mac;
    auto r = dhcp::parse(as_packet(make_reply(7, 2, client_mac, std::string{6, 8, 1, 1, 1, 1, 8, 8, 8, 8})), &mac);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, dhcp::msg_type::offer);
    EXPECT_EQ(r->xid, 7u);
    EXPECT_EQ(mac, client_mac);
    EXPECT_EQ(r->l.ip, offered);
    EXPECT_EQ(r->l.netmask, ipv4_address(0xffffff00));
    EXPECT_EQ(r->l.gateway, server_ip);
    EXPECT_EQ(r->l.dhcp_server, server_ip);
    EXPECT_EQ(r->l.lease_time, 3600s);
    EXPECT_EQ(r->l.renew_time, 1800s);
    EXPECT_EQ(r->l.rebind_time, 3150s);
    ASSERT_EQ(r->l.name_servers.size(), 2u);
    EXPECT_EQ(r->l.name_servers[1], ipv4_address(0x08080808));
}

TEST(dhcp_parse, malformed_replies_are_refused) {
    std::string good = make_reply(7, 5);
    // Every truncation (the end option is the last byte).
    for (std::size_t n = 0; n < good.size(); ++n) {
        EXPECT_FALSE(dhcp::parse(as_packet(good.substr(0, n)))) << n;
    }
    auto broken = [&](std::size_t at, char v) {
        std::string b = good;
        b[at] = v;
        return dhcp::parse(as_packet(b));
    };
    EXPECT_FALSE(broken(0, 1));     // a request, not a reply
    EXPECT_FALSE(broken(1, 6));     // hardware type
    EXPECT_FALSE(broken(2, 16));    // hardware length
    EXPECT_FALSE(broken(236, 0));   // magic cookie
    EXPECT_FALSE(broken(242, 9));   // unknown message type
    EXPECT_FALSE(broken(241, 100)); // option length beyond the message
    // A short address option.
    EXPECT_FALSE(dhcp::parse(as_packet(make_reply(7, 5, client_mac, std::string{1, 2, 0, 0}))));
    // No message type at all.
    std::string no_type = good;
    no_type[240] = 0; // pad, pad, pad instead of 53 1 type
    no_type[241] = 0;
    no_type[242] = 0;
    EXPECT_FALSE(dhcp::parse(as_packet(no_type)));
}

struct server_behaviour {
    bool nak = false;
    bool noise = false; // answer first with replies that must be ignored
};

// A DHCP server on `ch` (port 67) for one exchange; returns the REQUEST's
// requested-address option.
future<ipv4_address> serve_one(udp_channel& ch, server_behaviour how) {
    ipv4_address requested;
    for (int step = 0; step < 2; ++step) {
        auto d = co_await ch.receive();
        auto& p = d.get_data();
        std::string m;
        for (auto& f : p.fragments()) {
            m.append(f.base, f.size);
        }
        EXPECT_EQ(d.get_src(), socket_address(ipv4_addr(0, 68)));
        EXPECT_GE(m.size(), 300u);
        EXPECT_EQ(m[0], 1);
        uint32_t xid = read_be<uint32_t>(m.data() + 4);
        EXPECT_EQ(read_be<uint16_t>(m.data() + 10), 0x8000);
        EXPECT_EQ(m.substr(28, 6), std::string(client_mac.mac.begin(), client_mac.mac.end()));
        EXPECT_EQ(uint8_t(m[242]), step == 0 ? 1 : 3); // DISCOVER, then REQUEST
        if (step == 1) {
            // Option 50 follows the message type.
            EXPECT_EQ(uint8_t(m[243]), 50);
            requested = ipv4_address(read_be<uint32_t>(m.data() + 245));
        }
        auto bcast = socket_address(ipv4_addr(0xffffffff, 68));
        if (how.noise) {
            co_await ch.send(bcast, as_packet(make_reply(xid + 1, step == 0 ? 2 : 5))); // another transaction
            co_await ch.send(bcast, as_packet(make_reply(xid, step == 0 ? 2 : 5,
                                                         ethernet_address{{2, 0, 0, 0, 0, 0x77}}))); // another client
            co_await ch.send(bcast, as_packet(std::string(50, 'x')));                                // garbage
        }
        uint8_t type = step == 0 ? 2 : (how.nak ? 6 : 5);
        co_await ch.send(bcast, as_packet(make_reply(xid, type)));
    }
    co_return requested;
}

struct rig {
    std::unique_ptr<native_network_stack> client;
    std::unique_ptr<native_network_stack> server;
    rig() {
        auto [a, b] = make_device_pair(client_mac);
        client = std::make_unique<native_network_stack>(
            a, native_stack_config{.dhcp = true, .dhcp_config = {.retry_interval = 200ms, .max_attempts = 50}});
        server = std::make_unique<native_network_stack>(b, native_stack_config{.host = server_ip});
    }
};

SEASTAR_TEST_CASE(dhcp, the_stack_configures_itself_from_the_lease) {
    rig r;
    auto ch = r.server->make_udp_channel(socket_address(ipv4_addr(67)));
    auto served = serve_one(ch, {.noise = true});
    co_await r.client->initialize();
    auto requested = co_await std::move(served);
    EXPECT_EQ(requested, offered);
    EXPECT_TRUE(r.client->lease());
    EXPECT_EQ(r.client->ip().host_address(), offered);
    EXPECT_EQ(r.client->ip().netmask(), ipv4_address(0xffffff00));
    EXPECT_EQ(r.client->ip().gateway(), server_ip);
    // The new address works: a datagram from the server reaches the client.
    auto c = r.client->make_udp_channel(socket_address(ipv4_addr(9000)));
    co_await ch.send(socket_address(ipv4_addr(offered.ip, 9000)), "welcome");
    auto d = co_await c.receive();
    EXPECT_EQ(d.get_src(), socket_address(ipv4_addr(server_ip.ip, 67)));
    ch.close();
    c.close();
}

SEASTAR_TEST_CASE(dhcp, noise_is_ignored_and_counted) {
    rig r;
    auto ch = r.server->make_udp_channel(socket_address(ipv4_addr(67)));
    auto served = serve_one(ch, {.noise = true});
    dhcp client(r.client->udp(), client_mac, {.retry_interval = 200ms, .max_attempts = 50});
    auto l = co_await client.discover();
    co_await std::move(served);
    EXPECT_TRUE(l);
    EXPECT_EQ(client.stats().dropped_not_ours, 4u);
    EXPECT_EQ(client.stats().dropped_malformed, 2u);
    EXPECT_EQ(client.stats().offers, 1u);
    EXPECT_EQ(client.stats().acks, 1u);
    ch.close();
}

SEASTAR_TEST_CASE(dhcp, a_nak_gives_no_lease) {
    rig r;
    auto ch = r.server->make_udp_channel(socket_address(ipv4_addr(67)));
    auto served = serve_one(ch, {.nak = true});
    dhcp client(r.client->udp(), client_mac, {.retry_interval = 200ms, .max_attempts = 50});
    auto l = co_await client.discover();
    co_await std::move(served);
    EXPECT_FALSE(l);
    EXPECT_EQ(client.stats().naks, 1u);
    ch.close();
}

// Answers one REQUEST sent to the server's address (a renewal) with `type`.
future<> serve_renewal(udp_channel& ch, uint8_t type) {
    auto d = co_await ch.receive();
    std::string m;
    for (auto& f : d.get_data().fragments()) {
        m.append(f.base, f.size);
    }
    EXPECT_EQ(d.get_src(), socket_address(ipv4_addr(offered.ip, 68))); // from the leased address
    EXPECT_EQ(d.get_dst(), socket_address(ipv4_addr(server_ip.ip, 67)));
    EXPECT_EQ(read_be<uint32_t>(m.data() + 12), offered.ip); // ciaddr
    EXPECT_EQ(uint8_t(m[242]), 3);
    co_await ch.send(d.get_src(), as_packet(make_reply(read_be<uint32_t>(m.data() + 4), type)));
}

SEASTAR_TEST_CASE(dhcp, renew_extends_or_loses_the_lease) {
    rig r;
    auto ch = r.server->make_udp_channel(socket_address(ipv4_addr(67)));
    auto served = serve_one(ch, {});
    co_await r.client->initialize();
    co_await std::move(served);
    dhcp client(r.client->udp(), client_mac, {.retry_interval = 200ms, .max_attempts = 50});
    auto renewal = serve_renewal(ch, 5);
    auto l = co_await client.renew(*r.client->lease());
    co_await std::move(renewal);
    EXPECT_TRUE(l);
    EXPECT_EQ(l ? l->ip : ipv4_address(), offered);
    auto refusal = serve_renewal(ch, 6);
    l = co_await client.renew(*r.client->lease());
    co_await std::move(refusal);
    EXPECT_FALSE(l);
    EXPECT_EQ(client.stats().naks, 1u);
    ch.close();
}

SEASTAR_TEST_CASE(dhcp, no_server_no_lease) {
    rig r;
    dhcp client(r.client->udp(), client_mac, {.retry_interval = 5ms, .max_attempts = 3});
    auto l = co_await client.discover();
    EXPECT_FALSE(l);
    EXPECT_EQ(client.stats().sent, 3u);
    // The stack's own initialize() reports it.
    auto fresh = std::make_unique<native_network_stack>(
        make_device_pair().first,
        native_stack_config{.dhcp = true, .dhcp_config = {.retry_interval = 5ms, .max_attempts = 2}});
    bool failed = false;
    try {
        co_await fresh->initialize();
    } catch (const std::runtime_error&) {
        failed = true;
    }
    EXPECT_TRUE(failed);
    // Port 68 is free again after a call.
    dhcp again(r.client->udp(), client_mac, {.retry_interval = 5ms, .max_attempts = 1});
    EXPECT_FALSE(co_await again.discover());
}

} // namespace
} // namespace seastar::net
