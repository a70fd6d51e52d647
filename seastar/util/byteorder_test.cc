#include "seastar/core/byteorder.hh"

#include <cstdint>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(byteorder, reads_and_writes_at_any_alignment) {
    alignas(8) char buf[16] = {};
    write_be<uint32_t>(buf + 1, 0x01020304);
    EXPECT_EQ(buf[1], 0x01);
    EXPECT_EQ(buf[4], 0x04);
    EXPECT_EQ(read_be<uint32_t>(buf + 1), 0x01020304u);
    EXPECT_EQ(read_le<uint32_t>(buf + 1), 0x04030201u);
    write_le<uint16_t>(buf + 7, 0xabcd);
    EXPECT_EQ(uint8_t(buf[7]), 0xcd);
    EXPECT_EQ(read_le<uint16_t>(buf + 7), 0xabcd);

    char out[15];
    char* w = out;
    produce_be<uint8_t>(w, 0x7f);
    produce_be<uint16_t>(w, 0x1234);
    produce_le<uint32_t>(w, 0xdeadbeef);
    produce_be<int64_t>(w, -2);
    EXPECT_EQ(w - out, 15);
    const char* r = out;
    EXPECT_EQ(consume_be<uint8_t>(r), 0x7f);
    EXPECT_EQ(consume_be<uint16_t>(r), 0x1234);
    EXPECT_EQ(consume_le<uint32_t>(r), 0xdeadbeefu);
    EXPECT_EQ(consume_be<int64_t>(r), -2);
    EXPECT_EQ(r, out + 15);
    EXPECT_EQ(hton(uint16_t(0x0102)), uint16_t(0x0201));
    EXPECT_EQ(ntoh(hton(uint64_t(0x0102030405060708))), 0x0102030405060708u);
    EXPECT_EQ(cpu_to_le(uint32_t(5)), 5u);
}

} // namespace
} // namespace seastar
