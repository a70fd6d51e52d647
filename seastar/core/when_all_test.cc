#include "seastar/core/when_all.hh"

#include "seastar/util/later.hh"
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

struct test_error : std::runtime_error {
    test_error() : std::runtime_error("test error") {}
};

TEST(when_all, variadic_waits_for_all_including_failures) {
    local_scheduler sched;
    promise<int> a;
    promise<> b;
    auto f = when_all(a.get_future(), b.get_future(), make_ready_future<std::string>("c"));
    static_assert(std::is_same_v<decltype(f), future<std::tuple<future<int>, future<>, future<std::string>>>>);
    b.set_exception(test_error());
    sched.run_until_idle();
    EXPECT_FALSE(f.available());
    a.set_value(1);
    auto [fa, fb, fc] = sched.wait(std::move(f));
    EXPECT_EQ(fa.get(), 1);
    EXPECT_THROW(fb.get(), test_error);
    EXPECT_EQ(fc.get(), "c");
}

TEST(when_all, all_ready_is_ready_at_once) {
    auto f = when_all(make_ready_future<int>(1), make_ready_future<int>(2));
    ASSERT_TRUE(f.available());
    auto t = f.get();
    EXPECT_EQ(std::get<0>(t).get() + std::get<1>(t).get(), 3);
}

TEST(when_all, range) {
    local_scheduler sched;
    std::vector<promise<int>> ps(4);
    std::vector<future<int>> fs;
    for (auto& p : ps) {
        fs.push_back(p.get_future());
    }
    auto f = when_all(fs.begin(), fs.end());
    ps[3].set_value(3);
    ps[1].set_exception(test_error());
    ps[0].set_value(0);
    sched.run_until_idle();
    EXPECT_FALSE(f.available());
    ps[2].set_value(2);
    auto r = sched.wait(std::move(f));
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[0].get(), 0);
    EXPECT_THROW(r[1].get(), test_error);
    EXPECT_EQ(r[2].get(), 2);
    EXPECT_EQ(r[3].get(), 3);
}

TEST(when_all_succeed, values_without_voids) {
    local_scheduler sched;
    promise<int> a;
    auto f = when_all_succeed(a.get_future(), make_ready_future<>(), make_ready_future<std::string>("x"));
    static_assert(std::is_same_v<decltype(f), future<std::tuple<int, std::string>>>);
    a.set_value(5);
    auto [i, s] = sched.wait(std::move(f));
    EXPECT_EQ(i, 5);
    EXPECT_EQ(s, "x");
}

// Counts abandoned failed futures: when_all_succeed must not leave any.
int abandoned = 0;
void count_abandoned(const std::exception_ptr&) noexcept {
    ++abandoned;
}

TEST(when_all_succeed, fails_with_the_first_failure_after_all_resolve) {
    local_scheduler sched;
    auto prev = set_abandoned_failed_future_handler(&count_abandoned);
    abandoned = 0;
    promise<int> a;
    auto f = when_all_succeed(make_exception_future<int>(test_error()), a.get_future(),
                              make_exception_future<>(std::logic_error("second")));
    sched.run_until_idle();
    EXPECT_FALSE(f.available());
    a.set_value(1);
    EXPECT_THROW(sched.wait(std::move(f)), test_error);
    EXPECT_EQ(abandoned, 0);
    set_abandoned_failed_future_handler(prev);
}

TEST(when_all_succeed, range) {
    local_scheduler sched;
    std::vector<future<int>> fs;
    fs.push_back(make_ready_future<int>(1));
    fs.push_back(make_ready_future<int>(2));
    auto f = when_all_succeed(fs.begin(), fs.end());
    EXPECT_EQ(sched.wait(std::move(f)), (std::vector<int>{1, 2}));
    std::vector<future<>> vs;
    vs.push_back(make_ready_future<>());
    vs.push_back(make_exception_future<>(test_error()));
    auto g = when_all_succeed(vs.begin(), vs.end());
    EXPECT_THROW(sched.wait(std::move(g)), test_error);
}

TEST(when_all, accepts_callables_and_vectors) {
    local_scheduler sched;
    promise<int> p;
    auto f = when_all(
        p.get_future(), [] { return 2; }, [] { throw test_error(); },
        [] { return make_ready_future<std::string>("s"); });
    static_assert(
        std::is_same_v<decltype(f), future<std::tuple<future<int>, future<int>, future<>, future<std::string>>>>);
    p.set_value(1);
    auto [a, b, c, d] = sched.wait(std::move(f));
    EXPECT_EQ(a.get(), 1);
    EXPECT_EQ(b.get(), 2);
    EXPECT_THROW(c.get(), test_error);
    EXPECT_EQ(d.get(), "s");

    auto s = when_all_succeed([] { return 1; }, make_ready_future<int>(2), [] {});
    EXPECT_EQ(sched.wait(std::move(s)), std::make_tuple(1, 2));
    auto sf = when_all_succeed([] { return 1; }, [] { return make_exception_future<int>(test_error()); });
    EXPECT_THROW(sched.wait(std::move(sf)), test_error);

    std::vector<future<int>> v;
    v.push_back(make_ready_future<int>(1));
    v.push_back(yield().then([] { return 2; }));
    EXPECT_EQ(sched.wait(when_all_succeed(std::move(v))), (std::vector<int>{1, 2}));
    std::vector<future<>> w;
    w.push_back(make_exception_future<>(test_error()));
    w.push_back(make_ready_future<>());
    auto all = sched.wait(when_all(std::move(w)));
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(all[0].failed());
    all[0].ignore_ready_future();
    std::vector<future<>> x;
    x.push_back(make_exception_future<>(test_error()));
    EXPECT_THROW(sched.wait(when_all_succeed(std::move(x))), test_error);
}

} // namespace
} // namespace seastar
