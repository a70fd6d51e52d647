// net::ipv4_address: an IPv4 host address as a host-order 32-bit value, the
// type the native stack's layers (ARP, IPv4, UDP, TCP) exchange.
//
// Contract: a plain value, any thread. The text constructor throws
// std::invalid_argument for text that is not a dotted quad; nothing else
// throws or allocates (to_string() allocates its result).
//
//     seastar::net::ipv4_address a("192.0.2.1");
//     assert(a.ip == 0xc0000201);
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace seastar::net {

struct ipv4_address {
    uint32_t ip = 0; // host order

    constexpr ipv4_address() noexcept = default;
    constexpr explicit ipv4_address(uint32_t host_order) noexcept : ip(host_order) {}
    explicit ipv4_address(const std::string& dotted_quad);

    static constexpr ipv4_address broadcast_address() noexcept { return ipv4_address(0xffffffff); }
    bool is_unspecified() const noexcept { return ip == 0; }
    bool operator==(const ipv4_address&) const noexcept = default;
    std::string to_string() const;
};

} // namespace seastar::net

template <>
struct std::hash<seastar::net::ipv4_address> {
    size_t operator()(seastar::net::ipv4_address a) const noexcept { return std::hash<uint32_t>()(a.ip); }
};
