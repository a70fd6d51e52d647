#include "seastar/core/shared_mutex.hh"

#include "seastar/core/local_scheduler.hh"
#include "seastar/testing/future_checks.hh"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace seastar {
namespace {

using custom_error = testing::test_error;
using testing::failed_with;

class shared_mutex_test : public ::testing::Test {
protected:
    local_scheduler sched;
};

TEST_F(shared_mutex_test, readers_share_writers_exclude) {
    shared_mutex m;
    EXPECT_TRUE(m.try_lock_shared());
    EXPECT_TRUE(m.try_lock_shared());
    EXPECT_FALSE(m.try_lock());
    auto w = m.lock();
    EXPECT_FALSE(w.available());
    m.unlock_shared();
    EXPECT_FALSE(w.available());
    m.unlock_shared();
    EXPECT_TRUE(w.available());
    w.get();
    EXPECT_FALSE(m.try_lock_shared());
    EXPECT_FALSE(m.try_lock());
    m.unlock();
    EXPECT_TRUE(m.try_lock());
    m.unlock();
}

TEST_F(shared_mutex_test, writer_not_starved_by_stream_of_readers) {
    shared_mutex m;
    std::vector<std::string> log;
    // A reader holds the lock; a writer queues; then readers keep arriving.
    m.lock_shared().get();
    auto w = m.lock().then([&] { log.push_back("w"); });
    std::vector<future<>> readers;
    for (int i = 0; i < 10; ++i) {
        EXPECT_FALSE(m.try_lock_shared()); // may not jump over the waiting writer
        readers.push_back(m.lock_shared().then([&log, i] { log.push_back("r" + std::to_string(i)); }));
    }
    sched.run_until_idle();
    EXPECT_TRUE(log.empty());
    m.unlock_shared();
    sched.run_until_idle();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0], "w");
    for (auto& r : readers) {
        EXPECT_FALSE(r.available());
    }
    m.unlock(); // all queued readers are granted together
    sched.run_until_idle();
    EXPECT_EQ(log.size(), 11u);
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(readers[i].available());
        readers[i].get();
        m.unlock_shared();
    }
    w.get();
    EXPECT_TRUE(m.try_lock());
    m.unlock();
}

TEST_F(shared_mutex_test, fifo_between_readers_and_writers) {
    shared_mutex m;
    std::vector<std::string> log;
    m.lock().get();
    auto r1 = m.lock_shared().then([&] { log.push_back("r1"); });
    auto r2 = m.lock_shared().then([&] { log.push_back("r2"); });
    auto w1 = m.lock().then([&] { log.push_back("w1"); });
    auto r3 = m.lock_shared().then([&] { log.push_back("r3"); });
    m.unlock();
    sched.run_until_idle();
    EXPECT_EQ(log, (std::vector<std::string>{"r1", "r2"}));
    m.unlock_shared();
    m.unlock_shared();
    sched.run_until_idle();
    EXPECT_EQ(log, (std::vector<std::string>{"r1", "r2", "w1"}));
    m.unlock();
    sched.run_until_idle();
    EXPECT_EQ(log, (std::vector<std::string>{"r1", "r2", "w1", "r3"}));
    m.unlock_shared();
    r1.get();
    r2.get();
    w1.get();
    r3.get();
}

TEST_F(shared_mutex_test, with_lock_and_with_shared_unlock_on_every_outcome) {
    shared_mutex m;
    auto ok = with_lock(m, [] { return 3; });
    EXPECT_EQ(sched.wait(std::move(ok)), 3);
    auto thrown = with_lock(m, []() -> int { throw custom_error(); });
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(thrown));
    auto failed = with_shared(m, [] { return make_exception_future<>(custom_error()); });
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(failed));
    EXPECT_TRUE(m.try_lock()); // nothing left held
    m.unlock();
}

TEST_F(shared_mutex_test, with_lock_excludes_with_shared) {
    shared_mutex m;
    promise<> reading;
    int writes = 0;
    auto r = with_shared(m, [&] { return reading.get_future(); });
    auto w = with_lock(m, [&] { ++writes; });
    sched.run_until_idle();
    EXPECT_EQ(writes, 0);
    reading.set_value();
    sched.run_until_idle();
    EXPECT_EQ(writes, 1);
    r.get();
    w.get();
}

TEST_F(shared_mutex_test, aborting_queued_writer_lets_readers_through) {
    shared_mutex m;
    abort_source as;
    m.lock_shared().get();
    auto w = m.lock(as);
    auto r = m.lock_shared();
    EXPECT_FALSE(r.available());
    as.request_abort();
    EXPECT_TRUE(failed_with<abort_requested_exception>(w));
    EXPECT_TRUE(r.available()); // the writer no longer holds it back
    r.get();
    m.unlock_shared();
    m.unlock_shared();
    EXPECT_TRUE(m.try_lock());
    m.unlock();
}

TEST_F(shared_mutex_test, aborting_queued_reader_leaves_others_alone) {
    shared_mutex m;
    abort_source as;
    m.lock().get();
    auto r1 = m.lock_shared(as);
    auto r2 = m.lock_shared();
    as.request_abort_ex(custom_error());
    EXPECT_TRUE(failed_with<custom_error>(r1));
    EXPECT_FALSE(r2.available());
    m.unlock();
    EXPECT_TRUE(r2.available());
    r2.get();
    m.unlock_shared();
    EXPECT_TRUE(m.try_lock()); // the aborted reader took nothing
    m.unlock();
}

TEST(shared_mutex, get_shared_and_unique_lock) {
    local_scheduler sched;
    shared_mutex m;
    {
        auto s1 = sched.wait(get_shared_lock(m));
        auto s2 = sched.wait(get_shared_lock(m));
        EXPECT_TRUE(s1.owns_lock());
        auto u = get_unique_lock(m);
        EXPECT_FALSE(u.available());
        s1.unlock();
        s2.unlock();
        auto ul = sched.wait(std::move(u));
        EXPECT_TRUE(ul.owns_lock());
        EXPECT_FALSE(m.try_lock_shared());
    }
    EXPECT_TRUE(m.try_lock());
    m.unlock();
}

} // namespace
} // namespace seastar
