#include "seastar/core/internal/scheduler_queues.hh"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "seastar/core/scheduling.hh"
#include "seastar/core/task.hh"

namespace seastar::internal {
namespace {

using namespace std::chrono_literals;
using time_point = scheduler_queues::time_point;

time_point fake_now{};
time_point now_fn() {
    return fake_now;
}

// A task that only records that it ran; owned by the test.
class mark_task final : public task {
public:
    explicit mark_task(scheduling_group sg) : task(sg) {}
    int runs = 0;
    void run_and_dispose() noexcept override { ++runs; }
};

// A created group, released when the test ends.
struct test_group {
    unsigned index;
    test_group(const char* name, float shares) : index(allocate_scheduling_group(name, shares)) {}
    ~test_group() { release_scheduling_group(index); }
    scheduling_group sg() const { return scheduling_group_from_index(index); }
};

// Each run of a group is one quota of back-to-back tasks costing `cost`;
// every group stays busy (each popped task is queued again). Returns tasks
// per group index.
std::vector<uint64_t> run_busy(scheduler_queues& q, int quotas, std::chrono::nanoseconds cost,
                               std::chrono::nanoseconds quota, std::vector<unsigned>* order = nullptr) {
    std::vector<uint64_t> counts(max_scheduling_groups());
    for (int i = 0; i < quotas; ++i) {
        auto g = q.pick(fake_now);
        if (!g) {
            break;
        }
        if (order) {
            order->push_back(g->index);
        }
        auto start = fake_now;
        while (fake_now - start < quota) {
            auto t = q.pop(*g);
            if (!t) {
                break;
            }
            fake_now += cost;
            ++counts[g->index];
            q.push(t, false);
        }
        q.finish(*g, fake_now, fake_now - start);
    }
    return counts;
}

TEST(scheduler_queues, cpu_divided_by_shares) {
    test_group a("a", 100), b("b", 200);
    scheduler_queues q(500us, &now_fn);
    mark_task ta(a.sg()), tb(b.sg());
    q.push(&ta, false);
    q.push(&tb, false);
    auto counts = run_busy(q, 3000, 10us, 500us);
    ASSERT_GT(counts[a.index], 0u);
    double ratio = double(counts[b.index]) / double(counts[a.index]);
    EXPECT_GT(ratio, 1.9);
    EXPECT_LT(ratio, 2.1);
    auto sa = q.stats(a.index), sb = q.stats(b.index);
    EXPECT_EQ(sa.tasks_processed, counts[a.index]);
    EXPECT_EQ(sb.tasks_processed, counts[b.index]);
    EXPECT_EQ(sa.runtime + sb.runtime, std::chrono::nanoseconds(10us) * (counts[a.index] + counts[b.index]));
    EXPECT_EQ(sa.queue_length, 1u);
    EXPECT_FLOAT_EQ(sb.shares, 200);
    // Each waited while the other ran.
    EXPECT_GT(sa.starve_time, sb.starve_time);
    EXPECT_GT(sb.starve_time, 0ns);
    while (q.pop_any()) {
    }
}

TEST(scheduler_queues, woken_group_runs_next_but_cannot_monopolise) {
    test_group a("a", 100), b("b", 100);
    scheduler_queues q(500us, &now_fn);
    mark_task ta(a.sg()), tb(b.sg());
    // b runs for one quota, then goes idle.
    q.push(&tb, false);
    run_busy(q, 1, 10us, 500us);
    EXPECT_EQ(q.pop_any(), &tb);
    q.push(&ta, false);
    // a runs alone for 1000 quotas (half a second of CPU).
    auto alone = run_busy(q, 1000, 10us, 500us);
    EXPECT_EQ(alone[a.index], 50000u);
    // b wakes: it runs at the next decision...
    q.push(&tb, false);
    std::vector<unsigned> order;
    auto counts = run_busy(q, 200, 10us, 500us, &order);
    ASSERT_FALSE(order.empty());
    EXPECT_EQ(order[0], b.index);
    // ... but does not get the half second a had: the two alternate at once.
    int longest_b_streak = 0, streak = 0;
    for (auto i : order) {
        streak = i == b.index ? streak + 1 : 0;
        longest_b_streak = std::max(longest_b_streak, streak);
    }
    EXPECT_LE(longest_b_streak, 2);
    EXPECT_NEAR(double(counts[b.index]) / double(counts[a.index]), 1.0, 0.05);
    while (q.pop_any()) {
    }
}

TEST(scheduler_queues, set_shares_takes_effect_at_next_decision) {
    test_group a("a", 100), b("b", 100);
    scheduler_queues q(500us, &now_fn);
    mark_task ta(a.sg()), tb(b.sg());
    q.push(&ta, false);
    q.push(&tb, false);
    auto even = run_busy(q, 1000, 10us, 500us);
    EXPECT_NEAR(double(even[b.index]) / double(even[a.index]), 1.0, 0.05);
    b.sg().set_shares(300);
    auto skewed = run_busy(q, 2000, 10us, 500us);
    EXPECT_NEAR(double(skewed[b.index]) / double(skewed[a.index]), 3.0, 0.15);
    reset_local_scheduling_group_shares(b.index);
    while (q.pop_any()) {
    }
}

TEST(scheduler_queues, urgent_first_and_fifo_within_group) {
    scheduler_queues q(500us, &now_fn);
    mark_task t1(default_scheduling_group()), t2(default_scheduling_group()), t3(default_scheduling_group());
    q.push(&t1, false);
    q.push(&t2, false);
    q.push(&t3, true);
    EXPECT_EQ(q.size(), 3u);
    auto g = q.pick(fake_now);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(q.pop(*g), &t3);
    EXPECT_EQ(q.pop(*g), &t1);
    EXPECT_EQ(q.pop(*g), &t2);
    EXPECT_EQ(q.pop(*g), nullptr);
    q.finish(*g, fake_now, 0ns);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.pick(fake_now), nullptr);
}

TEST(scheduler_queues, tasks_of_a_destroyed_group_run_in_the_default_queue) {
    scheduler_queues q(500us, &now_fn);
    unsigned index;
    {
        test_group a("a", 100);
        index = a.index;
        mark_task queued(a.sg());
        q.push(&queued, false);
        EXPECT_EQ(q.queue_length(index), 1u);
        // Dropping moves what is still queued to the default group.
        EXPECT_TRUE(q.drop_group(index));
        EXPECT_EQ(q.queue_length(index), 0u);
        EXPECT_EQ(q.queue_length(0), 1u);
        EXPECT_EQ(q.pop_any(), &queued);
        EXPECT_EQ(queued.group(), default_scheduling_group());
    }
    // The index is free now: a task still naming it goes to the default queue.
    mark_task late(scheduling_group_from_index(index));
    q.push(&late, false);
    EXPECT_EQ(q.queue_length(0), 1u);
    EXPECT_EQ(q.group(index), nullptr);
    EXPECT_EQ(q.pop_any(), &late);
    EXPECT_FALSE(q.drop_group(0));
}

} // namespace
} // namespace seastar::internal
