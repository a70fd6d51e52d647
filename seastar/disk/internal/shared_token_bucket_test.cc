// The device's shared capacity: what a grab allows, refill with time, and
// exact accounting when several threads (shards) grab at once.
#include "seastar/disk/internal/shared_token_bucket.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using seastar::internal::io_flow_controller;
using seastar::internal::shared_token_bucket;

// Feeds `n` completions with `excess` ns each, evenly from `t` to `t + span`
// (one full window by default: the last one closes it); returns the time
// after them.
int64_t feed(io_flow_controller& fc, int64_t t, int n, int64_t excess, int64_t span = io_flow_controller::window) {
    for (int i = 0; i < n; ++i) {
        fc.on_completion(excess, t + span * i / (n - 1));
    }
    return t + span + 1;
}

TEST(io_flow_controller, a_device_slower_than_its_model_is_charged_more) {
    io_flow_controller fc(1'000'000);
    EXPECT_EQ(fc.scale(), 1.0);
    // Requests on time, then 3 ms later than charged: the first slow window
    // holds, every one after it raises the scale.
    int64_t t = feed(fc, 0, 100, 10'000);
    EXPECT_EQ(fc.scale(), 1.0);
    t = feed(fc, t, 100, 3'000'000);
    EXPECT_EQ(fc.scale(), 1.0);
    double last = fc.scale();
    for (int w = 0; w < 5; ++w) {
        t = feed(fc, t, 100, 3'000'000);
        EXPECT_GT(fc.scale(), last) << w;
        last = fc.scale();
    }
    // ...up to the bound.
    for (int w = 0; w < 30; ++w) {
        t = feed(fc, t, 100, 3'000'000);
    }
    EXPECT_EQ(fc.scale(), io_flow_controller::max_scale);
    // Once the queue is short again, the scale comes back to the model's 1.
    for (int w = 0; w < 1000 && fc.scale() > 1.0; ++w) {
        t = feed(fc, t, 100, 10'000);
    }
    EXPECT_EQ(fc.scale(), 1.0);
}

TEST(io_flow_controller, holds_between_an_eighth_and_a_quarter_of_the_goal) {
    io_flow_controller fc(1'000'000);
    int64_t t = feed(fc, 0, 100, 0);
    t = feed(fc, t, 100, 2'000'000);
    t = feed(fc, t, 100, 2'000'000);
    auto raised = fc.scale();
    EXPECT_GT(raised, 1.0);
    for (int w = 0; w < 20; ++w) {
        t = feed(fc, t, 100, 200'000);
    }
    EXPECT_EQ(fc.scale(), raised);
    // Requests faster than the model (negative excess) count as on time.
    t = feed(fc, t, 100, -5'000'000);
    EXPECT_LT(fc.scale(), raised);
}

TEST(io_flow_controller, a_stall_now_and_then_is_not_a_queue) {
    // One window in ten 20 ms late (every request held at once), the rest
    // on time: the scale stays at the model's.
    io_flow_controller fc(1'000'000);
    int64_t t = 0;
    for (int w = 0; w < 200; ++w) {
        t = feed(fc, t, 100, w % 10 == 9 ? 20'000'000 : 10'000);
    }
    EXPECT_EQ(fc.scale(), 1.0);
    // Two in a row are a queue.
    t = feed(fc, t, 100, 20'000'000);
    t = feed(fc, t, 100, 20'000'000);
    EXPECT_GT(fc.scale(), 1.0);
}

TEST(io_flow_controller, a_device_slow_for_every_request_is_not_throttled) {
    // Every request 3 ms later than charged, from the first on, however
    // short the queue: the device's own latency, which charging more cannot
    // shorten.
    io_flow_controller fc(1'000'000);
    int64_t t = 0;
    for (int w = 0; w < 100; ++w) {
        t = feed(fc, t, 100, 3'000'000 + (w % 3) * 100'000);
    }
    EXPECT_EQ(fc.scale(), 1.0);
}

TEST(io_flow_controller, a_load_that_never_lets_up_is_measured_against_probes) {
    // Every request 3 ms later than charged from the first window on: with
    // nothing else to go by, that is the device's own latency.
    io_flow_controller fc(1'000'000);
    int64_t t = 0;
    for (int w = 0; w < 20; ++w) {
        t = feed(fc, t, 100, 3'000'000);
    }
    EXPECT_EQ(fc.scale(), 1.0);
    // A request alone took 100 us more than its cost: the other 2.9 ms were
    // the queue's, and every window after the first raises the scale.
    fc.on_probe(100'000, t);
    t = feed(fc, t, 100, 3'000'000);
    double last = fc.scale();
    for (int w = 0; w < 5; ++w) {
        t = feed(fc, t, 100, 3'000'000);
        EXPECT_GT(fc.scale(), last) << w;
        last = fc.scale();
    }
    // A probe that met a slow moment does not lift the floor: the lowest of
    // the recent probes counts.
    fc.on_probe(3'000'000, t);
    t = feed(fc, t, 100, 3'000'000);
    EXPECT_GT(fc.scale(), last);
}

TEST(io_flow_controller, probes_as_slow_as_the_load_throttle_nothing) {
    // A device slow alone as well as under load: not the queue's doing.
    io_flow_controller fc(1'000'000);
    int64_t t = 0;
    for (int w = 0; w < 100; ++w) {
        if (w % 10 == 0) {
            fc.on_probe(3'000'000, t);
        }
        t = feed(fc, t, 100, 3'000'000 + (w % 3) * 100'000);
    }
    EXPECT_EQ(fc.scale(), 1.0);
}

TEST(io_flow_controller, a_probe_is_due_an_interval_after_the_last_while_windows_are_slow) {
    io_flow_controller fc(1'000'000);
    constexpr auto interval = io_flow_controller::probe_interval;
    // Nothing completed yet: nothing to compare a probe with.
    EXPECT_FALSE(fc.probe_due(int64_t(1) << 60));
    // Windows within the goal: no floor could make them raise the scale.
    int64_t t = feed(fc, 5'000, 100, 200'000);
    EXPECT_FALSE(fc.probe_due(t + interval));
    // A slow window: due an interval after the first completion.
    t = feed(fc, t, 100, 300'000);
    EXPECT_FALSE(fc.probe_due(5'000 + interval - 1));
    EXPECT_TRUE(fc.probe_due(5'000 + interval));
    // ...and an interval after the last probe.
    fc.on_probe(0, 7'000'000'000);
    EXPECT_FALSE(fc.probe_due(7'000'000'000 + interval - 1));
    EXPECT_TRUE(fc.probe_due(7'000'000'000 + interval));
}

TEST(io_flow_controller, decides_only_on_a_full_window) {
    io_flow_controller fc(1'000'000);
    // Many slow completions within one window: no decision yet.
    feed(fc, 0, 1000, 50'000'000, io_flow_controller::window / 2);
    EXPECT_EQ(fc.scale(), 1.0);
    // A long window with too few samples: no decision either.
    io_flow_controller sparse(1'000'000);
    feed(sparse, 0, int(io_flow_controller::min_samples) - 1, 50'000'000, 10 * io_flow_controller::window);
    EXPECT_EQ(sparse.scale(), 1.0);
}

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
