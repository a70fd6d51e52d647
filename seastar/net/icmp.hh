// ICMP for IPv4 (RFC 792): answers echo requests sent to this host (ping).
//
// Contract: one shard; registers itself with ipv4 for protocol 1 and
// unregisters when destroyed. Short messages and messages with a bad
// checksum are dropped and counted; echo requests to a broadcast address
// are ignored (as Linux does by default); other types are counted and
// ignored.
//
//     net::icmp icmp(ip);   // ping now gets replies
#pragma once

#include <cstdint>

#include "seastar/net/ip.hh"

namespace seastar::net {

struct icmp_stats {
    uint64_t rx_packets = 0;
    uint64_t rx_dropped_short = 0;
    uint64_t rx_dropped_bad_csum = 0;
    uint64_t rx_ignored = 0; // types we do not answer, or broadcast echo requests
    uint64_t echo_requests = 0;
    uint64_t echo_replies_sent = 0;
};

class icmp final : public ip_protocol {
public:
    static constexpr uint8_t echo_reply = 0;
    static constexpr uint8_t echo_request = 8;

    explicit icmp(ipv4& ip);
    ~icmp() override;
    void received(packet p, const ipv4_rx_info& info) noexcept override;
    const icmp_stats& stats() const noexcept { return _stats; }

private:
    ipv4& _ip;
    icmp_stats _stats;
};

} // namespace seastar::net
