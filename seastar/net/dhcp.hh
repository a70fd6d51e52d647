// A DHCP client (RFC 2131) for the native stack: gets an address, netmask,
// gateway and lease times from a server, so the stack can start with
// --dhcp instead of --host-ipv4-addr (off by default).
//
// discover() broadcasts DHCPDISCOVER from 0.0.0.0:68, takes the first
// DHCPOFFER, sends DHCPREQUEST for it and resolves with the lease on
// DHCPACK; renew() asks the lease's server to extend it. Each step is
// retried every retry_interval, max_attempts times; a DHCPNAK, or no answer,
// resolves with nullopt. Requests set the broadcast flag, so servers answer
// to 255.255.255.255 (we have no address to receive unicast on yet).
// Replies that are short, carry another transaction id or hardware address,
// lack the magic cookie or a message type are ignored and counted.
//
// Contract: one shard; the client binds UDP port 68 for the duration of a
// call (EADDRINUSE as a failed future if it is taken); one call at a time.
// It does not configure the stack: the caller applies the lease
// (native_network_stack does so when asked for DHCP).
//
//     net::dhcp client(stack.udp(), stack.iface().hw_address());
//     auto lease = co_await client.discover();
//     if (lease) { stack.ip().set_host_address(lease->ip); ... }
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/net/ethernet.hh"
#include "seastar/net/ipv4_address.hh"
#include "seastar/net/packet.hh"
#include "seastar/net/udp.hh"

namespace seastar::net {

struct dhcp_stats {
    uint64_t sent = 0;
    uint64_t received = 0;
    uint64_t dropped_malformed = 0; // short, no cookie, no message type, bad options
    uint64_t dropped_not_ours = 0;  // another transaction or hardware address
    uint64_t offers = 0;
    uint64_t acks = 0;
    uint64_t naks = 0;
};

class dhcp {
public:
    static constexpr uint16_t client_port = 68;
    static constexpr uint16_t server_port = 67;

    struct lease {
        ipv4_address ip;
        ipv4_address netmask;
        ipv4_address gateway;
        ipv4_address dhcp_server;
        std::vector<ipv4_address> name_servers;
        std::chrono::seconds lease_time{0};
        std::chrono::seconds renew_time{0};
        std::chrono::seconds rebind_time{0};
        uint16_t mtu = 0;
    };

    struct config {
        std::chrono::milliseconds retry_interval = std::chrono::seconds(2);
        unsigned max_attempts = 4;
        // Transaction id of the first exchange (then incremented); 0: random.
        uint32_t xid = 0;
    };

    dhcp(net::udp& u, ethernet_address mac, config cfg);
    dhcp(net::udp& u, ethernet_address mac) : dhcp(u, mac, config{}) {}

    future<std::optional<lease>> discover();
    future<std::optional<lease>> renew(const lease& l);

    const dhcp_stats& stats() const noexcept { return _stats; }

    // The message kinds (option 53).
    enum class msg_type : uint8_t { discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6, release = 7 };

    // A parsed server reply (exposed for tests).
    struct reply {
        msg_type type;
        uint32_t xid;
        lease l;
    };
    // Parses a BOOTREPLY; nullopt when malformed.
    static std::optional<reply> parse(const packet& p, ethernet_address* chaddr = nullptr);

private:
    packet build(msg_type t, uint32_t xid, ipv4_address requested, ipv4_address server, ipv4_address ciaddr) const;

    net::udp& _udp;
    ethernet_address _mac;
    config _cfg;
    uint32_t _xid;
    dhcp_stats _stats;
};

} // namespace seastar::net
