#include "seastar/core/loop.hh"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

struct test_error : std::runtime_error {
    test_error() : std::runtime_error("test error") {}
};

TEST(repeat, million_ready_iterations_neither_overflow_nor_starve) {
    local_scheduler sched;
    long n = 0;
    bool other_ran = false;
    long n_when_other_ran = -1;
    promise<> p;
    auto other = p.get_future().then([&] {
        other_ran = true;
        n_when_other_ran = n;
    });
    p.set_value(); // queued before the loop starts
    auto f = repeat(
        [&n] { return make_ready_future<stop_iteration>(++n == 1000000 ? stop_iteration::yes : stop_iteration::no); });
    EXPECT_FALSE(f.available()) << "a long ready loop continues from a task";
    sched.wait(std::move(f));
    EXPECT_EQ(n, 1000000);
    EXPECT_TRUE(other_ran);
    EXPECT_LT(n_when_other_ran, 1000000) << "the queued task ran before the loop finished";
    sched.wait(std::move(other));
}

TEST(repeat, stops_early_on_preemption) {
    local_scheduler sched;
    sched.set_need_preempt(true);
    int n = 0;
    auto f = repeat([&n] { return ++n == 3 ? stop_iteration::yes : stop_iteration::no; });
    EXPECT_EQ(n, 0);
    sched.set_need_preempt(false);
    sched.wait(std::move(f));
    EXPECT_EQ(n, 3);
}

TEST(repeat, waits_for_pending_iterations) {
    local_scheduler sched;
    std::vector<promise<stop_iteration>> promises(3);
    int i = 0;
    auto f = repeat([&] { return promises[i++].get_future(); });
    EXPECT_EQ(i, 1);
    promises[0].set_value(stop_iteration::no);
    sched.run_until_idle();
    EXPECT_EQ(i, 2);
    promises[1].set_value(stop_iteration::no);
    sched.run_until_idle();
    promises[2].set_value(stop_iteration::yes);
    sched.wait(std::move(f));
    EXPECT_EQ(i, 3);
}

TEST(repeat, failure_ends_the_loop) {
    local_scheduler sched;
    int n = 0;
    auto f = repeat([&n]() -> stop_iteration {
        if (++n == 5) {
            throw test_error();
        }
        return stop_iteration::no;
    });
    EXPECT_THROW(sched.wait(std::move(f)), test_error);
    EXPECT_EQ(n, 5);
    promise<stop_iteration> p;
    auto g = repeat([&p] { return p.get_future(); });
    p.set_exception(test_error());
    EXPECT_THROW(sched.wait(std::move(g)), test_error);
}

TEST(repeat, move_only_action) {
    local_scheduler sched;
    auto counter = std::make_unique<int>(0);
    auto f = repeat([c = std::move(counter)] { return ++*c == 10 ? stop_iteration::yes : stop_iteration::no; });
    sched.wait(std::move(f));
}

TEST(repeat_until_value, returns_the_first_value) {
    local_scheduler sched;
    int n = 0;
    auto f = repeat_until_value([&n]() -> future<std::optional<int>> {
        ++n;
        if (n < 100) {
            return make_ready_future<std::optional<int>>();
        }
        return make_ready_future<std::optional<int>>(n);
    });
    EXPECT_EQ(sched.wait(std::move(f)), 100);
}

TEST(do_until, checks_before_each_call) {
    local_scheduler sched;
    int n = 0;
    auto f = do_until([&n] { return n == 3; }, [&n] { ++n; });
    sched.wait(std::move(f));
    EXPECT_EQ(n, 3);
    auto g = do_until([] { return true; }, []() -> future<> { throw test_error(); });
    sched.wait(std::move(g));
    auto h = do_until([] { return false; }, [] { return make_exception_future<>(test_error()); });
    EXPECT_THROW(sched.wait(std::move(h)), test_error);
}

