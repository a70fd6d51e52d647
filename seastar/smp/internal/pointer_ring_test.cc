#include "seastar/smp/internal/pointer_ring.hh"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

namespace seastar::internal {
namespace {

TEST(pointer_ring, capacity_must_be_a_power_of_two_of_whole_lines) {
    EXPECT_THROW(pointer_ring<int>(0), std::invalid_argument);
    EXPECT_THROW(pointer_ring<int>(8), std::invalid_argument);
    EXPECT_THROW(pointer_ring<int>(24), std::invalid_argument);
    EXPECT_EQ(pointer_ring<int>(16).capacity(), 16u);
}

TEST(pointer_ring, items_come_out_in_order_and_a_full_ring_takes_no_more) {
    pointer_ring<int> r(16);
    std::vector<int> values(20);
    std::vector<int*> ptrs;
    for (auto& v : values) {
        v = int(ptrs.size());
        ptrs.push_back(&v);
    }
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.push(ptrs.data(), 20), 16u); // only 16 fit
    EXPECT_EQ(r.size(), 16u);
    EXPECT_EQ(r.push(ptrs.data() + 16, 4), 0u);
    std::vector<int> got;
    EXPECT_EQ(r.consume([&](int* p) { got.push_back(*p); }, 10), 10u);
    EXPECT_EQ(r.push(ptrs.data() + 16, 4), 4u); // wraps around
    EXPECT_EQ(r.consume([&](int* p) { got.push_back(*p); }, 100), 10u);
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.consume([&](int* p) { got.push_back(*p); }, 100), 0u);
    ASSERT_EQ(got.size(), 20u);
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(got[size_t(i)], i);
    }
}

TEST(pointer_ring, consume_stops_at_its_limit) {
    pointer_ring<int> r(16);
    int a = 1, b = 2, c = 3;
    int* items[] = {&a, &b, &c};
    ASSERT_EQ(r.push(items, 3), 3u);
    int sum = 0;
    EXPECT_EQ(r.consume([&](int* p) { sum += *p; }, 2), 2u);
    EXPECT_EQ(sum, 3);
    EXPECT_FALSE(r.empty());
    EXPECT_EQ(r.consume([&](int* p) { sum += *p; }, 2), 1u);
    EXPECT_EQ(sum, 6);
}

// Two threads, a small ring that is often full and often empty: every item
// arrives once, in order, and what the producer wrote into it before pushing
// is what the consumer reads.
TEST(pointer_ring, two_threads_pass_every_item_once_in_order) {
    constexpr uint64_t n = 200000;
    struct item {
        uint64_t seq;
        uint64_t check;
    };
    std::vector<item> items(n);
    pointer_ring<item> r(16);
    std::thread producer([&] {
        uint64_t next = 0;
        while (next < n) {
            item* batch[5];
            std::size_t k = 0;
            for (; k < 5 && next + k < n; ++k) {
                items[next + k] = item{next + k, (next + k) * 2654435761u};
                batch[k] = &items[next + k];
            }
            auto pushed = r.push(batch, k);
            next += pushed;
            if (pushed < k) {
                std::this_thread::yield();
            }
        }
    });
    uint64_t expected = 0;
    bool ok = true;
    while (expected < n) {
        auto got = r.consume(
            [&](item* p) {
                ok = ok && p->seq == expected && p->check == expected * 2654435761u;
                ++expected;
            },
            7);
        if (got == 0) {
            std::this_thread::yield();
        }
    }
    producer.join();
    EXPECT_TRUE(ok);
    EXPECT_EQ(expected, n);
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.size(), 0u);
}

} // namespace
} // namespace seastar::internal
