#include "seastar/core/enum.hh"

#include <functional>
#include <unordered_map>

#include "gtest/gtest.h"

namespace seastar {
namespace {

enum class color { red, green, blue };

TEST(enum_hash, keys_unordered_containers) {
    std::unordered_map<color, int, enum_hash<color>> m;
    m[color::red] = 1;
    m[color::blue] = 3;
    EXPECT_EQ(m.size(), 2u);
    EXPECT_EQ(m.at(color::blue), 3);
    EXPECT_EQ(enum_hash<color>()(color::green), std::hash<int>()(1));
}

} // namespace
} // namespace seastar
