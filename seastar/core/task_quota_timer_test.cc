// Both ways of ending a task quota: need_preempt() turns true once the quota
// has run out (and not before it is armed), and stays false after disarm().
#include "seastar/core/internal/task_quota_timer.hh"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "seastar/core/task.hh"

namespace seastar::internal {
namespace {

using namespace std::chrono_literals;

class quota : public ::testing::TestWithParam<bool> {
protected:
    std::atomic<bool> flag{false};
    const std::atomic<bool>* prev = nullptr;
    void SetUp() override { prev = set_preemption_flag(&flag); }
    void TearDown() override {
        hooks.preempt_at = no_preempt_deadline;
        set_preemption_flag(prev);
    }
};

// Spins (as a task would) until need_preempt() or `limit`; returns how long
// since `start` (taken before the quota was armed), read after
// need_preempt() answered: the thread may be descheduled between any two
// steps, which must not make the quota look shorter.
std::chrono::steady_clock::duration spin_until_preempted(std::chrono::steady_clock::time_point start,
                                                         std::chrono::steady_clock::duration limit) {
    for (;;) {
        bool preempted = need_preempt();
        auto now = std::chrono::steady_clock::now();
        if (preempted || now - start >= limit) {
            return now - start;
        }
    }
}

TEST_P(quota, need_preempt_turns_true_once_the_quota_has_run_out) {
    task_quota_timer t(flag, GetParam());
    if (!GetParam()) {
        EXPECT_EQ(t.how(), task_quota_timer::method::helper_thread);
    }
    EXPECT_FALSE(need_preempt());
    // 20 ms: a loaded machine may deschedule the helper thread for a while,
    // but never for the 10 s limit.
    auto start = std::chrono::steady_clock::now();
    t.arm(start, 20ms);
    auto took = spin_until_preempted(start, 10s);
    EXPECT_TRUE(need_preempt());
    EXPECT_GE(took, 19ms); // not before the quota ended (1 ms for the counter's measured rate)
    EXPECT_LT(took, 10s);
    t.disarm();
}

TEST_P(quota, a_disarmed_quota_never_preempts) {
    task_quota_timer t(flag, GetParam());
    t.arm(std::chrono::steady_clock::now(), 1ms);
    t.disarm();
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(need_preempt());
    EXPECT_FALSE(flag.load());
}

TEST_P(quota, re_arming_moves_the_end_of_the_quota) {
    task_quota_timer t(flag, GetParam());
    for (int i = 0; i < 3; ++i) {
        flag.store(false);
        auto start = std::chrono::steady_clock::now();
        t.arm(start, 5ms);
        EXPECT_GE(spin_until_preempted(start, 10s), 4ms);
        EXPECT_TRUE(need_preempt());
    }
    t.disarm();
}

INSTANTIATE_TEST_SUITE_P(task_quota_timer, quota, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "cycle_counter" : "helper_thread"; });

TEST(task_quota_timer, this_machine_keeps_time_with_its_cycle_counter_if_it_says_so) {
    double rate = cycle_counter_ticks_per_ns();
    if (rate == 0) {
        GTEST_SKIP() << "no invariant cycle counter here: quotas end by the helper thread";
    }
    // A counter that keeps time agrees with CLOCK_MONOTONIC over 20 ms
    // within a few percent (the rate came from a 2 ms window). Each reading
    // of the two clocks is retried until it was not split by the scheduler.
    auto both = [] {
        for (;;) {
            auto before = std::chrono::steady_clock::now();
            auto c = cycle_counter();
            auto after = std::chrono::steady_clock::now();
            if (after - before < 50us) {
                return std::pair(c, before);
            }
        }
    };
    auto [c0, t0] = both();
    std::this_thread::sleep_for(20ms);
    auto [c1, t1] = both();
    double ns = double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    EXPECT_NEAR(double(c1 - c0) / rate / ns, 1.0, 0.05);
}

} // namespace
} // namespace seastar::internal
