#include "seastar/core/bitops.hh"

#include <cstdint>

#include "gtest/gtest.h"

namespace seastar {
namespace {

static_assert(log2ceil(1u) == 0);
static_assert(log2ceil(1024u) == 10);
static_assert(log2floor(1u) == 0);

TEST(bitops, logs_and_counts) {
    for (unsigned k = 0; k < 63; ++k) {
        uint64_t p = uint64_t(1) << k;
        EXPECT_EQ(log2floor(p), k);
        EXPECT_EQ(log2ceil(p), k);
        EXPECT_EQ(count_trailing_zeros(p), k);
        EXPECT_EQ(count_leading_zeros(p), 63 - k);
        if (k > 1) {
            EXPECT_EQ(log2floor(p + 1), k);
            EXPECT_EQ(log2ceil(p + 1), k + 1);
            EXPECT_EQ(log2floor(p - 1), k - 1);
            EXPECT_EQ(log2ceil(p - 1), k);
        }
    }
    EXPECT_EQ(log2ceil(1000), 10u);
    EXPECT_EQ(log2floor(1000), 9u);
    EXPECT_EQ(count_leading_zeros(1u), 31u);
    EXPECT_EQ(count_trailing_zeros(0x80000000u), 31u);
    EXPECT_EQ(log2ceil(uint8_t(200)), 8u);
}

} // namespace
} // namespace seastar
