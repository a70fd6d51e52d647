#include "seastar/core/align.hh"

#include <cstddef>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(align, up_and_down) {
    EXPECT_EQ(align_up(size_t(4097), size_t(4096)), 8192u);
    EXPECT_EQ(align_up(size_t(4096), size_t(4096)), 4096u);
    EXPECT_EQ(align_down(size_t(4097), size_t(4096)), 4096u);
    EXPECT_EQ(align_up(0u, 16u), 0u);
    alignas(64) char buf[128];
    EXPECT_EQ(align_up(buf + 1, 64), buf + 64);
    EXPECT_EQ(align_down(buf + 63, 64), buf);
}

} // namespace
} // namespace seastar
