#include "seastar/core/units.hh"

#include <cstddef>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(units, binary_multiples) {
    EXPECT_EQ(KB, 1024u);
    EXPECT_EQ(MB, 1024u * 1024);
    EXPECT_EQ(GB, 1024u * 1024 * 1024);
    EXPECT_EQ(4_KiB, 4096u);
    EXPECT_EQ(2_MiB, 2 * MB);
    EXPECT_EQ(1_GiB, GB);
    EXPECT_EQ(1_TiB, size_t(1) << 40);
}

} // namespace
} // namespace seastar
