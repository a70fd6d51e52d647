#include "seastar/coroutine/maybe_yield.hh"

#include <vector>

#include "gtest/gtest.h"
#include "seastar/core/coroutine.hh"
#include "seastar/core/local_scheduler.hh"

namespace seastar {
namespace {

future<> loop(int n, std::vector<int>& log, int id) {
    for (int i = 0; i < n; ++i) {
        log.push_back(id);
        co_await coroutine::maybe_yield();
    }
}

TEST(maybe_yield, does_not_suspend_without_preemption) {
    // No scheduler installed: a suspension would abort.
    std::vector<int> log;
    auto f = loop(1000, log, 1);
    ASSERT_TRUE(f.available());
    f.get();
    EXPECT_EQ(log.size(), 1000u);
}

TEST(maybe_yield, lets_other_tasks_run_when_the_quota_expires) {
    local_scheduler sched;
    std::vector<int> log;
    sched.set_need_preempt(true);
    auto a = loop(3, log, 1);
    auto b = loop(3, log, 2);
    sched.set_need_preempt(false);
    sched.set_task_quota(1);   // every task uses up its quota
    sched.wait(std::move(a));
    sched.wait(std::move(b));
    EXPECT_EQ(log, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

} // namespace
} // namespace seastar
