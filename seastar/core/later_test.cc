#include "seastar/util/later.hh"

#include <atomic>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/local_scheduler.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(later, yield_lets_queued_tasks_run_first) {
    local_scheduler sched;
    std::vector<int> log;
    promise<> p;
    auto other = p.get_future().then([&] { log.push_back(1); });
    p.set_value(); // queued before the yield
    auto f = yield().then([&] { log.push_back(2); });
    EXPECT_FALSE(f.available());
    sched.wait(std::move(f));
    sched.wait(std::move(other));
    EXPECT_EQ(log, (std::vector<int>{1, 2}));
}

TEST(later, now_is_ready_and_check_for_io_raises_the_preemption_flag) {
    auto f = now();
    EXPECT_TRUE(f.available());
    f.get();
    // Without a flag installed (never preempt) it is a plain ready future.
    auto g = check_for_io_immediately();
    EXPECT_TRUE(g.available());
    g.get();
    EXPECT_FALSE(need_preempt());
    std::atomic<bool> flag{false};
    auto prev = internal::set_preemption_flag(&flag);
    EXPECT_FALSE(need_preempt());
    auto h = check_for_io_immediately();
    EXPECT_TRUE(h.available());
    h.get();
    EXPECT_TRUE(need_preempt());
    EXPECT_TRUE(flag.load());
    internal::set_preemption_flag(prev);
}

TEST(later, coroutine_resumes_after_a_yield) {
    local_scheduler sched;
    int steps = 0;
    auto f = [](int& steps) -> future<> {
        ++steps;
        co_await yield();
        ++steps;
        co_await later();
        ++steps;
    }(steps);
    EXPECT_EQ(steps, 1);
    EXPECT_TRUE(sched.run_one());
    EXPECT_EQ(steps, 2) << "the yield task resumes its waiter directly";
    sched.wait(std::move(f));
    EXPECT_EQ(steps, 3);
}

TEST(later, maybe_yield_is_ready_unless_preempted) {
    local_scheduler sched;
    auto f = maybe_yield();
    EXPECT_TRUE(f.available());
    f.get();
    sched.set_need_preempt(true);
    auto g = maybe_yield();
    EXPECT_FALSE(g.available());
    sched.set_need_preempt(false);
    sched.wait(std::move(g));
}

} // namespace
} // namespace seastar
