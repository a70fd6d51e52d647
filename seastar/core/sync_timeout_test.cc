// Timeouts of the sync primitives (semaphore, condition_variable, and the abort_source
// pattern documented for queue), inside a reactor. manual_clock makes them deterministic:
// a timer fires only when the test advances the clock.
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "seastar/core/abort_source.hh"
#include "seastar/core/condition-variable.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/core/queue.hh"
#include "seastar/core/semaphore.hh"
#include "seastar/core/timed_out_error.hh"
#include "seastar/core/timer.hh"
#include "seastar/core/with_timeout.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/later.hh"

using namespace std::chrono_literals;

// ASSERT_TRUE for coroutines (a fatal gtest assertion would `return`, not `co_return`).
#define CO_ASSERT_TRUE(cond)                                                                                           \
    if (!(cond)) {                                                                                                     \
        ADD_FAILURE() << "expected: " #cond;                                                                           \
        co_return;                                                                                                     \
    }

namespace seastar {
namespace {

using manual_semaphore = basic_semaphore<semaphore_default_exception_factory, manual_clock>;
using manual_named_semaphore = basic_semaphore<named_semaphore_exception_factory, manual_clock>;

// Lets the expiry task that manual_clock::advance() schedules (and what it wakes) run.
future<> settle() {
    for (int i = 0; i < 4; ++i) {
        co_await yield();
    }
}

// Armed manual_clock timers of this shard.
size_t armed_manual_timers() {
    return internal::local_timer_set<manual_clock>().size();
}

// The exception a ready, failed future holds; nullptr if it succeeded.
template <typename T>
std::exception_ptr failure(future<T>& f) {
    if (!f.failed()) {
        f.ignore_ready_future();
        return nullptr;
    }
    return f.get_exception();
}

template <typename E>
bool holds(const std::exception_ptr& ep) {
    try {
        if (ep) {
            std::rethrow_exception(ep);
        }
    } catch (const E&) {
        return true;
    } catch (...) {
    }
    return false;
}

SEASTAR_TEST_CASE(semaphore_timeout, a_waiter_fails_when_its_deadline_passes) {
    manual_semaphore sem(0);
    const auto timers = armed_manual_timers();
    auto f = sem.wait(manual_clock::now() + 10s, 1);
    EXPECT_EQ(sem.waiters(), 1u);
    EXPECT_EQ(armed_manual_timers(), timers + 1);
    manual_clock::advance(9s);
    co_await settle();
    EXPECT_FALSE(f.available());
    manual_clock::advance(1s);
    co_await settle();
    CO_ASSERT_TRUE(f.available());
    auto ep = failure(f);
    EXPECT_TRUE(holds<semaphore_timed_out>(ep));
    EXPECT_TRUE(holds<timed_out_error>(ep)); // as in Seastar: one catch for every timeout
    EXPECT_EQ(sem.waiters(), 0u);
    EXPECT_EQ(armed_manual_timers(), timers);
    // No units were taken or leaked: one signal serves exactly one later waiter.
    EXPECT_EQ(sem.available_units(), 0);
    sem.signal(1);
    EXPECT_TRUE(sem.try_wait(1));
    EXPECT_FALSE(sem.try_wait(1));
}

SEASTAR_TEST_CASE(semaphore_timeout, a_waiter_served_in_time_cancels_its_timer) {
    manual_semaphore sem(0);
    const auto timers = armed_manual_timers();
    auto f = sem.wait(10s, 2); // the duration form
    EXPECT_EQ(armed_manual_timers(), timers + 1);
    sem.signal(2);
    EXPECT_EQ(armed_manual_timers(), timers);
    co_await std::move(f); // succeeds
    manual_clock::advance(1h);
    co_await settle();
    EXPECT_EQ(sem.available_units(), 0); // the units stay taken
    EXPECT_EQ(sem.waiters(), 0u);
}

SEASTAR_TEST_CASE(semaphore_timeout, a_timed_out_head_lets_the_next_waiters_proceed) {
    manual_semaphore sem(2);
    // The head wants more than there is and holds back the smaller requests behind it (FIFO).
    auto big = sem.wait(manual_clock::now() + 5s, 5);
    auto small = sem.wait(1);
    auto later_deadline = sem.wait(manual_clock::now() + 100s, 1);
    auto too_many = sem.wait(manual_clock::now() + 50s, 3);
    co_await settle();
    EXPECT_FALSE(small.available());
    EXPECT_FALSE(later_deadline.available());
    manual_clock::advance(5s);
    co_await settle();
    CO_ASSERT_TRUE(big.available());
    EXPECT_TRUE(holds<semaphore_timed_out>(failure(big)));
    // The two small ones got the two units; the next (3 units) waits on, and times out alone.
    CO_ASSERT_TRUE(small.available());
    CO_ASSERT_TRUE(later_deadline.available());
    EXPECT_EQ(failure(small), nullptr);
    EXPECT_EQ(failure(later_deadline), nullptr);
    EXPECT_FALSE(too_many.available());
    EXPECT_EQ(sem.available_units(), 0);
    manual_clock::advance(45s);
    co_await settle();
    CO_ASSERT_TRUE(too_many.available());
    EXPECT_TRUE(holds<semaphore_timed_out>(failure(too_many)));
    EXPECT_EQ(sem.waiters(), 0u);
    EXPECT_EQ(sem.available_units(), 0);
    sem.signal(3);
    EXPECT_EQ(sem.available_units(), 3);
}

SEASTAR_TEST_CASE(semaphore_timeout, a_timeout_in_the_middle_leaves_the_others_queued_in_order) {
    manual_semaphore sem(0);
    auto first = sem.wait(1);
    auto middle = sem.wait(manual_clock::now() + 1s, 1);
    auto last = sem.wait(1);
    manual_clock::advance(1s);
    co_await settle();
    CO_ASSERT_TRUE(middle.available());
    EXPECT_TRUE(holds<semaphore_timed_out>(failure(middle)));
    EXPECT_EQ(sem.waiters(), 2u);
    sem.signal(1);
    co_await settle();
    EXPECT_TRUE(first.available());
    EXPECT_FALSE(last.available());
    sem.signal(1);
    co_await std::move(first);
    co_await std::move(last);
}

SEASTAR_TEST_CASE(semaphore_timeout, a_deadline_already_passed_fails_at_once_unless_units_are_there) {
    manual_semaphore sem(1);
    const auto timers = armed_manual_timers();
    auto ok = sem.wait(manual_clock::now() - 1s, 1);
    CO_ASSERT_TRUE(ok.available());
    EXPECT_EQ(failure(ok), nullptr);
    auto late = sem.wait(manual_clock::now(), 1);
    CO_ASSERT_TRUE(late.available());
    EXPECT_TRUE(holds<semaphore_timed_out>(failure(late)));
    EXPECT_EQ(sem.waiters(), 0u);
    EXPECT_EQ(armed_manual_timers(), timers);
    co_return;
}

SEASTAR_TEST_CASE(semaphore_timeout, get_units_and_with_semaphore_time_out_too) {
    manual_named_semaphore sem(1, named_semaphore_exception_factory{"db-connections"});
    auto held = co_await get_units(sem, 1);
    auto units = get_units(sem, 1, manual_clock::now() + 2s);
    bool ran = false;
    auto guarded = with_semaphore(sem, 1, 3s, [&] { ran = true; });
    manual_clock::advance(2s);
    co_await settle();
    CO_ASSERT_TRUE(units.available());
    auto ep = failure(units);
    EXPECT_TRUE(holds<named_semaphore_timed_out>(ep));
    try {
        std::rethrow_exception(ep);
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("db-connections"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(guarded.available());
    manual_clock::advance(1s);
    co_await settle();
    CO_ASSERT_TRUE(guarded.available());
    EXPECT_TRUE(holds<semaphore_timed_out>(failure(guarded)));
    EXPECT_FALSE(ran);
    held.return_all();
    EXPECT_EQ(sem.available_units(), 1);
    // In time: the units come, and go back when the holder is destroyed.
    {
        auto u = co_await get_units(sem, 1, 1s);
        EXPECT_EQ(u.count(), 1u);
        EXPECT_EQ(sem.available_units(), 0);
    }
    EXPECT_EQ(sem.available_units(), 1);
}

SEASTAR_TEST_CASE(semaphore_timeout, destroying_a_semaphore_with_armed_timers_breaks_its_waiters) {
    const auto timers = armed_manual_timers();
    auto sem = std::make_unique<manual_semaphore>(0);
    auto a = sem->wait(manual_clock::now() + 1s, 1);
    auto b = sem->wait(manual_clock::now() + 2s, 1);
    EXPECT_EQ(armed_manual_timers(), timers + 2);
    sem.reset();
    EXPECT_EQ(armed_manual_timers(), timers);
    CO_ASSERT_TRUE(a.available());
    CO_ASSERT_TRUE(b.available());
    EXPECT_TRUE(holds<broken_promise>(failure(a)));
    EXPECT_TRUE(holds<broken_promise>(failure(b)));
    manual_clock::advance(5s); // nothing left to fire
    co_await settle();
}

SEASTAR_TEST_CASE(semaphore_timeout, broken_fails_timed_waiters_and_cancels_their_timers) {
    manual_semaphore sem(0);
    const auto timers = armed_manual_timers();
    auto f = sem.wait(manual_clock::now() + 1s, 1);
    sem.broken();
    EXPECT_EQ(armed_manual_timers(), timers);
    CO_ASSERT_TRUE(f.available());
    EXPECT_TRUE(holds<broken_semaphore>(failure(f)));
    co_return;
}

SEASTAR_TEST_CASE(semaphore_timeout, steady_clock_timeouts_fire_from_the_reactor) {
    semaphore sem(0);
    bool timed_out = false;
    try {
        co_await sem.wait(1ms);
    } catch (const semaphore_timed_out&) {
        timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    EXPECT_EQ(sem.waiters(), 0u);
}

SEASTAR_TEST_CASE(condition_variable_timeout, a_wait_fails_at_its_deadline) {
    condition_variable cv;
    const auto timers = armed_manual_timers();
    auto f = cv.wait(manual_clock::now() + 3s);
    auto untimed = cv.wait();
    manual_clock::advance(2s);
    co_await settle();
    EXPECT_FALSE(f.available());
    manual_clock::advance(1s);
    co_await settle();
    CO_ASSERT_TRUE(f.available());
    auto ep = failure(f);
    EXPECT_TRUE(holds<condition_variable_timed_out>(ep));
    EXPECT_TRUE(holds<timed_out_error>(ep));
    EXPECT_EQ(armed_manual_timers(), timers);
    // The other waiter is still there and gets the next signal.
    EXPECT_TRUE(cv.has_waiters());
    cv.signal();
    co_await std::move(untimed);
    EXPECT_FALSE(cv.has_waiters());
}

SEASTAR_TEST_CASE(condition_variable_timeout, a_signal_in_time_wins_and_cancels_the_timer) {
    condition_variable cv;
    const auto timers = armed_manual_timers();
    auto f = cv.wait(manual_clock::now() + 3s);
    EXPECT_EQ(armed_manual_timers(), timers + 1);
    cv.signal();
    EXPECT_EQ(armed_manual_timers(), timers);
    co_await std::move(f);
    manual_clock::advance(10s);
    co_await settle();
}

SEASTAR_TEST_CASE(condition_variable_timeout, a_remembered_signal_wins_over_a_passed_deadline) {
    condition_variable cv;
    cv.signal(); // nobody waits: remembered
    auto f = cv.wait(manual_clock::now() - 1s);
    CO_ASSERT_TRUE(f.available());
    EXPECT_EQ(failure(f), nullptr);
    auto g = cv.wait(manual_clock::now());
    CO_ASSERT_TRUE(g.available());
    EXPECT_TRUE(holds<condition_variable_timed_out>(failure(g)));
    co_return;
}

SEASTAR_TEST_CASE(condition_variable_timeout, pred_waits_until_true_or_the_deadline) {
    condition_variable cv;
    int value = 0;
    const auto timers = armed_manual_timers();
    // Deadline reached while the predicate is still false after wake-ups.
    auto f = cv.wait(manual_clock::now() + 10s, [&] { return value >= 2; });
    value = 1;
    cv.signal();
    co_await settle();
    EXPECT_FALSE(f.available()); // woken, pred false: waits again, same deadline
    manual_clock::advance(10s);
    co_await settle();
    CO_ASSERT_TRUE(f.available());
    EXPECT_TRUE(holds<condition_variable_timed_out>(failure(f)));
    EXPECT_EQ(armed_manual_timers(), timers);

    // Predicate made true in time.
    auto g = cv.wait(manual_clock::now() + 10s, [&] { return value >= 2; });
    manual_clock::advance(5s);
    co_await settle();
    value = 2;
    cv.broadcast();
    co_await std::move(g);
    EXPECT_EQ(armed_manual_timers(), timers);

    // Already true: no wait, whatever the deadline.
    auto h = cv.wait(manual_clock::now() - 1s, [&] { return true; });
    CO_ASSERT_TRUE(h.available());
    EXPECT_EQ(failure(h), nullptr);
}

SEASTAR_TEST_CASE(condition_variable_timeout, duration_forms_count_on_steady_clock) {
    condition_variable cv;
    bool timed_out = false;
    try {
        co_await cv.wait(1ms);
    } catch (const condition_variable_timed_out&) {
        timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    bool pred_timed_out = false;
    try {
        co_await cv.wait(1ms, [] { return false; });
    } catch (const condition_variable_timed_out&) {
        pred_timed_out = true;
    }
    EXPECT_TRUE(pred_timed_out);
    EXPECT_FALSE(cv.has_waiters());
}

SEASTAR_TEST_CASE(condition_variable_timeout, destroying_it_with_armed_timers_breaks_the_waiters) {
    const auto timers = armed_manual_timers();
    auto cv = std::make_unique<condition_variable>();
    auto f = cv->wait(manual_clock::now() + 1s);
    cv.reset();
    EXPECT_EQ(armed_manual_timers(), timers);
    CO_ASSERT_TRUE(f.available());
    EXPECT_TRUE(holds<broken_promise>(failure(f)));
    manual_clock::advance(2s);
    co_await settle();
}

// queue has no timed forms (as in Seastar); its header documents this pattern instead.
SEASTAR_TEST_CASE(queue_timeout, an_abort_source_fired_by_a_timer_ends_the_wait_without_losing_items) {
    queue<int> q(4);
    abort_source as;
    timer<manual_clock> deadline([&] { as.request_abort_ex(timed_out_error()); });
    deadline.arm(manual_clock::now() + 1s);
    auto f = q.pop_eventually(as);
    manual_clock::advance(1s);
    co_await settle();
    CO_ASSERT_TRUE(f.available());
    EXPECT_TRUE(holds<timed_out_error>(failure(f)));
    // The waiter left the queue: an item pushed now stays for the next consumer.
    EXPECT_TRUE(q.push(7));
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(co_await q.pop_eventually(), 7);
}

} // namespace
} // namespace seastar
