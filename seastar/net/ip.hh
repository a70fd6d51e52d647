// IPv4 (RFC 791) for the native stack: header checks on receive,
// reassembly of fragments, demultiplexing to the L4 protocol registered for
// the datagram's protocol number; on send, the header, the L4 checksum
// (by the device when it offers checksum offload, in software otherwise),
// the next hop (on-link or the gateway), ARP, and fragmentation when the
// datagram exceeds the MTU.
//
// The L4 interface (UDP, ICMP, TCP register through it):
//   * implement ip_protocol::received(packet, const ipv4_rx_info&): it gets
//     the L4 bytes (header included, IP header stripped, reassembled, no
//     padding) and where they came from;
//   * call ipv4::register_l4(proto, handler) once, unregister_l4() before
//     the handler dies;
//   * send with ipv4::send(ipv4_l4_send{src, dst, proto, packet, csum}):
//     leave the L4 checksum field zero and say where it is in csum; the IP
//     layer fills it in (pseudo-header included) or leaves it to the device.
//     If ipv4_rx_info::l4_csum_verified is false the L4 protocol checks its
//     checksum itself (pseudo_header_checksum() helps).
//
// Receive: datagrams that are short, of another version, with a bad header
// length, total length or checksum, with TTL 0, from a broadcast or
// multicast source, not for this host, or for an unregistered protocol are
// dropped and counted in stats(); so are fragments that are malformed (a
// non-final fragment whose length is not a multiple of 8, data beyond 64 KiB)
// or contradict what came before (two different ends). Overlapping and
// duplicate fragments keep the bytes that arrived first. Reassembly holds at
// most reassembly_memory_limit bytes (the oldest datagrams are evicted) and
// drops a datagram that is not complete within reassembly_timeout (checked by
// expire(), as in arp.hh).
//
// Several shards (one ipv4 each, over one device): with set_steering(),
// every datagram belongs to the shard its Toeplitz hash (default key,
// computed here whatever the device gave) selects (a fragment: the hash of
// its two addresses, so all fragments of a datagram meet on one shard; a
// whole datagram: addresses and, for TCP and UDP, ports, the hash a NIC
// programmed with that key computes). A datagram or fragment checked on another shard is handed to
// the steering's forward(), which must bring it to the owner's
// accept_forwarded() (the native stack does so over the smp queues).
//
// Contract: one shard; send() never fails (no route, a datagram too big
// for IPv4: dropped and counted); handlers run inside the receive path.
//
//     net::ipv4 ip(iface, arp, {.host = net::ipv4_address("192.0.2.2"), .netmask =
//     net::ipv4_address("255.255.255.0")}); ip.register_l4(uint8_t(net::ip_protocol_num::udp), my_udp); ip.send({.dst =
//     peer, .proto = 17, .p = std::move(segment), .csum = {.needs_csum = true, .csum_offset = 6}});
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

#include "seastar/net/arp.hh"
#include "seastar/net/interface.hh"
#include "seastar/net/ip_checksum.hh"
#include "seastar/net/ipv4_address.hh"
#include "seastar/net/net.hh"
#include "seastar/net/packet.hh"

namespace seastar::net {

enum class ip_protocol_num : uint8_t { icmp = 1, tcp = 6, udp = 17 };

struct ipv4_hdr {
    static constexpr std::size_t min_size = 20;
    static constexpr uint16_t flag_df = 0x4000;
    static constexpr uint16_t flag_mf = 0x2000;
    static constexpr uint16_t offset_mask = 0x1fff;

    uint8_t ihl = 5; // header length in 32-bit words
    uint8_t dscp_ecn = 0;
    uint16_t total_len = 0;
    uint16_t id = 0;
    uint16_t frag = 0; // flags and offset (in 8-byte units)
    uint8_t ttl = 64;
    uint8_t proto = 0;
    uint16_t csum = 0;
    ipv4_address src;
    ipv4_address dst;

