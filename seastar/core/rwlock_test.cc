#include "seastar/core/rwlock.hh"

#include <chrono>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/core/shared_mutex.hh" // with_lock
#include "seastar/testing/future_checks.hh"
#include "gtest/gtest.h"

using namespace std::chrono_literals;

namespace seastar {
namespace {

TEST(rwlock, readers_share_writers_exclude) {
    local_scheduler sched;
    rwlock l;
    EXPECT_FALSE(l.locked());
    auto r1 = sched.wait(l.hold_read_lock());
    auto r2 = sched.wait(l.hold_read_lock());
    EXPECT_TRUE(l.locked());
    auto w = l.hold_write_lock();
    EXPECT_FALSE(w.available());
    EXPECT_FALSE(l.try_read_lock()); // a writer is waiting: no overtaking
    r1.return_all();
    sched.run_until_idle();
    EXPECT_FALSE(w.available());
    r2.return_all();
    auto wh = sched.wait(std::move(w));
    EXPECT_FALSE(l.try_read_lock());
    EXPECT_FALSE(l.try_write_lock());
    {
        auto dropped = std::move(wh);
    }
    EXPECT_FALSE(l.locked());
    EXPECT_TRUE(l.try_write_lock());
    l.write_unlock();
    EXPECT_TRUE(l.try_read_lock());
    l.read_unlock();
}

TEST(rwlock, with_lock_on_each_side) {
    local_scheduler sched;
    rwlock l;
    std::vector<int> log;
    auto a = with_lock(l.for_read(), [&] {
        log.push_back(1);
        return make_ready_future<int>(1);
    });
    EXPECT_EQ(sched.wait(std::move(a)), 1);
    auto hold = sched.wait(l.hold_read_lock());
    auto b = with_lock(l.for_write(), [&] { log.push_back(2); });
    sched.run_until_idle();
    EXPECT_EQ(log, (std::vector<int>{1}));
    hold.return_all();
    sched.wait(std::move(b));
    EXPECT_EQ(log, (std::vector<int>{1, 2}));
    EXPECT_FALSE(l.locked());
    // The lock is released when the function fails, too.
    auto c = with_lock(l.for_write(), [] { return make_exception_future<>(std::runtime_error("x")); });
    EXPECT_THROW(sched.wait(std::move(c)), std::runtime_error);
    EXPECT_FALSE(l.locked());
}

TEST(rwlock, abort_and_timeout_fail_one_waiter) {
    local_scheduler sched;
    rwlock l;
    l.write_lock().get();
    abort_source as;
    auto r = l.hold_read_lock(as);
    auto other = l.read_lock();
    as.request_abort();
    sched.run_until_idle();
    EXPECT_TRUE(testing::failed_with<semaphore_aborted>(r));
    basic_rwlock<manual_clock> ml;
    ml.write_lock().get();
    auto t = ml.hold_write_lock(manual_clock::now() + 1s);
    manual_clock::advance(1s);
    sched.run_until_idle();
    EXPECT_TRUE(testing::failed_with<semaphore_timed_out>(t));
    ml.write_unlock();
    l.write_unlock();
    sched.wait(std::move(other));
    l.read_unlock();
}

} // namespace
} // namespace seastar
