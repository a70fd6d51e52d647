#include "seastar/coroutine/try_future.hh"

#include <memory>
#include <stdexcept>
#include <string>

#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

// Counts its live copies, to see when a coroutine's frame is destroyed.
struct tracked {
    int* alive;
    explicit tracked(int* a) : alive(a) { ++*alive; }
    tracked(const tracked&) = delete;
    ~tracked() { --*alive; }
};

TEST(try_future, gives_the_value_of_a_successful_future) {
    local_scheduler sched;
    auto co = []() -> future<int> {
        int a = co_await coroutine::try_future(make_ready_future<int>(2));
        int b = co_await coroutine::try_future(yield().then([] { return 3; }));
        co_await coroutine::try_future(yield());
        co_await coroutine::try_future_without_preemption_check(make_ready_future<>());
        co_return a + b;
    };
    EXPECT_EQ(sched.wait(co()), 5);
}

TEST(try_future, a_failure_ends_the_coroutine_without_resuming_it) {
    local_scheduler sched;
    int alive = 0;
    bool resumed = false;
    bool caught = false;
    auto co = [&]() -> future<std::string> {
        tracked t(&alive);
        try {
            co_await coroutine::try_future(yield().then([]() -> int { throw std::runtime_error("late"); }));
            resumed = true;
        } catch (...) {
            caught = true; // not reached: the failure bypasses the coroutine
        }
        co_return "resumed";
    };
    auto f = co();
    EXPECT_EQ(alive, 1);
    EXPECT_THROW(sched.wait(std::move(f)), std::runtime_error);
    EXPECT_FALSE(resumed);
    EXPECT_FALSE(caught);
    EXPECT_EQ(alive, 0); // the frame and its locals are gone
}

TEST(try_future, an_already_failed_future_ends_the_coroutine_at_once) {
    local_scheduler sched;
    int alive = 0;
    bool resumed = false;
    auto co = [&]() -> future<> {
        tracked t(&alive);
        co_await coroutine::try_future_without_preemption_check(
            make_exception_future<>(std::invalid_argument("early")));
        resumed = true;
    };
    auto f = co();
    // Ended inside co(): the frame is destroyed before anything ran on the scheduler.
    EXPECT_EQ(alive, 0);
    EXPECT_TRUE(f.failed());
    EXPECT_THROW(sched.wait(std::move(f)), std::invalid_argument);
    EXPECT_FALSE(resumed);
}

TEST(try_future, failure_reaches_the_awaiting_coroutine) {
    local_scheduler sched;
    auto inner = []() -> future<int> {
        co_return co_await coroutine::try_future(make_exception_future<int>(std::runtime_error("deep")));
    };
    auto outer = [&]() -> future<int> {
        try {
            co_return co_await inner();
        } catch (const std::runtime_error& e) {
            co_return std::string(e.what()) == "deep" ? 1 : 2;
        }
    };
    EXPECT_EQ(sched.wait(outer()), 1);
}

} // namespace
} // namespace seastar