    // Parses the fixed 20 bytes at b (no checks).
    static ipv4_hdr read(const char* b) noexcept;
    // Writes 20 bytes at out, with the checksum computed when `with_csum`.
    void write(char* out, bool with_csum) const noexcept;
    bool mf() const noexcept { return frag & flag_mf; }
    uint32_t offset() const noexcept { return uint32_t(frag & offset_mask) * 8; }
};

struct ipv4_config {
    ipv4_address host;
    ipv4_address netmask = ipv4_address(0xffffff00);
    ipv4_address gateway;
    uint8_t ttl = 64;
    std::chrono::nanoseconds reassembly_timeout = std::chrono::seconds(30);
    std::size_t reassembly_memory_limit = 4 << 20;
    now_function now; // empty: steady_now()
};

// What an L4 protocol learns about a received datagram.
struct ipv4_rx_info {
    ipv4_address src;
    ipv4_address dst;
    uint8_t proto = 0;
    // The device verified the L4 checksum (hw_features::rx_csum_offload), or
    // says it need not be (a local sender's partial checksum).
    bool l4_csum_verified = false;
    // The device's RSS hash, or the same Toeplitz hash computed in software
    // (default key; addresses, plus ports for TCP and UDP).
    std::optional<uint32_t> rss_hash;
};

// Where the L4 checksum goes and whether the IP layer must fill it.
struct l4_checksum_info {
    bool needs_csum = false;
    uint16_t csum_offset = 0; // of the 16-bit field, from the start of the L4 header
    uint8_t l4_hdr_len = 0;   // for the device (TSO), 0 when unknown
    // Non-zero: the device cuts the segment (when its payload, after
    // l4_hdr_len bytes of header, is longer) into pieces of this many payload
    // bytes (hw_features::tx_tso). The datagram may then exceed the MTU (up
    // to max_packet_len) and is never fragmented; the device completes the
    // checksums, so needs_csum must be set.
    uint16_t tso_seg_size = 0;
};

// One L4 segment to send.
struct ipv4_l4_send {
    ipv4_address src; // unspecified: the host address
    ipv4_address dst;
    uint8_t proto = 0;
    packet p;
    l4_checksum_info csum;
};

// A datagram (or fragment) on its way to the shard that owns it.
struct ipv4_forwarded {
    packet p;                     // the L4 bytes, or the fragment's payload
    ipv4_rx_info info;            // rss_hash: the hash that chose the owner
    std::optional<ipv4_hdr> frag; // set for a fragment the owner reassembles
};

struct ipv4_steering {
    unsigned self = 0;                                             // this ipv4's shard
    std::function<unsigned(uint32_t rss_hash)> owner;              // the shard of a flow
    std::function<void(unsigned owner, ipv4_forwarded f)> forward; // must not throw
    // Optional, for UDP datagrams (whole or reassembled): the shard that
    // takes a datagram to `dst_port` whose hash selects `owner` (e.g. the
    // one shard that has a channel on that port).
    std::function<unsigned(unsigned owner, uint16_t dst_port)> udp_owner;
};

// An L4 protocol's receive side.
class ip_protocol {
public:
    virtual ~ip_protocol() = default;
    virtual void received(packet p, const ipv4_rx_info& info) noexcept = 0;
};

struct ipv4_stats {
    uint64_t rx_packets = 0;
    uint64_t rx_delivered = 0;
    uint64_t rx_dropped_short = 0;
    uint64_t rx_dropped_bad_version = 0;
    uint64_t rx_dropped_bad_header_len = 0;
    uint64_t rx_dropped_bad_length = 0; // total length below the header, or beyond the frame
    uint64_t rx_dropped_bad_csum = 0;
    uint64_t rx_dropped_ttl = 0;
    uint64_t rx_dropped_bad_src = 0;
    uint64_t rx_dropped_not_for_us = 0;
    uint64_t rx_dropped_unknown_proto = 0;
    uint64_t frags_received = 0;
    uint64_t frags_malformed = 0;
    uint64_t frags_duplicate_bytes = 0; // bytes already held (overlap, duplicates)
    uint64_t reassembled = 0;
    uint64_t reassembly_conflicts = 0; // datagrams dropped for contradicting fragments
    uint64_t reassembly_timeouts = 0;
    uint64_t reassembly_evicted = 0;    // dropped to stay under the memory limit
    uint64_t rx_forwarded = 0;          // handed to the shard that owns them
    uint64_t rx_accepted_forwarded = 0; // received from another shard
    uint64_t tx_packets = 0;
    uint64_t tx_fragments = 0;
    uint64_t tx_dropped_too_big = 0;
    uint64_t tx_dropped_no_route = 0;
};

class ipv4 {
public:
    ipv4(interface& iface, arp& arp, ipv4_config cfg);
    ipv4(const ipv4&) = delete;
    ipv4& operator=(const ipv4&) = delete;

