// Ethernet values: the 48-bit MAC address and the 14-byte Ethernet II header
// (destination, source, EtherType), read from and written to frames.
//
// Contract: plain values, any thread; nothing allocates but to_string() and
// parse(); parse() throws std::invalid_argument on text that is not
// "xx:xx:xx:xx:xx:xx". eth_hdr::read() returns nullopt for a frame shorter
// than the header.
//
//     auto h = seastar::net::eth_hdr::read(frame);
//     if (h && h->eth_proto == uint16_t(seastar::net::eth_protocol_num::arp)) { ... }
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "seastar/net/packet.hh"

namespace seastar::net {

struct ethernet_address {
    std::array<uint8_t, 6> mac{};

    static ethernet_address broadcast() noexcept { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    // "02:00:00:00:00:01"
    static ethernet_address parse(std::string_view text);
    bool is_broadcast() const noexcept { return *this == broadcast(); }
    // The group bit: broadcast and multicast addresses.
    bool is_multicast() const noexcept { return mac[0] & 1; }
    bool operator==(const ethernet_address&) const noexcept = default;
    std::string to_string() const;
};

enum class eth_protocol_num : uint16_t {
    ipv4 = 0x0800,
    arp = 0x0806,
    ipv6 = 0x86dd,
};

struct eth_hdr {
    static constexpr std::size_t size = 14;
    ethernet_address dst;
    ethernet_address src;
    uint16_t eth_proto = 0; // host order

    // The header at the front of `p`, or nullopt when p is too short.
    static std::optional<eth_hdr> read(packet& p);
    // Writes the 14 bytes at `out`.
    void write(char* out) const noexcept;
};

} // namespace seastar::net
