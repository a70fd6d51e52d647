#include "seastar/util/bool_class.hh"

#include <type_traits>

#include "gtest/gtest.h"

namespace seastar {
namespace {

struct flag_tag {};
using flag = bool_class<flag_tag>;
struct other_tag {};
using other = bool_class<other_tag>;

TEST(bool_class, behaves_like_a_typed_bool) {
    EXPECT_TRUE(bool(flag::yes));
    EXPECT_FALSE(bool(flag::no));
    EXPECT_TRUE(flag() == flag::no);
    EXPECT_TRUE(!flag::no == flag::yes);
    EXPECT_TRUE((flag::yes && flag::no) == flag::no);
    EXPECT_TRUE((flag::yes || flag::no) == flag::yes);
    static_assert(!std::is_convertible_v<flag, other>);
    static_assert(!std::is_convertible_v<bool, flag>);
    static_assert(!std::is_convertible_v<flag, bool>);
}

} // namespace
} // namespace seastar
