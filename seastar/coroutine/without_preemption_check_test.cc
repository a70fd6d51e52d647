#include "seastar/coroutine/without_preemption_check.hh"

#include <stdexcept>

#include "seastar/core/local_scheduler.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(without_preemption_check, ready_futures_never_yield) {
    local_scheduler sched;
    sched.set_need_preempt(true); // a plain co_await of a ready future would yield now
    promise<int> p;
    bool done = false;
    auto co = [&]() -> future<int> {
        int sum = 0;
        for (int i = 0; i < 100; ++i) {
            sum += co_await coroutine::without_preemption_check(make_ready_future<int>(i));
        }
        sum += co_await coroutine::without_preemption_check(p.get_future()); // suspends
        done = true;
        co_return sum;
    };
    auto f = co();
    EXPECT_FALSE(done); // waiting for p, after 100 awaits without suspending
    p.set_value(50);
    EXPECT_EQ(sched.wait(std::move(f)), 4950 + 50);
    auto failing = []() -> future<> {
        co_await coroutine::without_preemption_check(make_exception_future<>(std::runtime_error("x")));
    };
    EXPECT_THROW(sched.wait(failing()), std::runtime_error);
}

} // namespace
} // namespace seastar