    // Routes datagrams of protocol `proto` to `handler` (replacing any
    // previous one). The handler must outlive its registration.
    void register_l4(uint8_t proto, ip_protocol& handler);
    void unregister_l4(uint8_t proto) noexcept;

    void send(ipv4_l4_send s);

    // The sum of the pseudo-header (RFC 768/9293): add the L4 bytes and get().
    static void pseudo_header_checksum(checksummer& c, ipv4_address src, ipv4_address dst, uint8_t proto,
                                       uint16_t l4_len) noexcept;

    ipv4_address host_address() const noexcept { return _cfg.host; }
    ipv4_address netmask() const noexcept { return _cfg.netmask; }
    ipv4_address gateway() const noexcept { return _cfg.gateway; }
    void set_host_address(ipv4_address a) noexcept;
    void set_netmask(ipv4_address a) noexcept { _cfg.netmask = a; }
    void set_gateway(ipv4_address a) noexcept { _cfg.gateway = a; }
    // The largest L4 segment that needs no fragmentation.
    uint16_t max_l4_unfragmented() const noexcept { return _iface.hw_features().mtu - ipv4_hdr::min_size; }
    const net::hw_features& hw_features() const noexcept { return _iface.hw_features(); }

    // Drops reassemblies whose time has run out.
    void expire();
    // The receive path (IPv4 bytes without the Ethernet header).
    void received(packet p, ethernet_address from, const offload_info& oi) noexcept;
    // Spreads received datagrams over shards (see the top of this file).
    void set_steering(ipv4_steering s) { _steering = std::move(s); }
    // Takes a datagram or fragment another shard's ipv4 checked and forwarded.
    void accept_forwarded(ipv4_forwarded f) noexcept;
    // The hash that places a datagram: Toeplitz (default key) over the
    // addresses, plus the ports for TCP and UDP (`ports` in network order,
    // source then destination; null for other protocols and fragments).
    static uint32_t flow_hash(ipv4_address src, ipv4_address dst, const char* ports) noexcept;

    const ipv4_stats& stats() const noexcept { return _stats; }
    std::size_t reassembly_bytes() const noexcept { return _frag_mem; }
    std::size_t reassemblies_pending() const noexcept { return _frags.size(); }

private:
    struct frag_key {
        uint32_t src;
        uint32_t dst;
        uint16_t id;
        uint8_t proto;
        bool operator==(const frag_key&) const noexcept = default;
    };
    struct frag_key_hash {
        size_t operator()(const frag_key& k) const noexcept;
    };
    struct reassembly {
        std::map<uint32_t, packet> pieces; // offset -> bytes, never overlapping
        std::optional<uint32_t> total;     // payload length, once the last fragment came
        std::size_t bytes = 0;
        std::chrono::nanoseconds deadline{};
        uint64_t seq = 0;
        ipv4_rx_info info;
    };
    void deliver(packet p, const ipv4_rx_info& info) noexcept;
    static uint32_t software_rss_hash(packet& l4, const ipv4_rx_info& info);
    void handle_fragment(packet p, const ipv4_hdr& h, const ipv4_rx_info& info);
    void drop_reassembly(std::unordered_map<frag_key, reassembly, frag_key_hash>::iterator it) noexcept;
    void send_one(ipv4_address next_hop, const ipv4_hdr& h, packet p, const offload_info& oi);
    bool for_us(ipv4_address dst) const noexcept;
    // True when `hash` places the datagram on another shard (then it is forwarded).
    bool forwarded(uint32_t hash, packet& p, const ipv4_rx_info& info, const std::optional<ipv4_hdr>& frag) noexcept;

    interface& _iface;
    arp& _arp;
    ipv4_config _cfg;
    ipv4_stats _stats;
    std::array<ip_protocol*, 256> _l4{};
    uint16_t _next_id = 0;
    uint64_t _frag_seq = 0;
    std::size_t _frag_mem = 0;
    std::unordered_map<frag_key, reassembly, frag_key_hash> _frags;
    ipv4_steering _steering;
};

} // namespace seastar::net
