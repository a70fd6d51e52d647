// The device's shared capacity: what a grab allows, refill with time, and
// exact accounting when several threads (shards) grab at once.
#include "seastar/disk/internal/shared_token_bucket.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using seastar::internal::shared_token_bucket;

TEST(shared_token_bucket, grants_up_to_the_burst) {
    shared_token_bucket b(1000);
    int granted = 0;
    while (b.try_grab(100, 0)) {
        ++granted;
        ASSERT_LT(granted, 100);
    }
    // Grants while the backlog is at most 1000: backlogs 0, 100, ..., 1000.
    EXPECT_EQ(granted, 11);
    EXPECT_EQ(b.backlog(0), 1100);
}

TEST(shared_token_bucket, time_refills) {
    shared_token_bucket b(1000);
    while (b.try_grab(100, 0)) {
    }
    EXPECT_FALSE(b.try_grab(100, 50));
    int granted = 0;
    while (b.try_grab(100, 500)) {
        ++granted;
    }
    EXPECT_EQ(granted, 5);
    // Long idle: the backlog is gone, and idle time is not banked.
    granted = 0;
    while (b.try_grab(100, 1'000'000)) {
        ++granted;
    }
    EXPECT_EQ(granted, 11);
}

TEST(shared_token_bucket, an_oversized_request_passes_an_empty_device) {
    shared_token_bucket b(1000);
    EXPECT_TRUE(b.try_grab(50'000, 0));
    EXPECT_FALSE(b.try_grab(1, 10));
    EXPECT_TRUE(b.try_grab(1, 50'000));
}

TEST(shared_token_bucket, one_shard_takes_what_others_leave) {
    shared_token_bucket b(1000);
    // Shard A grabs everything while shard B is idle; B then finds no room.
    int a = 0;
    while (b.try_grab(100, 0)) {
        ++a;
    }
    EXPECT_EQ(a, 11);
    EXPECT_FALSE(b.try_grab(100, 0));
}

TEST(shared_token_bucket, concurrent_grabs_are_counted_exactly) {
    shared_token_bucket b(100'000);
    std::atomic<int> granted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                if (b.try_grab(10, 0)) {
                    granted.fetch_add(1, std::memory_order_relaxed);
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(granted.load(), 10'001);
    EXPECT_EQ(b.backlog(0), 100'010);
}

} // namespace
