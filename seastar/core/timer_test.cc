#include "seastar/core/timer.hh"

#include <gtest/gtest.h>

#include "seastar/core/abort_source.hh"
#include <chrono>
#include <memory>
#include <stdexcept>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/lowres_clock.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/with_scheduling_group.hh"
#include "seastar/core/with_timeout.hh"
#include "seastar/testing/seastar_test.hh"

using namespace std::chrono_literals;

namespace seastar {
namespace {

struct yield_task final : task {
    promise<> p;
    void run_and_dispose() noexcept override {
        p.set_value();
        delete this;
    }
};

future<> yield_now() {
    auto t = new yield_task();
    auto f = t->p.get_future();
    engine().add_task(t);
    return f;
}

SEASTAR_TEST_CASE(timer, fires_in_expiry_order_and_fifo_for_ties) {
    std::vector<int> order;
    auto now = steady_clock_type::now();
    timer<> a([&] { order.push_back(1); });
    timer<> b([&] { order.push_back(2); });
    timer<> c([&] { order.push_back(3); });
    timer<> d([&] { order.push_back(4); });
    c.arm(now + 3ms);
    a.arm(now + 1ms);
    b.arm(now + 2ms);
    d.arm(now + 2ms); // same time as b, armed later
    co_await sleep(5ms);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 4, 3}));
    EXPECT_FALSE(a.armed());
}

SEASTAR_TEST_CASE(timer, cancel_and_rearm) {
    int fired = 0;
    timer<> t([&] { ++fired; });
    EXPECT_FALSE(t.cancel());
    t.arm(1ms);
    EXPECT_TRUE(t.armed());
    EXPECT_THROW(t.arm(1ms), std::runtime_error);
    EXPECT_TRUE(t.cancel());
    EXPECT_FALSE(t.armed());
    co_await sleep(3ms);
    EXPECT_EQ(fired, 0);
    t.arm(10s);
    t.rearm(1ms);
    co_await sleep(3ms);
    EXPECT_EQ(fired, 1);
}

SEASTAR_TEST_CASE(timer, periodic_fires_until_cancelled) {
    int fired = 0;
    promise<> done;
    timer<> t;
    t.set_callback([&] {
        if (++fired == 5) {
            t.cancel();
            done.set_value();
        }
    });
    t.arm_periodic(1ms);
    co_await done.get_future();
    co_await sleep(3ms);
    EXPECT_EQ(fired, 5);
    EXPECT_FALSE(t.armed());
    EXPECT_THROW(t.arm_periodic(0ms), std::invalid_argument);
}

SEASTAR_TEST_CASE(timer, destroyed_timer_does_not_fire) {
    int fired = 0;
    {
        timer<> t([&] { ++fired; });
        t.arm(1ms);
    }
    co_await sleep(3ms);
    EXPECT_EQ(fired, 0);
}

SEASTAR_TEST_CASE(timer, moved_armed_timer_fires_once) {
    int fired = 0;
    timer<> a([&] { ++fired; });
    a.arm(1ms);
    timer<> b(std::move(a));
    EXPECT_FALSE(a.armed());
    EXPECT_TRUE(b.armed());
    std::vector<timer<>> many;
    for (int i = 0; i < 50; ++i) { // moves inside the heap's neighbourhood
        many.emplace_back([&] { ++fired; });
        many.back().arm(2ms);
    }
    co_await sleep(5ms);
    EXPECT_EQ(fired, 51);
}

