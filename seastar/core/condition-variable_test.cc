#include "seastar/core/condition-variable.hh"
#include "seastar/core/coroutine.hh"

#include "seastar/core/local_scheduler.hh"
#include "seastar/testing/future_checks.hh"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace seastar {
namespace {

using custom_error = testing::test_error;
using testing::failed_with;

class cv_test : public ::testing::Test {
protected:
    local_scheduler sched;
};

TEST_F(cv_test, signal_wakes_one_waiter_in_fifo_order) {
    condition_variable cv;
    std::vector<int> order;
    std::vector<future<>> fs;
    for (int i = 0; i < 3; ++i) {
        fs.push_back(cv.wait().then([&order, i] { order.push_back(i); }));
    }
    EXPECT_TRUE(cv.has_waiters());
    cv.signal();
    sched.run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{0}));
    cv.signal();
    cv.signal();
    sched.run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
    EXPECT_FALSE(cv.has_waiters());
    for (auto& f : fs) {
        f.get();
    }
}

TEST_F(cv_test, broadcast_wakes_all_and_is_not_remembered) {
    condition_variable cv;
    auto a = cv.wait();
    auto b = cv.wait();
    cv.broadcast();
    EXPECT_TRUE(a.available());
    EXPECT_TRUE(b.available());
    a.get();
    b.get();
    cv.broadcast(); // nobody waits: nothing remembered
    auto c = cv.wait();
    EXPECT_FALSE(c.available());
    cv.signal();
    c.get();
}

TEST_F(cv_test, signal_without_waiters_is_remembered_once) {
    condition_variable cv;
    cv.signal();
    cv.signal();
    auto a = cv.wait();
    EXPECT_TRUE(a.available());
    a.get();
    auto b = cv.wait();
    EXPECT_FALSE(b.available());
    cv.signal();
    EXPECT_TRUE(b.available());
    b.get();
}

TEST_F(cv_test, wait_with_predicate) {
    condition_variable cv;
    int value = 0;
    int checks = 0;
    auto f = cv.wait([&] {
        ++checks;
        return value == 2;
    });
    EXPECT_FALSE(f.available());
    value = 1;
    cv.signal();
    sched.run_until_idle();
    EXPECT_FALSE(f.available()); // woke, predicate false, waits again
    EXPECT_TRUE(cv.has_waiters());
    value = 2;
    cv.signal();
    sched.run_until_idle();
    EXPECT_TRUE(f.available());
    f.get();
    EXPECT_EQ(checks, 3);

    auto ready = cv.wait([] { return true; });
    EXPECT_TRUE(ready.available());
    ready.get();
}

TEST_F(cv_test, predicate_exception_fails_wait) {
    condition_variable cv;
    bool throw_now = false;
    auto f = cv.wait([&]() -> bool {
        if (throw_now) {
            throw custom_error();
        }
        return false;
    });
    throw_now = true;
    cv.signal();
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(f));
}

TEST_F(cv_test, broken_fails_current_and_later_waiters) {
    condition_variable cv;
    auto a = cv.wait();
    auto b = cv.wait([] { return false; });
    cv.broken();
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<broken_condition_variable>(a));
    EXPECT_TRUE(failed_with<broken_condition_variable>(b));
    auto c = cv.wait();
    EXPECT_TRUE(failed_with<broken_condition_variable>(c));

    condition_variable cv2;
    auto d = cv2.wait();
    cv2.broken(std::make_exception_ptr(custom_error()));
    EXPECT_TRUE(failed_with<custom_error>(d));
}

TEST_F(cv_test, abort_fails_only_the_aborted_waiter) {
    condition_variable cv;
    abort_source as;
    auto a = cv.wait();
    auto b = cv.wait(as);
    auto c = cv.wait();
    as.request_abort();
    EXPECT_TRUE(failed_with<abort_requested_exception>(b));
    cv.signal();
    EXPECT_TRUE(a.available());
    EXPECT_FALSE(c.available()); // b's slot was removed, not consumed by the signal
    cv.signal();
    EXPECT_TRUE(c.available());
    a.get();
    c.get();
}

TEST_F(cv_test, abort_with_predicate_and_custom_exception) {
    condition_variable cv;
    abort_source as;
    auto f = cv.wait(as, [] { return false; });
    cv.signal(); // wakes, predicate false, waits again with the same source
    sched.run_until_idle();
    EXPECT_FALSE(f.available());
    as.request_abort_ex(custom_error());
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(f));
    EXPECT_FALSE(cv.has_waiters());
    auto late = cv.wait(as);
    EXPECT_TRUE(failed_with<custom_error>(late));
    auto late_pred = cv.wait(as, [] { return true; });
    EXPECT_TRUE(failed_with<custom_error>(late_pred));
}

TEST_F(cv_test, destroying_cv_breaks_waiters) {
    auto cv = std::make_unique<condition_variable>();
    auto f = cv->wait();
    cv.reset();
    EXPECT_TRUE(failed_with<broken_promise>(f));
}

TEST_F(cv_test, coroutines_await_when) {
    condition_variable cv;
    bool ready = false;
    int woke = 0;
    auto waiter = [&]() -> future<> {
        co_await cv.when([&] { return ready; });
        ++woke;
        co_await cv.when();
        ++woke;
    };
    auto f = waiter();
    cv.signal(); // predicate still false: keeps waiting
    sched.run_until_idle();
    EXPECT_EQ(woke, 0);
    ready = true;
    cv.signal();
    sched.run_until_idle();
    EXPECT_EQ(woke, 1);
    cv.signal();
    sched.wait(std::move(f));
    EXPECT_EQ(woke, 2);
    abort_source as;
    auto aborted = [&]() -> future<> { co_await cv.when(as); };
    auto g = aborted();
    as.request_abort();
    sched.run_until_idle();
    EXPECT_TRUE(testing::failed_with<abort_requested_exception>(g));
}

} // namespace
} // namespace seastar
