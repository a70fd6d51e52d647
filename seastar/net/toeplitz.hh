// The Toeplitz hash that NICs use for receive-side scaling (RSS), computed in
// software so that a device without RSS spreads flows over shards exactly as
// one with it would.
//
// Contract: pure, any thread, no allocation, never throws. The key must be
// at least data.size() + 4 bytes long (40 bytes covers an IPv4 or IPv6
// 4-tuple). The input is the tuple in network byte order: source address,
// destination address, source port, destination port.
//
//     uint8_t in[12] = {...};  // src ip, dst ip, src port, dst port (network order)
//     uint32_t h = seastar::toeplitz_hash(seastar::default_rsskey_40bytes, in);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace seastar {

// The key of Microsoft's RSS specification (also many NICs' default).
inline constexpr uint8_t default_rsskey_40bytes[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

using rss_key_type = std::span<const uint8_t>;

inline uint32_t toeplitz_hash(rss_key_type key, std::span<const uint8_t> data) noexcept {
    // The 32-bit window of the key that lines up with the current input bit.
    uint32_t window = (uint32_t(key[0]) << 24) | (uint32_t(key[1]) << 16) | (uint32_t(key[2]) << 8) | key[3];
    uint32_t hash = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        uint8_t next_key = i + 4 < key.size() ? key[i + 4] : 0;
        for (int b = 7; b >= 0; --b) {
            if (data[i] & (1u << b)) {
                hash ^= window;
            }
            window = (window << 1) | ((next_key >> b) & 1u);
        }
    }
    return hash;
}

} // namespace seastar
