#include "seastar/core/chunked_fifo.hh"

#include <deque>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(chunked_fifo, matches_a_deque_across_chunk_boundaries) {
    chunked_fifo<int, 8> q;
    std::deque<int> ref;
    std::mt19937 rng(3);
    for (int i = 0; i < 20000; ++i) {
        if (rng() % 3 != 0) {
            q.push_back(i);
            ref.push_back(i);
        } else if (!ref.empty()) {
            ASSERT_EQ(q.front(), ref.front());
            q.pop_front();
            ref.pop_front();
        }
        ASSERT_EQ(q.size(), ref.size());
        if (!ref.empty()) {
            ASSERT_EQ(q.back(), ref.back());
        }
    }
    EXPECT_EQ(std::vector<int>(q.begin(), q.end()), std::vector<int>(ref.begin(), ref.end()));
    const auto& cq = q;
    size_t n = 0;
    for (auto it = cq.begin(); it != cq.end(); ++it) {
        ++n;
    }
    EXPECT_EQ(n, ref.size());
    q.pop_front_n(ref.size() + 10);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.size(), 0u);
}

TEST(chunked_fifo, reserve_and_shrink_manage_spare_chunks) {
    chunked_fifo<int, 4> q;
    q.reserve(10);
    EXPECT_EQ(q.reserved_chunks(), 3u);
    for (int i = 0; i < 10; ++i) {
        q.push_back(i);
    }
    EXPECT_EQ(q.reserved_chunks(), 0u);
    q.clear();
    EXPECT_EQ(q.reserved_chunks(), 1u); // one spare kept
    q.shrink_to_fit();
    EXPECT_EQ(q.reserved_chunks(), 0u);
}

struct fails_third {
    static inline int made = 0;
    std::unique_ptr<int> p;
    explicit fails_third(int v) : p(std::make_unique<int>(v)) {
        if (++made == 5) {
            throw std::runtime_error("ctor");
        }
    }
};

TEST(chunked_fifo, failed_push_leaves_the_queue_unchanged) {
    chunked_fifo<fails_third, 4> q;
    for (int i = 0; i < 4; ++i) {
        q.emplace_back(i);
    }
    EXPECT_THROW(q.emplace_back(4), std::runtime_error); // would open a new chunk
    EXPECT_EQ(q.size(), 4u);
    EXPECT_EQ(*q.back().p, 3);
    q.emplace_back(5);
    EXPECT_EQ(q.size(), 5u);
    EXPECT_EQ(*q.back().p, 5);
    auto moved = std::move(q);
    EXPECT_EQ(moved.size(), 5u);
    EXPECT_TRUE(q.empty());
}

TEST(chunked_fifo, copies_are_independent) {
    chunked_fifo<std::shared_ptr<int>> a;
    auto s = std::make_shared<int>(1);
    for (int i = 0; i < 300; ++i) {
        a.push_back(s);
    }
    chunked_fifo<std::shared_ptr<int>> b = a;
    EXPECT_EQ(s.use_count(), 601);
    a.clear();
    EXPECT_EQ(s.use_count(), 301);
    EXPECT_EQ(b.size(), 300u);
}

} // namespace
} // namespace seastar