TEST(do_for_each, runs_in_order_one_at_a_time) {
    local_scheduler sched;
    std::vector<int> input{1, 2, 3, 4};
    std::vector<int> seen;
    std::vector<promise<>> gates(4);
    auto f = do_for_each(input, [&](int v) {
        seen.push_back(v);
        return gates[v - 1].get_future();
    });
    EXPECT_EQ(seen, (std::vector<int>{1}));
    gates[0].set_value();
    sched.run_until_idle();
    EXPECT_EQ(seen, (std::vector<int>{1, 2}));
    gates[1].set_value();
    gates[2].set_value();
    gates[3].set_value();
    sched.wait(std::move(f));
    EXPECT_EQ(seen, input);
}

TEST(do_for_each, stops_at_the_first_failure) {
    local_scheduler sched;
    std::vector<int> input{1, 2, 3};
    int calls = 0;
    auto f = do_for_each(input.begin(), input.end(), [&](int v) {
        ++calls;
        if (v == 2) {
            throw test_error();
        }
    });
    EXPECT_THROW(sched.wait(std::move(f)), test_error);
    EXPECT_EQ(calls, 2);
}

TEST(parallel_for_each, starts_all_and_waits_for_all) {
    local_scheduler sched;
    std::vector<int> input{0, 1, 2};
    std::vector<promise<>> gates(3);
    int started = 0;
    auto f = parallel_for_each(input, [&](int i) {
        ++started;
        return gates[i].get_future();
    });
    EXPECT_EQ(started, 3);
    gates[2].set_value();
    gates[0].set_value();
    sched.run_until_idle();
    EXPECT_FALSE(f.available());
    gates[1].set_value();
    sched.wait(std::move(f));
}

TEST(parallel_for_each, fails_after_all_finish) {
    local_scheduler sched;
    std::vector<int> input{0, 1, 2};
    std::vector<promise<>> gates(3);
    auto f = parallel_for_each(input, [&](int i) {
        if (i == 0) {
            return make_exception_future<>(test_error());
        }
        return gates[i].get_future();
    });
    gates[1].set_exception(test_error());
    sched.run_until_idle();
    EXPECT_FALSE(f.available()) << "waits for every action";
    gates[2].set_value();
    EXPECT_THROW(sched.wait(std::move(f)), test_error);
    auto empty = parallel_for_each(std::vector<int>{}, [](int) {});
    EXPECT_TRUE(empty.available());
    empty.get();
}

TEST(max_concurrent_for_each, bounds_concurrency) {
    local_scheduler sched;
    std::vector<int> input(10);
    int in_flight = 0;
    int max_seen = 0;
    int done = 0;
    auto f = max_concurrent_for_each(input, 3, [&](int) {
        max_seen = std::max(max_seen, ++in_flight);
        return yield().then([&] {
            --in_flight;
            ++done;
        });
    });
    sched.wait(std::move(f));
    EXPECT_EQ(done, 10);
    EXPECT_EQ(max_seen, 3);
    auto bad = max_concurrent_for_each(input, 0, [](int) {});
    EXPECT_THROW(sched.wait(std::move(bad)), std::invalid_argument);
}

TEST(max_concurrent_for_each, failure_after_all_finish) {
    local_scheduler sched;
    std::vector<int> input{0, 1, 2, 3};
    int calls = 0;
    auto f = max_concurrent_for_each(input, 2, [&](int i) {
        ++calls;
        return i == 1 ? make_exception_future<>(test_error()) : yield();
    });
    EXPECT_THROW(sched.wait(std::move(f)), test_error);
    EXPECT_EQ(calls, 4);
}

TEST(keep_doing, runs_until_the_action_fails) {
    local_scheduler sched;
    int n = 0;
    auto f = keep_doing([&n] {
        if (++n == 3000) {
            throw test_error();
        }
        return n % 100 ? make_ready_future<>() : yield();
    });
    EXPECT_THROW(sched.wait(std::move(f)), test_error);
    EXPECT_EQ(n, 3000);
}

} // namespace
} // namespace seastar
