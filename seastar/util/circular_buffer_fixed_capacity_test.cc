#include "seastar/core/circular_buffer_fixed_capacity.hh"

#include <algorithm>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(circular_buffer_fixed_capacity, wraps_within_its_capacity) {
    circular_buffer_fixed_capacity<int, 4> cb;
    static_assert(decltype(cb)::capacity() == 4);
    for (int round = 0; round < 10; ++round) {
        cb.push_back(round);
        if (cb.full()) {
            EXPECT_EQ(cb.front(), round - 3);
            cb.pop_front();
        }
    }
    EXPECT_EQ(std::vector<int>(cb.begin(), cb.end()), (std::vector<int>{7, 8, 9}));
    cb.push_front(6);
    EXPECT_TRUE(cb.full());
    EXPECT_EQ(cb[0], 6);
    EXPECT_EQ(cb.back(), 9);
    EXPECT_THROW(cb.at(4), std::out_of_range);
    auto it = cb.erase(cb.begin() + 1, cb.begin() + 2);
    EXPECT_EQ(*it, 8);
    EXPECT_EQ(std::vector<int>(cb.begin(), cb.end()), (std::vector<int>{6, 8, 9}));
    std::reverse(cb.begin(), cb.end());
    EXPECT_EQ(cb.front(), 9);
}

TEST(circular_buffer_fixed_capacity, owns_its_elements) {
    auto shared = std::make_shared<int>(1);
    {
        circular_buffer_fixed_capacity<std::shared_ptr<int>, 8> cb;
        for (int i = 0; i < 5; ++i) {
            cb.push_back(shared);
        }
        EXPECT_EQ(shared.use_count(), 6);
        auto copy = cb;
        EXPECT_EQ(shared.use_count(), 11);
        auto moved = std::move(copy);
        EXPECT_TRUE(copy.empty());
        EXPECT_EQ(shared.use_count(), 11);
        cb.pop_back();
        EXPECT_EQ(shared.use_count(), 10);
    }
    EXPECT_EQ(shared.use_count(), 1);
}

} // namespace
} // namespace seastar
