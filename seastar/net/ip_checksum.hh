// The Internet checksum (RFC 1071): a one's-complement sum of 16-bit
// big-endian words, used by IPv4, ICMP, UDP and TCP.
//
// Contract: any thread, no allocation, never throws. The result is a
// host-order value to be stored with write_be<uint16_t>(); summing a header
// that already holds a correct checksum gives get() == 0.
//
//     seastar::net::checksummer c;
//     c.sum(hdr, 20);
//     write_be<uint16_t>(hdr + 10, c.get());  // with the field zeroed first
#pragma once

#include <cstddef>
#include <cstdint>

#include "seastar/net/packet.hh"

namespace seastar::net {

class checksummer {
    uint64_t _sum = 0;
    // True when an odd number of bytes has been summed: the next byte is the
    // low half of a word.
    bool _odd = false;

public:
    // Adds bytes (may be called for consecutive pieces of odd lengths).
    void sum(const char* data, std::size_t len) noexcept;
    // Adds one 16-bit word (host order), e.g. a pseudo-header field. Must
    // be called at an even position.
    void sum(uint16_t word) noexcept { _sum += word; }
    // Adds a 32-bit value as two words.
    void sum(uint32_t v) noexcept {
        _sum += v >> 16;
        _sum += v & 0xffff;
    }
    // Adds every byte of p.
    void sum(const packet& p) noexcept;
    // The checksum of what was summed (the one's complement of the folded sum).
    uint16_t get() const noexcept;
};

// The checksum of [data, data+len).
uint16_t ip_checksum(const void* data, std::size_t len) noexcept;

} // namespace seastar::net