SEASTAR_TEST_CASE(timer, callback_can_arm_other_timers) {
    std::vector<int> order;
    promise<> second_fired;
    timer<> second([&] {
        order.push_back(2);
        second_fired.set_value();
    });
    timer<> first([&] {
        order.push_back(1);
        second.arm(steady_clock_type::now() - 1ms); // already due: fires in a later timer phase
    });
    first.arm(1ms);
    // Wait for the effect itself, not for a fixed time: a loaded machine may
    // run both timer phases after any given sleep.
    co_await second_fired.get_future();
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

SEASTAR_TEST_CASE(timer, sleep_waits_at_least_its_duration) {
    auto start = steady_clock_type::now();
    co_await sleep(5ms);
    EXPECT_GE(steady_clock_type::now() - start, 5ms);
}

SEASTAR_TEST_CASE(timer, lowres_clock_moves_forward_with_the_loop) {
    auto a = lowres_clock::now();
    co_await sleep(3ms);
    auto b = lowres_clock::now();
    EXPECT_GE(b - a, 3ms);
    bool fired = false;
    timer<lowres_clock> t([&] { fired = true; });
    t.arm(2ms);
    co_await sleep(5ms);
    EXPECT_TRUE(fired);
}

SEASTAR_TEST_CASE(timer, with_timeout_times_out) {
    promise<int> never;
    bool timed_out = false;
    try {
        co_await with_timeout(steady_clock_type::now() + 2ms, never.get_future());
    } catch (const timed_out_error&) {
        timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    never.set_value(1); // late result is dropped quietly
    co_await yield_now();
}

SEASTAR_TEST_CASE(timer, with_timeout_passes_result_and_error) {
    promise<int> p;
    auto f = with_timeout(steady_clock_type::now() + 10s, p.get_future());
    p.set_value(5);
    EXPECT_EQ(co_await std::move(f), 5);
    promise<int> q;
    auto g = with_timeout(steady_clock_type::now() + 10s, q.get_future());
    q.set_exception(std::logic_error("inner"));
    bool caught = false;
    try {
        co_await std::move(g);
    } catch (const std::logic_error&) {
        caught = true;
    }
    EXPECT_TRUE(caught);
    EXPECT_EQ(co_await with_timeout(steady_clock_type::now() - 1s, make_ready_future<int>(3)), 3);
}

SEASTAR_TEST_CASE(manual_clock, timers_fire_only_when_time_is_advanced) {
    int fired = 0;
    timer<manual_clock> t([&] { ++fired; });
    t.arm(10s);
    co_await sleep(2ms);
    EXPECT_EQ(fired, 0);
    manual_clock::advance(9s);
    co_await yield_now();
    EXPECT_EQ(fired, 0);
    manual_clock::advance(1s);
    co_await yield_now();
    EXPECT_EQ(fired, 1);
    auto s = sleep<manual_clock>(1h);
    EXPECT_FALSE(s.available());
    manual_clock::advance(1h);
    co_await std::move(s);
    promise<> never;
    bool timed_out = false;
    auto w = with_timeout(manual_clock::now() + 1s, never.get_future());
    manual_clock::advance(1s);
    try {
        co_await std::move(w);
    } catch (const timed_out_error&) {
        timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    never.set_value();
}

TEST(manual_clock_no_reactor, advance_fires_inline_without_a_scheduler) {
    int fired = 0;
    timer<manual_clock> t([&] { ++fired; });
    t.arm(manual_clock::now() + 5s);
    manual_clock::advance(5s);
    EXPECT_EQ(fired, 1);
}

TEST(manual_clock_no_reactor, callbacks_may_own_move_only_state) {
    auto owned = std::make_unique<int>(0);
    int* counter = owned.get();
    timer<manual_clock> t([p = std::move(owned)] { ++*p; });
    t.arm_periodic(1s);
    manual_clock::advance(1s);
    manual_clock::advance(1s);
    EXPECT_EQ(*counter, 2);
    timer<manual_clock> moved = std::move(t); // the callback and its state move along
    manual_clock::advance(1s);
    EXPECT_EQ(*counter, 3);
    moved.cancel();
    int total = 0;
    // Replacing the callback destroys the old one (and what it owned).
    moved.set_callback([q = std::make_unique<int>(7), &total] { total += *q; });
    moved.arm(manual_clock::now() + 1s);
    manual_clock::advance(1s);
    EXPECT_EQ(total, 7);
}

struct slow_peer : std::runtime_error {
    slow_peer() : std::runtime_error("slow peer") {}
};
struct slow_peer_factory {
    static auto timeout() { return slow_peer(); }
};

TEST(manual_clock_no_reactor, with_timeout_uses_the_exception_factory) {
    local_scheduler sched;
    promise<int> never;
    auto f = with_timeout<slow_peer_factory>(manual_clock::now() + 1s, never.get_future());
    manual_clock::advance(1s);
    EXPECT_THROW(sched.wait(std::move(f)), slow_peer);
    never.set_value(1);
}

TEST(manual_clock_no_reactor, sleep_abortable_sleeps_or_aborts) {
    local_scheduler sched;
    abort_source as;
    auto done = sleep_abortable<manual_clock>(5s, as);
    manual_clock::advance(4s);
    sched.run_until_idle();
    EXPECT_FALSE(done.available());
    manual_clock::advance(1s);
    sched.wait(std::move(done));

    auto aborted = sleep_abortable<manual_clock>(5s, as);
    as.request_abort();
    EXPECT_THROW(sched.wait(std::move(aborted)), sleep_aborted);
    // Already aborted: fails without waiting for the clock.
    auto late = sleep_abortable<manual_clock>(5s, as);
    EXPECT_THROW(sched.wait(std::move(late)), abort_requested_exception);

    abort_source as2;
    auto custom = sleep_abortable<manual_clock>(5s, as2);
    as2.request_abort_ex(slow_peer());
    EXPECT_THROW(sched.wait(std::move(custom)), slow_peer);
    manual_clock::advance(10s); // the cancelled timer does not fire
}

SEASTAR_TEST_CASE(timer, callback_runs_in_its_scheduling_group) {
    auto sg = co_await create_scheduling_group("timer-sg", 100);
    // Given a group explicitly.
    promise<bool> explicit_group;
    timer<> a(sg, [&] { explicit_group.set_value(current_scheduling_group() == sg); });
    a.arm(std::chrono::milliseconds(0));
    EXPECT_TRUE(co_await explicit_group.get_future());
    // Without one: the group current where the timer was made.
    promise<bool> made_in_group;
    std::optional<timer<>> b;
    co_await with_scheduling_group(
        sg, [&] { b.emplace([&] { made_in_group.set_value(current_scheduling_group() == sg); }); });
    EXPECT_NE(current_scheduling_group(), sg);
    b->arm(std::chrono::milliseconds(0));
    EXPECT_TRUE(co_await made_in_group.get_future());
    // set_callback with a group, and a timer moved keeps its group.
    promise<bool> set_later;
    timer<> c;
    c.set_callback(sg, [&] { set_later.set_value(current_scheduling_group() == sg); });
    timer<> d(std::move(c));
    d.arm(std::chrono::milliseconds(0));
    EXPECT_TRUE(co_await set_later.get_future());
    // A plain timer made outside any group runs in the default one.
    promise<bool> plain;
    timer<> e([&] { plain.set_value(current_scheduling_group() == default_scheduling_group()); });
    e.arm(std::chrono::milliseconds(0));
    EXPECT_TRUE(co_await plain.get_future());
    co_await destroy_scheduling_group(sg);
}

} // namespace
} // namespace seastar
