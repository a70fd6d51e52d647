#include "seastar/core/shared_future.hh"

#include <stdexcept>
#include <string>

#include "seastar/core/local_scheduler.hh"
#include "seastar/core/manual_clock.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(shared_future, every_waiter_gets_the_value) {
    local_scheduler sched;
    promise<std::string> p;
    shared_future<std::string> sf(p.get_future());
    auto a = sf.get_future();
    auto copy = sf;
    auto b = copy.get_future();
    EXPECT_FALSE(sf.available());
    p.set_value("v");
    EXPECT_EQ(sched.wait(std::move(a)), "v");
    EXPECT_EQ(sched.wait(std::move(b)), "v");
    EXPECT_TRUE(sf.available());
    auto c = sf.get_future();
    ASSERT_TRUE(c.available());
    EXPECT_EQ(c.get(), "v");
}

TEST(shared_future, every_waiter_gets_the_exception) {
    local_scheduler sched;
    promise<> p;
    shared_future<> sf(p.get_future());
    auto a = sf.get_future();
    auto b = sf.get_future();
    p.set_exception(std::runtime_error("x"));
    EXPECT_THROW(sched.wait(std::move(a)), std::runtime_error);
    EXPECT_THROW(sched.wait(std::move(b)), std::runtime_error);
    EXPECT_TRUE(sf.failed());
}

TEST(shared_future, outlives_its_handles) {
    local_scheduler sched;
    promise<int> p;
    future<int> a;
    {
        shared_future<int> sf(p.get_future());
        a = sf.get_future();
    }
    p.set_value(3);
    EXPECT_EQ(sched.wait(std::move(a)), 3);
}

TEST(shared_promise, shares_the_result) {
    local_scheduler sched;
    shared_promise<int> sp;
    auto a = sp.get_shared_future();
    auto b = sp.get_shared_future();
    sp.set_value(9);
    EXPECT_EQ(sched.wait(std::move(a)) + sched.wait(std::move(b)), 18);
}

TEST(shared_future, waiters_may_time_out_or_be_aborted_alone) {
    using namespace std::chrono_literals;
    local_scheduler sched;
    promise<int> p;
    shared_future<int> sf(p.get_future());
    auto timed = sf.get_future(manual_clock::now() + 1s);
    abort_source as;
    auto abortable = sf.get_future(as);
    auto plain = sf.get_future();
    manual_clock::advance(1s);
    sched.run_until_idle();
    ASSERT_TRUE(timed.available());
    EXPECT_THROW(timed.get(), timed_out_error);
    as.request_abort();
    sched.run_until_idle();
    ASSERT_TRUE(abortable.available());
    EXPECT_THROW(abortable.get(), abort_requested_exception);
    EXPECT_FALSE(plain.available());
    p.set_value(3);
    EXPECT_EQ(sched.wait(std::move(plain)), 3);
    // After the result: ready futures, whatever the deadline or the abort source.
    EXPECT_EQ(sched.wait(sf.get_future(manual_clock::now() + 1s)), 3);
    abort_source fresh;
    EXPECT_EQ(sched.wait(sf.get_future(fresh)), 3);
    EXPECT_THROW(sched.wait(sf.get_future(as)), abort_requested_exception); // already aborted
}

} // namespace
} // namespace seastar
