#include "seastar/util/defer.hh"

#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(defer, runs_on_every_way_out_of_a_scope) {
    std::vector<int> log;
    {
        auto a = defer([&]() noexcept { log.push_back(1); });
        auto b = defer([&]() noexcept { log.push_back(2); });
    }
    EXPECT_EQ(log, (std::vector<int>{2, 1})); // reverse order, like destructors
    log.clear();
    try {
        auto a = defer([&]() noexcept { log.push_back(3); });
        throw std::runtime_error("leave");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(log, (std::vector<int>{3}));
}

TEST(defer, cancel_and_move) {
    int runs = 0;
    {
        auto a = defer([&]() noexcept { ++runs; });
        a.cancel();
    }
    EXPECT_EQ(runs, 0);
    {
        auto a = defer([&]() noexcept { ++runs; });
        {
            auto b = std::move(a); // the duty moves to b
        }
        EXPECT_EQ(runs, 1);
    }
    EXPECT_EQ(runs, 1);
    // Only noexcept actions are accepted.
    auto throwing = [] {};
    static_assert(!deferrable_action<decltype(throwing)>);
}

} // namespace
} // namespace seastar
