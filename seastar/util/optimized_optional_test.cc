#include "seastar/util/optimized_optional.hh"

#include <memory>
#include <optional>
#include <sstream>

#include "seastar/util/noncopyable_function.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(optimized_optional, costs_nothing_over_the_type) {
    static_assert(sizeof(optimized_optional<std::unique_ptr<int>>) == sizeof(std::unique_ptr<int>));
    optimized_optional<std::unique_ptr<int>> o;
    EXPECT_FALSE(o);
    EXPECT_TRUE(o == std::nullopt);
    o = std::make_unique<int>(3);
    ASSERT_TRUE(o);
    EXPECT_EQ(**o, 3);
    auto moved = std::move(o);
    EXPECT_EQ(**moved, 3);
    moved = std::nullopt;
    EXPECT_FALSE(moved);
    // A held value that is itself empty reads as disengaged.
    optimized_optional<std::unique_ptr<int>> empty_ptr(std::unique_ptr<int>{});
    EXPECT_FALSE(empty_ptr);
}

TEST(optimized_optional, from_std_optional_and_printing) {
    std::optional<std::shared_ptr<int>> s = std::make_shared<int>(9);
    optimized_optional<std::shared_ptr<int>> o(std::move(s));
    EXPECT_EQ(**o, 9);
    optimized_optional<std::shared_ptr<int>> none(std::optional<std::shared_ptr<int>>{});
    EXPECT_FALSE(none);
    noncopyable_function<int()> f = [] { return 1; };
    optimized_optional<noncopyable_function<int()>> of(std::move(f));
    EXPECT_EQ((*of)(), 1);
    std::ostringstream os;
    optimized_optional<std::shared_ptr<int>> copy = o;
    os << none;
    EXPECT_EQ(os.str(), "null");
    EXPECT_TRUE(copy == o);
}

} // namespace
} // namespace seastar
