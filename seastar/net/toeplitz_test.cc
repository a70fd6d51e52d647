#include "seastar/net/toeplitz.hh"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace seastar {
namespace {

// The verification suite of Microsoft's RSS specification (IPv4), with the
// default key: input is source address, destination address, then (for
// TCP) source port and destination port, in network order.
struct vector_case {
    uint8_t src[4];
    uint16_t sport;
    uint8_t dst[4];
    uint16_t dport;
    uint32_t ip_only;
    uint32_t with_ports;
};

const vector_case cases[] = {
    {{66, 9, 149, 187}, 2794, {161, 142, 100, 80}, 1766, 0x323e8fc2, 0x51ccc178},
    {{199, 92, 111, 2}, 14230, {65, 69, 140, 83}, 4739, 0xd718262a, 0xc626b0ea},
    {{24, 19, 198, 95}, 12898, {12, 22, 207, 184}, 38024, 0xd2d0a5de, 0x5c2b394a},
    {{38, 27, 205, 30}, 48228, {209, 142, 163, 6}, 2217, 0x82989176, 0xafc7327f},
    {{153, 39, 163, 191}, 44251, {202, 188, 127, 2}, 1303, 0x5d1809c5, 0x10e828a2},
};

TEST(toeplitz, microsoft_verification_suite) {
    for (auto& c : cases) {
        std::vector<uint8_t> in(c.src, c.src + 4);
        in.insert(in.end(), c.dst, c.dst + 4);
        EXPECT_EQ(toeplitz_hash(default_rsskey_40bytes, in), c.ip_only);
        in.push_back(uint8_t(c.sport >> 8));
        in.push_back(uint8_t(c.sport));
        in.push_back(uint8_t(c.dport >> 8));
        in.push_back(uint8_t(c.dport));
        EXPECT_EQ(toeplitz_hash(default_rsskey_40bytes, in), c.with_ports);
    }
}

TEST(toeplitz, empty_input_hashes_to_zero) {
    EXPECT_EQ(toeplitz_hash(default_rsskey_40bytes, std::span<const uint8_t>()), 0u);
}

} // namespace
} // namespace seastar
