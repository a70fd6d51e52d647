#include "seastar/core/when_any.hh"

#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"
#include "seastar/core/local_scheduler.hh"

namespace seastar {
namespace {

TEST(when_any, range_resolves_with_the_first) {
    local_scheduler sched;
    std::vector<promise<int>> ps(3);
    std::vector<future<int>> fs;
    for (auto& p : ps) {
        fs.push_back(p.get_future());
    }
    auto f = when_any(fs.begin(), fs.end());
    sched.run_until_idle();
    EXPECT_FALSE(f.available());
    ps[1].set_value(11);
    auto r = sched.wait(std::move(f));
    EXPECT_EQ(r.index, 1u);
    ASSERT_EQ(r.futures.size(), 3u);
    EXPECT_EQ(r.futures[1].get(), 11);
    EXPECT_FALSE(r.futures[0].available());
    ps[0].set_value(10);
    ps[2].set_exception(std::runtime_error("late"));
    EXPECT_EQ(sched.wait(std::move(r.futures[0])), 10);
    EXPECT_THROW(sched.wait(std::move(r.futures[2])), std::runtime_error);
}

TEST(when_any, variadic_and_ready_input) {
    local_scheduler sched;
    promise<> p;
    auto f = when_any(p.get_future(), make_ready_future<int>(3));
    auto r = sched.wait(std::move(f));
    EXPECT_EQ(r.index, 1u);
    EXPECT_EQ(std::get<1>(r.futures).get(), 3);
    p.set_value();
    sched.wait(std::move(std::get<0>(r.futures)));
}

TEST(when_any, failure_counts_as_resolution_and_empty_range_fails) {
    local_scheduler sched;
    promise<int> a;
    promise<int> b;
    auto f = when_any(a.get_future(), b.get_future());
    b.set_exception(std::runtime_error("b"));
    auto r = sched.wait(std::move(f));
    EXPECT_EQ(r.index, 1u);
    EXPECT_THROW(std::get<1>(r.futures).get(), std::runtime_error);
    a.set_value(1);
    EXPECT_EQ(sched.wait(std::move(std::get<0>(r.futures))), 1);
    std::vector<future<>> none;
    EXPECT_THROW(sched.wait(when_any(none.begin(), none.end())), std::invalid_argument);
}

} // namespace
} // namespace seastar
