#include "seastar/core/semaphore.hh"

#include "seastar/core/local_scheduler.hh"
#include "seastar/testing/future_checks.hh"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace seastar {
namespace {

using custom_error = testing::test_error;
using testing::failed_with;

class semaphore_test : public ::testing::Test {
protected:
    local_scheduler sched;
};

TEST_F(semaphore_test, wait_takes_available_units_at_once) {
    semaphore sem(3);
    auto f = sem.wait(2);
    EXPECT_TRUE(f.available());
    EXPECT_FALSE(f.failed());
    f.get();
    EXPECT_EQ(sem.current(), 1u);
    EXPECT_EQ(sem.available_units(), 1);
    EXPECT_TRUE(sem.try_wait());
    EXPECT_FALSE(sem.try_wait());
    EXPECT_EQ(sem.waiters(), 0u);
    sem.signal(3);
    EXPECT_EQ(sem.current(), 3u);
}

TEST_F(semaphore_test, waiters_are_woken_in_fifo_order) {
    semaphore sem(0);
    std::vector<int> order;
    std::vector<future<>> fs;
    for (int i = 0; i < 5; ++i) {
        fs.push_back(sem.wait().then([&order, i] { order.push_back(i); }));
    }
    EXPECT_EQ(sem.waiters(), 5u);
    sem.signal(2);
    sched.run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{0, 1}));
    sem.signal(3);
    sched.run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
    for (auto& f : fs) {
        EXPECT_TRUE(f.available());
        f.get();
    }
    EXPECT_EQ(sem.waiters(), 0u);
    EXPECT_EQ(sem.current(), 0u);
}

TEST_F(semaphore_test, large_waiter_at_head_blocks_smaller_ones) {
    semaphore sem(1);
    auto big = sem.wait(3);
    EXPECT_FALSE(big.available());
    // One unit is free, but the small request must queue behind the big one.
    auto small = sem.wait(1);
    EXPECT_FALSE(small.available());
    EXPECT_FALSE(sem.try_wait(1));
    EXPECT_EQ(sem.waiters(), 2u);
    sem.signal(1); // 2 available: still not enough for the head
    sched.run_until_idle();
    EXPECT_FALSE(big.available());
    EXPECT_FALSE(small.available());
    sem.signal(1); // 3: the head is served, nothing left for the next
    sched.run_until_idle();
    EXPECT_TRUE(big.available());
    EXPECT_FALSE(small.available());
    EXPECT_EQ(sem.current(), 0u);
    sem.signal(1);
    EXPECT_TRUE(small.available());
    big.get();
    small.get();
}

TEST_F(semaphore_test, signal_serves_several_waiters_at_once) {
    semaphore sem(0);
    auto a = sem.wait(2);
    auto b = sem.wait(1);
    auto c = sem.wait(4);
    sem.signal(4); // a and b fit, c does not; 1 unit remains
    EXPECT_TRUE(a.available());
    EXPECT_TRUE(b.available());
    EXPECT_FALSE(c.available());
    EXPECT_EQ(sem.available_units(), 1);
    sem.broken();
    EXPECT_TRUE(failed_with<broken_semaphore>(c));
    a.get();
    b.get();
}

TEST_F(semaphore_test, broken_fails_current_and_later_waiters) {
    semaphore sem(0);
    auto a = sem.wait(1);
    auto b = sem.wait(5);
    sem.broken();
    EXPECT_TRUE(failed_with<broken_semaphore>(a));
    EXPECT_TRUE(failed_with<broken_semaphore>(b));
    EXPECT_EQ(sem.waiters(), 0u);
    auto later = sem.wait(1);
    EXPECT_TRUE(failed_with<broken_semaphore>(later));
    sem.signal(10); // ignored once broken
    EXPECT_EQ(sem.available_units(), 0);
    auto again = sem.wait(1);
    EXPECT_TRUE(failed_with<broken_semaphore>(again));
    EXPECT_FALSE(sem.try_wait(1));
}

TEST_F(semaphore_test, broken_with_custom_exception) {
    semaphore sem(2);
    auto a = sem.wait(3);
    sem.broken(custom_error());
    EXPECT_TRUE(failed_with<custom_error>(a));
    auto b = sem.wait(1);
    EXPECT_TRUE(failed_with<custom_error>(b));

    semaphore sem2(0);
    auto c = sem2.wait();
    sem2.broken(std::make_exception_ptr(std::logic_error("x")));
    EXPECT_TRUE(failed_with<std::logic_error>(c));
}

TEST_F(semaphore_test, named_semaphore_reports_its_name) {
    named_semaphore sem(0, named_semaphore_exception_factory{"io-limit"});
    auto f = sem.wait();
    sem.broken();
    ASSERT_TRUE(f.failed());
    try {
        std::rethrow_exception(f.get_exception());
    } catch (const broken_semaphore& e) {
        EXPECT_NE(std::string(e.what()).find("io-limit"), std::string::npos);
    }
}

