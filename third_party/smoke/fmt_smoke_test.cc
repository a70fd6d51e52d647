// {fmt}: formatting and the compiled library link.
#include <fmt/format.h>

#include "gtest/gtest.h"

TEST(FmtSmoke, Formats) {
    EXPECT_EQ(fmt::format("{}-{:04x}", "shard", 255), "shard-00ff");
    EXPECT_GE(FMT_VERSION, 90100);
}
