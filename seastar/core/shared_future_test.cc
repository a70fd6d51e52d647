#include "seastar/core/shared_future.hh"

#include <stdexcept>
#include <string>

#include "gtest/gtest.h"
#include "seastar/core/local_scheduler.hh"

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

} // namespace
} // namespace seastar
