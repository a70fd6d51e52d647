#include "seastar/coroutine/exception.hh"

#include <memory>
#include <stdexcept>

#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

future<int> parse(int v) {
    if (v < 0) {
        co_return coroutine::return_exception(std::invalid_argument("negative"));
    }
    co_return v * 2;
}

TEST(coroutine_exception, co_return_fails_the_future) {
    local_scheduler sched;
    EXPECT_EQ(sched.wait(parse(2)), 4);
    EXPECT_THROW(sched.wait(parse(-1)), std::invalid_argument);
    auto ptr = []() -> future<int> {
        co_return coroutine::return_exception_ptr(std::make_exception_ptr(std::out_of_range("r")));
    };
    EXPECT_THROW(sched.wait(ptr()), std::out_of_range);
}

TEST(coroutine_exception, co_await_fails_a_void_coroutine_and_destroys_its_frame) {
    local_scheduler sched;
    auto alive = std::make_shared<int>(1);
    bool resumed = false;
    auto co = [](std::shared_ptr<int> keep, bool& resumed) -> future<> {
        co_await yield();
        co_await coroutine::exception(std::make_exception_ptr(std::logic_error("stop")));
        resumed = true;
    };
    auto f = co(alive, resumed);
    EXPECT_EQ(alive.use_count(), 2);
    EXPECT_THROW(sched.wait(std::move(f)), std::logic_error);
    EXPECT_FALSE(resumed);
    EXPECT_EQ(alive.use_count(), 1); // the frame (and its copy) is gone
    auto made = []() -> future<> { co_await coroutine::make_exception(std::runtime_error("m")); };
    EXPECT_THROW(sched.wait(made()), std::runtime_error);
}

} // namespace
} // namespace seastar
