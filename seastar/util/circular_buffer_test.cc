#include "seastar/core/circular_buffer.hh"

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(circular_buffer, behaves_like_a_deque) {
    circular_buffer<int> cb;
    std::deque<int> ref;
    std::mt19937 rng(7);
    for (int i = 0; i < 10000; ++i) {
        switch (rng() % 5) {
        case 0:
            cb.push_back(i);
            ref.push_back(i);
            break;
        case 1:
            cb.push_front(i);
            ref.push_front(i);
            break;
        case 2:
            if (!ref.empty()) {
                EXPECT_EQ(cb.front(), ref.front());
                cb.pop_front();
                ref.pop_front();
            }
            break;
        case 3:
            if (!ref.empty()) {
                EXPECT_EQ(cb.back(), ref.back());
                cb.pop_back();
                ref.pop_back();
            }
            break;
        default:
            cb.emplace_back(-i);
            ref.emplace_back(-i);
        }
        ASSERT_EQ(cb.size(), ref.size());
    }
    EXPECT_TRUE(std::equal(cb.begin(), cb.end(), ref.begin(), ref.end()));
    EXPECT_TRUE(std::equal(cb.rbegin(), cb.rend(), ref.rbegin(), ref.rend()));
    for (size_t i = 0; i < ref.size(); ++i) {
        ASSERT_EQ(cb[i], ref[i]);
    }
    EXPECT_EQ(cb.capacity() & (cb.capacity() - 1), 0u);
    EXPECT_THROW(cb.at(cb.size()), std::out_of_range);
    std::sort(cb.begin(), cb.end()); // random-access iterators
    EXPECT_TRUE(std::is_sorted(cb.begin(), cb.end()));
}

TEST(circular_buffer, move_only_elements_survive_growth) {
    circular_buffer<std::unique_ptr<int>> cb;
    for (int i = 0; i < 100; ++i) {
        cb.push_front(std::make_unique<int>(i));
    }
    EXPECT_EQ(*cb.front(), 99);
    EXPECT_EQ(*cb.back(), 0);
    auto moved = std::move(cb);
    EXPECT_TRUE(cb.empty());
    EXPECT_EQ(moved.size(), 100u);
}

TEST(circular_buffer, erase_from_either_side) {
    circular_buffer<std::string> cb;
    for (int i = 0; i < 10; ++i) {
        cb.push_back(std::to_string(i));
    }
    auto it = cb.erase(cb.begin() + 1, cb.begin() + 3); // near the front
    EXPECT_EQ(*it, "3");
    it = cb.erase(cb.end() - 3, cb.end() - 1); // near the back
    EXPECT_EQ(*it, "9");
    std::vector<std::string> got(cb.begin(), cb.end());
    EXPECT_EQ(got, (std::vector<std::string>{"0", "3", "4", "5", "6", "9"}));
    cb.erase_if([](const std::string& s) { return s == "4" || s == "6"; });
    got.assign(cb.begin(), cb.end());
    EXPECT_EQ(got, (std::vector<std::string>{"0", "3", "5", "9"}));
    circular_buffer<std::string> copy = cb;
    EXPECT_EQ(copy.size(), 4u);
    EXPECT_EQ(copy[3], "9");
    cb.reserve(100);
    EXPECT_GE(cb.capacity(), 100u);
    EXPECT_EQ(cb[1], "3");
}

struct throws_on_copy {
    static inline int copies = 0;
    int v;
    explicit throws_on_copy(int x) : v(x) {}
    throws_on_copy(const throws_on_copy& o) : v(o.v) {
        if (++copies == 2) {
            throw std::runtime_error("copy");
        }
    }
    throws_on_copy(throws_on_copy&& o) : v(o.v) { // may throw: growth copies instead
        if (++copies == 2) {
            throw std::runtime_error("copy");
        }
    }
};

TEST(circular_buffer, failed_growth_leaves_the_buffer_unchanged) {
    circular_buffer<throws_on_copy> cb;
    cb.reserve(2);
    cb.emplace_back(1);
    cb.emplace_back(2);
    throws_on_copy::copies = 0;
    EXPECT_THROW(cb.emplace_back(3), std::runtime_error);
    EXPECT_EQ(cb.size(), 2u);
    EXPECT_EQ(cb[0].v, 1);
    EXPECT_EQ(cb[1].v, 2);
}

} // namespace
} // namespace seastar
