// TCP segments on the wire: parsing, serialisation, options and checksums.
//
// parse_tcp_segment() checks one received segment (TCP header + payload, as
// carried by IPv4 protocol 6) and either fills a tcp_segment or names why it
// must be dropped; it never throws on bad input and never reads beyond the
// packet. serialize_tcp_segment() builds the header (with options) in front of
// a payload packet without copying the payload, and fills the checksum over
// the IPv4 pseudo-header, or, when the device computes it (checksum offload),
// leaves the folded pseudo-header sum in the field as devices expect.
//
// Addresses are IPv4 addresses in host byte order. Contract: plain functions,
// no shared state; callable from any thread on packets that thread owns.
// Serialisation allocates only when the packet has no header room left.
//
//     tcp_segment seg;
//     auto why = parse_tcp_segment(std::move(p), src_ip, dst_ip, true, seg);
//     if (why != tcp_drop_reason::none) { stats.count(why); return; }
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "seastar/net/packet.hh"

namespace seastar::net {

namespace tcp_flags {
inline constexpr uint8_t fin = 0x01;
inline constexpr uint8_t syn = 0x02;
inline constexpr uint8_t rst = 0x04;
inline constexpr uint8_t psh = 0x08;
inline constexpr uint8_t ack = 0x10;
inline constexpr uint8_t urg = 0x20;
} // namespace tcp_flags

// Options TCP understands (RFC 9293 MSS, RFC 7323 window scale and
// timestamps). Others (SACK, unknown kinds) are skipped when well formed.
struct tcp_option_values {
    std::optional<uint16_t> mss;
    std::optional<uint8_t> wscale;
    bool sack_permitted = false;
    struct timestamps {
        uint32_t value;
        uint32_t echo_reply;
    };
    std::optional<timestamps> ts;
};

struct tcp_segment_header {
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t flags = 0;
    uint16_t window = 0; // as on the wire (not scaled)
    uint16_t urgent = 0;
};

struct tcp_segment {
    tcp_segment_header h;
    tcp_option_values opts;
    packet payload = packet::make_null_packet();

    bool has(uint8_t flag) const noexcept { return (h.flags & flag) != 0; }
    // Sequence space the segment occupies: payload bytes plus SYN and FIN.
    uint32_t seg_len() const noexcept {
        return payload.len() + (has(tcp_flags::syn) ? 1 : 0) + (has(tcp_flags::fin) ? 1 : 0);
    }
};

// Why a received segment was dropped. The first group is found by
// parse_tcp_segment(); the rest by the connection logic (seastar/net/tcp.hh).
enum class tcp_drop_reason : uint8_t {
    none,
    truncated,       // shorter than the 20-byte header
    bad_data_offset, // data offset < 5 or beyond the segment
    bad_option,      // option length wrong or running past the header
    bad_checksum,
    bad_port,      // source or destination port 0
    bad_flags,     // SYN with RST or FIN
    no_connection, // nothing listens (answered with RST unless it was one)
    out_of_window, // unacceptable sequence number (answered with an ACK)
    paws,          // timestamp older than the last one seen (RFC 7323)
    bad_ack,       // acknowledges what was never sent
    no_ack,        // synchronized state but ACK flag off
    backlog_full,  // SYN to a listener whose SYN backlog is full
    rst_ignored,   // RST outside the window, or in LISTEN
    syn_in_window, // SYN on a synchronized connection (challenge ACK)
    no_buffer,     // data beyond the receive buffer
    count_
};
inline constexpr std::size_t tcp_drop_reason_count = static_cast<std::size_t>(tcp_drop_reason::count_);
std::string_view to_string(tcp_drop_reason r) noexcept;

inline constexpr std::size_t tcp_header_min_size = 20;
inline constexpr std::size_t tcp_header_max_size = 60;

// Checks and decodes `p` (TCP header first). `src`/`dst` are the IPv4
// addresses it came from and went to (for the pseudo-header checksum);
// `verify_checksum` false when the device has already verified it.
tcp_drop_reason parse_tcp_segment(packet p, uint32_t src, uint32_t dst, bool verify_checksum, tcp_segment& out);

// Prepends the header for `h` and `opts` to `payload` and returns the segment.
// With `checksum_offload` the checksum field holds the folded pseudo-header
// sum (not complemented), for the device to finish.
packet serialize_tcp_segment(const tcp_segment_header& h, const tcp_option_values& opts, packet payload, uint32_t src,
                             uint32_t dst, bool checksum_offload);

// Bytes the options of `opts` take on the wire (padded to 4).
std::size_t tcp_options_size(const tcp_option_values& opts) noexcept;

namespace internal {
// The Internet checksum (RFC 1071) of a TCP segment over the IPv4 pseudo-header:
// 0 when a received segment's checksum is right.
uint16_t tcp_checksum(const packet& p, uint32_t src, uint32_t dst) noexcept;
// The folded pseudo-header sum alone (not complemented).
uint16_t tcp_pseudo_header_sum(uint32_t src, uint32_t dst, std::size_t tcp_len) noexcept;
} // namespace internal

} // namespace seastar::net