TEST_F(semaphore_test, consume_can_make_count_negative) {
    semaphore sem(2);
    sem.consume(5);
    EXPECT_EQ(sem.available_units(), -3);
    EXPECT_EQ(sem.current(), 0u);
    auto f = sem.wait(1);
    EXPECT_FALSE(f.available());
    sem.signal(3); // back to 0: still not enough
    EXPECT_FALSE(f.available());
    sem.signal(1);
    EXPECT_TRUE(f.available());
    f.get();
}

TEST_F(semaphore_test, wait_zero_units_succeeds_when_nobody_waits) {
    semaphore sem(0);
    auto f = sem.wait(0);
    EXPECT_TRUE(f.available());
    f.get();
    auto blocked = sem.wait(1);
    auto zero = sem.wait(0); // FIFO: queues behind the blocked waiter
    EXPECT_FALSE(zero.available());
    sem.signal(1);
    EXPECT_TRUE(blocked.available());
    EXPECT_TRUE(zero.available());
    blocked.get();
    zero.get();
}

TEST_F(semaphore_test, get_units_returns_units_on_destruction) {
    semaphore sem(3);
    {
        auto u = sched.wait(get_units(sem, 2));
        EXPECT_EQ(u.count(), 2u);
        EXPECT_EQ(sem.current(), 1u);
    }
    EXPECT_EQ(sem.current(), 3u);
}

TEST_F(semaphore_test, get_units_returns_units_when_continuation_throws) {
    semaphore sem(2);
    auto f = get_units(sem, 2).then([](auto units) {
        EXPECT_EQ(units.count(), 2u);
        throw custom_error();
    });
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(f));
    EXPECT_EQ(sem.current(), 2u);
}

TEST_F(semaphore_test, get_units_waits_and_fails_when_broken) {
    semaphore sem(0);
    auto f = get_units(sem, 1);
    EXPECT_FALSE(f.available());
    sem.broken();
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<broken_semaphore>(f));
}

TEST_F(semaphore_test, try_get_units_and_consume_units) {
    semaphore sem(2);
    {
        auto u = try_get_units(sem, 2);
        ASSERT_TRUE(u.has_value());
        EXPECT_EQ(u->count(), 2u);
        EXPECT_FALSE(try_get_units(sem, 1).has_value());
    }
    EXPECT_EQ(sem.current(), 2u);
    {
        auto u = consume_units(sem, 5);
        EXPECT_EQ(sem.available_units(), -3);
    }
    EXPECT_EQ(sem.available_units(), 2);
}

TEST_F(semaphore_test, units_split_adopt_return_release) {
    semaphore sem(10);
    auto u = sched.wait(get_units(sem, 6));
    auto part = u.split(2);
    EXPECT_EQ(u.count(), 4u);
    EXPECT_EQ(part.count(), 2u);
    EXPECT_THROW(u.split(5), std::invalid_argument);
    EXPECT_EQ(u.count(), 4u);
    u.adopt(std::move(part));
    EXPECT_EQ(u.count(), 6u);
    EXPECT_EQ(part.count(), 0u);
    EXPECT_FALSE(part);
    EXPECT_EQ(u.return_units(1), 5u);
    EXPECT_EQ(sem.current(), 5u);
    EXPECT_THROW(u.return_units(6), std::invalid_argument);
    EXPECT_EQ(u.count(), 5u);
    auto taken = u.split(2);
    EXPECT_EQ(taken.release(), 2u); // these two are gone for good
    u.return_all();
    EXPECT_EQ(u.count(), 0u);
    EXPECT_EQ(sem.current(), 8u);
    sem.signal(2);
}

TEST_F(semaphore_test, units_move_assignment_returns_previous_units) {
    semaphore a(5), b(5);
    auto ua = sched.wait(get_units(a, 2));
    auto ub = sched.wait(get_units(b, 3));
    ua = std::move(ub);
    EXPECT_EQ(a.current(), 5u);
    EXPECT_EQ(b.current(), 2u);
    EXPECT_EQ(ua.count(), 3u);
    semaphore_units<> empty;
    EXPECT_FALSE(empty);
    ua = std::move(empty);
    EXPECT_EQ(b.current(), 5u);
}

TEST_F(semaphore_test, units_returned_wake_waiters) {
    semaphore sem(1);
    auto u = sched.wait(get_units(sem, 1));
    auto waiter = sem.wait(1);
    EXPECT_FALSE(waiter.available());
    u.return_all();
    EXPECT_TRUE(waiter.available());
    waiter.get();
}

TEST_F(semaphore_test, with_semaphore_holds_units_while_running) {
    semaphore sem(1);
    promise<> gate;
    auto f1 = with_semaphore(sem, 1, [&] { return gate.get_future(); });
    auto f2 = with_semaphore(sem, 1, [] { return 7; });
    sched.run_until_idle();
    EXPECT_FALSE(f1.available());
    EXPECT_FALSE(f2.available());
    EXPECT_EQ(sem.current(), 0u);
    gate.set_value();
    EXPECT_EQ(sched.wait(std::move(f2)), 7);
    sched.run_until_idle();
    EXPECT_TRUE(f1.available());
    f1.get();
    EXPECT_EQ(sem.current(), 1u);
}

