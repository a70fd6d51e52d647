// ARP for IPv4 over Ethernet (RFC 826): a cache from IPv4 to MAC addresses
// whose entries expire, a bounded queue of packets waiting for an address
// to resolve (requests retried, waiting packets dropped when the peer never
// answers), replies to requests for our address, and gratuitous ARP.
//
// Time: every deadline is read from config.now (default: steady_clock), and
// expire() acts on the deadlines that have passed. The native stack calls
// expire() from a periodic timer; tests drive a manual clock and call it.
//
// Contract: one shard. Received ARP packets that are short, of another
// hardware/protocol type or of an unknown operation are dropped and counted.
// send() never fails: a packet that cannot wait (queue full, no reply after
// the retries) is dropped and counted.
//
//     net::arp arp(iface, {});
//     arp.set_self_addr(net::ipv4_address("192.0.2.2"));
//     arp.send(next_hop, std::move(ip_packet), oi);   // now, or once resolved
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>

#include "seastar/net/ethernet.hh"
#include "seastar/net/interface.hh"
#include "seastar/net/ipv4_address.hh"
#include "seastar/net/net.hh"
#include "seastar/net/packet.hh"

namespace seastar::net {

// The stack's time source: time since an arbitrary epoch.
using now_function = std::function<std::chrono::nanoseconds()>;
// steady_clock's time.
now_function steady_now();

struct arp_config {
    std::chrono::nanoseconds entry_ttl = std::chrono::seconds(60);
    std::chrono::nanoseconds retry_interval = std::chrono::seconds(1);
    // Requests sent for one address before its waiting packets are dropped.
    unsigned max_requests = 3;
    std::size_t max_waiting_per_address = 32;
    // Cache entries, and addresses with packets waiting.
    std::size_t max_entries = 4096;
    now_function now; // empty: steady_now()
};

struct arp_stats {
    uint64_t rx_packets = 0;
    uint64_t rx_dropped_short = 0;
    uint64_t rx_dropped_malformed = 0; // hardware/protocol type or lengths, operation, sender address
    uint64_t requests_sent = 0;
    uint64_t replies_sent = 0;
    uint64_t learned = 0;            // entries added or refreshed
    uint64_t expired = 0;            // cache entries that timed out
    uint64_t queue_dropped = 0;      // waiting queue full
    uint64_t unresolved_dropped = 0; // waited, never resolved
    uint64_t cache_full_dropped = 0;
};

class arp {
public:
    static constexpr std::size_t packet_size = 28;

    arp(interface& iface, arp_config cfg);
    arp(const arp&) = delete;
    arp& operator=(const arp&) = delete;

    void set_self_addr(ipv4_address a) noexcept { _self = a; }
    ipv4_address self_addr() const noexcept { return _self; }

    // Sends IPv4 packet p to next_hop (on this link): at once when its MAC is
    // known (or it is the broadcast address), else after resolution.
    void send(ipv4_address next_hop, packet p, const offload_info& oi = {});
    // Announces our address (a request for our own address, RFC 5227).
    void send_gratuitous();
    // The cached MAC of `a`, if known and not expired.
    std::optional<ethernet_address> lookup(ipv4_address a) const;
    // Adds or refreshes an entry (also what received ARP packets do).
    void learn(ipv4_address a, ethernet_address mac);
    // Acts on passed deadlines: expires entries, retries requests, drops
    // packets whose address never resolved.
    void expire();
    // The receive path (ARP payload without the Ethernet header).
    void received(packet p, ethernet_address from) noexcept;
    // What received() learns from a packet, without answering it: the ARP
    // traffic another shard of the same stack received (that shard answers).
    void learn_from(packet p) noexcept;

    const arp_stats& stats() const noexcept { return _stats; }
    std::size_t cache_size() const noexcept { return _cache.size(); }

private:
    void process(packet& p, bool answer) noexcept;
    struct entry {
        ethernet_address mac;
        std::chrono::nanoseconds expiry;
    };
    struct waiting {
        std::deque<frame> packets;
        std::chrono::nanoseconds next_request;
        unsigned requests_sent = 0;
    };
    void send_request(ipv4_address target);
    void send_arp(uint16_t op, ethernet_address dst_mac, ethernet_address tha, ipv4_address tpa);

    interface& _iface;
    arp_config _cfg;
    ipv4_address _self;
    arp_stats _stats;
    std::unordered_map<ipv4_address, entry> _cache;
    std::unordered_map<ipv4_address, waiting> _waiting;
};

} // namespace seastar::net
