#include "seastar/core/format.hh"

#include <string>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(format, returns_an_sstring) {
    sstring s = format("{} shards, {:.1f} MiB, {}", 4, 12.5, sstring("ok"));
    EXPECT_EQ(s, "4 shards, 12.5 MiB, ok");
    EXPECT_EQ(format("{:>20}", "x").size(), 20u);
    std::string big(100, 'b');
    EXPECT_EQ(format("{}{}", big, big).size(), 200u);
    EXPECT_THROW((void)seastar::format(fmt::runtime("{:d}"), "text"), fmt::format_error);
}

} // namespace
} // namespace seastar
