#include "seastar/net/ip_checksum.hh"

#include <gtest/gtest.h>

#include <string>

#include "seastar/net/byteorder.hh"

namespace seastar::net {
namespace {

// A real IPv4 header (192.168.0.1 -> 192.168.0.199, UDP) whose checksum is 0xb861.
const uint8_t sample_header[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

TEST(ip_checksum, known_header) {
    EXPECT_EQ(ip_checksum(sample_header, sizeof(sample_header)), 0xb861);
}

TEST(ip_checksum, header_with_its_checksum_sums_to_zero) {
    uint8_t h[20];
    std::copy(std::begin(sample_header), std::end(sample_header), h);
    write_be<uint16_t>(h + 10, 0xb861);
    EXPECT_EQ(ip_checksum(h, sizeof(h)), 0);
    h[15] ^= 1; // one bit off
    EXPECT_NE(ip_checksum(h, sizeof(h)), 0);
}

TEST(ip_checksum, rfc1071_example) {
    // RFC 1071 section 3: the sum of these words is 0xddf2, so the checksum is ~0xddf2.
    const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(ip_checksum(data, sizeof(data)), uint16_t(~0xddf2));
}

TEST(ip_checksum, odd_lengths_pad_with_zero) {
    const uint8_t data[] = {0x12, 0x34, 0x56};
    // 0x1234 + 0x5600
    EXPECT_EQ(ip_checksum(data, 3), uint16_t(~(0x1234 + 0x5600)));
}

TEST(ip_checksum, pieces_of_odd_length_equal_one_pass) {
    std::string s;
    for (int i = 0; i < 1001; ++i) {
        s.push_back(char(i * 37 + 11));
    }
    uint16_t whole = ip_checksum(s.data(), s.size());
    for (std::size_t cut1 : {1u, 3u, 500u, 999u}) {
        checksummer c;
        c.sum(s.data(), cut1);
        c.sum(s.data() + cut1, 1);
        c.sum(s.data() + cut1 + 1, s.size() - cut1 - 1);
        EXPECT_EQ(c.get(), whole) << cut1;
    }
    packet p(s.data(), 7);
    p.append(packet(s.data() + 7, 100));
    p.append(packet(s.data() + 107, s.size() - 107));
    checksummer c;
    c.sum(p);
    EXPECT_EQ(c.get(), whole);
}

TEST(ip_checksum, long_input_does_not_overflow) {
    std::string s(1 << 20, char(0xff));
    // All-ones words sum to all ones in one's complement: checksum 0.
    EXPECT_EQ(ip_checksum(s.data(), s.size()), 0);
}

} // namespace
} // namespace seastar::net