TEST_F(semaphore_test, with_semaphore_returns_units_on_exception) {
    semaphore sem(1);
    auto thrown = with_semaphore(sem, 1, []() -> int { throw custom_error(); });
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(thrown));
    EXPECT_EQ(sem.current(), 1u);
    auto failed = with_semaphore(sem, 1, [] { return make_exception_future<>(custom_error()); });
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(failed));
    EXPECT_EQ(sem.current(), 1u);
}

TEST_F(semaphore_test, abort_fails_only_the_aborted_waiter) {
    semaphore sem(0);
    abort_source as;
    auto a = sem.wait(1);
    auto b = sem.wait(as, 1);
    auto c = sem.wait(1);
    EXPECT_EQ(sem.waiters(), 3u);
    as.request_abort();
    EXPECT_TRUE(failed_with<semaphore_aborted>(b));
    EXPECT_EQ(sem.waiters(), 2u);
    EXPECT_FALSE(a.available());
    EXPECT_FALSE(c.available());
    sem.signal(2);
    EXPECT_TRUE(a.available());
    EXPECT_TRUE(c.available());
    a.get();
    c.get();
    EXPECT_EQ(sem.available_units(), 0); // nothing leaked, nothing invented
    sem.signal(2);
    EXPECT_EQ(sem.available_units(), 2);
}

TEST_F(semaphore_test, aborting_the_head_serves_the_waiters_behind_it) {
    semaphore sem(2);
    abort_source as;
    auto big = sem.wait(as, 5);
    auto small1 = sem.wait(1);
    auto small2 = sem.wait(1);
    EXPECT_FALSE(small1.available());
    as.request_abort();
    EXPECT_TRUE(failed_with<semaphore_aborted>(big));
    EXPECT_TRUE(small1.available());
    EXPECT_TRUE(small2.available());
    small1.get();
    small2.get();
    EXPECT_EQ(sem.available_units(), 0);
}

TEST_F(semaphore_test, abort_with_custom_exception) {
    semaphore sem(0);
    abort_source as;
    auto f = get_units(sem, 1, as);
    as.request_abort_ex(custom_error());
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(f));
    EXPECT_EQ(sem.waiters(), 0u);
}

TEST_F(semaphore_test, abort_after_grant_has_no_effect) {
    semaphore sem(0);
    abort_source as;
    auto f = sem.wait(as, 1);
    sem.signal(1);
    as.request_abort();
    EXPECT_TRUE(f.available());
    EXPECT_FALSE(f.failed());
    f.get();
    EXPECT_EQ(sem.available_units(), 0);
}

TEST_F(semaphore_test, wait_on_aborted_source) {
    semaphore sem(1);
    abort_source as;
    as.request_abort();
    // Units at hand are granted as with wait(nr) ...
    auto ok = sem.wait(as, 1);
    EXPECT_TRUE(ok.available());
    EXPECT_FALSE(ok.failed());
    ok.get();
    // ... but a wait that would queue fails at once.
    auto f = sem.wait(as, 1);
    EXPECT_TRUE(failed_with<semaphore_aborted>(f));
    EXPECT_EQ(sem.waiters(), 0u);
}

TEST_F(semaphore_test, named_semaphore_abort_uses_factory) {
    named_semaphore sem(0, named_semaphore_exception_factory{"conn"});
    abort_source as;
    auto f = sem.wait(as);
    as.request_abort();
    ASSERT_TRUE(f.failed());
    try {
        std::rethrow_exception(f.get_exception());
    } catch (const named_semaphore_aborted& e) {
        EXPECT_NE(std::string(e.what()).find("conn"), std::string::npos);
    }
}

TEST_F(semaphore_test, broken_then_abort_is_harmless) {
    semaphore sem(0);
    abort_source as;
    auto f = sem.wait(as, 1);
    sem.broken();
    as.request_abort();
    EXPECT_TRUE(failed_with<broken_semaphore>(f));
}

TEST_F(semaphore_test, destroying_semaphore_breaks_waiters_promises) {
    auto sem = std::make_unique<semaphore>(0);
    abort_source as;
    auto f = sem->wait(as, 1);
    sem.reset();
    EXPECT_TRUE(failed_with<broken_promise>(f));
    as.request_abort(); // the subscription went with the waiter
}

TEST_F(semaphore_test, many_waiters_bounded_loop) {
    semaphore sem(0);
    std::vector<future<>> fs;
    std::vector<abort_source> sources(100);
    for (int i = 0; i < 100; ++i) {
        fs.push_back(sem.wait(sources[i], 1 + i % 3));
    }
    for (int i = 0; i < 100; i += 2) {
        sources[i].request_abort();
    }
    EXPECT_EQ(sem.waiters(), 50u);
    size_t needed = 0;
    for (int i = 1; i < 100; i += 2) {
        needed += 1 + i % 3;
    }
    sem.signal(needed);
    EXPECT_EQ(sem.waiters(), 0u);
    EXPECT_EQ(sem.available_units(), 0);
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(fs[i].available());
        EXPECT_EQ(fs[i].failed(), i % 2 == 0);
        fs[i].ignore_ready_future();
    }
}

} // namespace
} // namespace seastar
