// smp_service_group and smp_submit_to_options on 2 shards: the bound on calls in flight,
// the timeout, destroy and reuse, the default group, and the options on sharded<> calls.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/semaphore.hh"
#include "seastar/core/sharded.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "seastar/core/timed_out_error.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar {
namespace {

// Runs body on shard 0 of 2 shards; 0 when the body succeeded.
int run_on_2_shards(std::function<future<>()> body) {
    return testing::run_on_shards(2, std::move(body));
}

// Counts the calls running at once on the target shard and the most seen.
struct concurrency {
    std::atomic<int> now{0};
    std::atomic<int> most{0};
    std::atomic<int> done{0};

    future<> call() {
        int n = ++now;
        int m = most.load();
        while (n > m && !most.compare_exchange_weak(m, n)) {
        }
        // Long enough for every call already sent to start meanwhile.
        co_await sleep(std::chrono::milliseconds(2));
        --now;
        ++done;
    }
};

future<> submit_many(smp_submit_to_options opts, concurrency& c, int n) {
    std::vector<future<>> fs;
    for (int i = 0; i < n; ++i) {
        fs.push_back(smp::submit_to(1, opts, [&c] { return c.call(); }));
    }
    for (auto& f : fs) {
        co_await std::move(f);
    }
}

TEST(smp_service_group, bounds_calls_in_flight) {
    concurrency bounded;
    concurrency unbounded;
    EXPECT_EQ(run_on_2_shards([&]() -> future<> {
                  auto ssg = co_await create_smp_service_group({.max_nonlocal_requests = 2});
                  co_await submit_many(smp_submit_to_options(ssg), bounded, 20);
                  co_await destroy_smp_service_group(ssg);
                  // The same load without a bound runs more than 2 at once: the count above
                  // measures what the group limits.
                  co_await submit_many(smp_submit_to_options(), unbounded, 20);
              }),
              0);
    EXPECT_EQ(bounded.done.load(), 20);
    EXPECT_EQ(bounded.most.load(), 2);
    EXPECT_EQ(unbounded.done.load(), 20);
    EXPECT_GT(unbounded.most.load(), 2);
}

TEST(smp_service_group, invoke_on_all_and_sharded_calls_take_the_options) {
    concurrency c;
    int most_of_invoke_on = -1;
    std::atomic<int> ran_on[2] = {0, 0};
    struct svc {
        concurrency& c;
        explicit svc(std::reference_wrapper<concurrency> r) : c(r.get()) {}
    };
    EXPECT_EQ(run_on_2_shards([&]() -> future<> {
                  auto ssg = co_await create_smp_service_group({.max_nonlocal_requests = 1});
                  co_await smp::invoke_on_all(smp_submit_to_options(ssg), [&ran_on] { ++ran_on[this_shard_id()]; });
                  co_await smp::invoke_on_others(0, ssg, [&ran_on] { ++ran_on[this_shard_id()]; });
                  auto twice = co_await smp::copy_and_submit_to(1, ssg, [] { return this_shard_id() * 2; });
                  EXPECT_EQ(twice, 2u);
                  sharded<svc> s;
                  co_await s.start(std::ref(c));
                  std::vector<future<>> fs;
                  for (int i = 0; i < 10; ++i) {
                      fs.push_back(s.invoke_on(1, smp_submit_to_options(ssg), [](svc& x) { return x.c.call(); }));
                  }
                  for (auto& f : fs) {
                      co_await std::move(f);
                  }
                  most_of_invoke_on = c.most.load();
                  co_await s.invoke_on_all(ssg, [](svc& x) { return x.c.call(); });
                  co_await s.invoke_on_others(ssg, [](svc& x) { return x.c.call(); });
                  co_await s.stop();
                  co_await destroy_smp_service_group(ssg);
              }),
              0);
    EXPECT_EQ(ran_on[0].load(), 1);
    EXPECT_EQ(ran_on[1].load(), 2);
    EXPECT_EQ(c.done.load(), 13);
    EXPECT_EQ(most_of_invoke_on, 1);
}

TEST(smp_service_group, timeout_fails_a_call_that_cannot_get_a_unit) {
    std::atomic<bool> release{false};
    std::atomic<int> blocked_ran{0};
    std::string what;
    bool timed_out = false;
    bool late_ran = false;
    EXPECT_EQ(run_on_2_shards([&]() -> future<> {
                  auto ssg =
                      co_await create_smp_service_group({.max_nonlocal_requests = 2, .group_name = std::string("tmo")});
                  // Two calls hold both units until released (bounded wait: ~10 s at most).
                  auto hold = [&release, &blocked_ran]() -> future<> {
                      for (int i = 0; i < 10000 && !release.load(); ++i) {
                          co_await sleep(std::chrono::milliseconds(1));
                      }
                      ++blocked_ran;
                  };
                  auto a = smp::submit_to(1, ssg, hold);
                  auto b = smp::submit_to(1, ssg, hold);
                  try {
                      co_await smp::submit_to(
                          1, smp_submit_to_options(ssg, smp_timeout_clock::now() + std::chrono::milliseconds(20)),
                          [&late_ran] { late_ran = true; });
                  } catch (const timed_out_error& e) {
                      timed_out = true;
                      what = e.what();
                  }
                  release = true;
                  co_await std::move(a);
                  co_await std::move(b);
                  // A timeout that is not reached does not fail the call.
                  co_await smp::submit_to(
                      1, smp_submit_to_options(ssg, smp_timeout_clock::now() + std::chrono::hours(1)), [] {});
                  co_await destroy_smp_service_group(ssg);
              }),
              0);
    EXPECT_TRUE(timed_out);
    EXPECT_FALSE(late_ran);
    EXPECT_NE(what.find("tmo"), std::string::npos) << what;
    EXPECT_EQ(blocked_ran.load(), 2);
}

TEST(smp_service_group, destroy_then_reuse) {
    concurrency c;
    bool stale_rejected = false;
    EXPECT_EQ(run_on_2_shards([&]() -> future<> {
                  auto first = co_await create_smp_service_group({.max_nonlocal_requests = 4});
                  co_await smp::submit_to(1, first, [] {});
                  co_await destroy_smp_service_group(first);
                  // A destroyed group is refused, not silently unbounded.
                  try {
                      co_await smp::submit_to(1, first, [] {});
                  } catch (const std::invalid_argument&) {
                      stale_rejected = true;
                  }
                  // A new group (here with max_nonlocal_requests = 0, raised to one call)
                  // works after the old one is gone.
                  auto second = co_await create_smp_service_group({});
                  co_await submit_many(smp_submit_to_options(second), c, 6);
                  co_await destroy_smp_service_group(second);
                  // Destroying the default group is harmless; calls to the own shard take no unit.
                  co_await destroy_smp_service_group(default_smp_service_group());
                  auto third = co_await create_smp_service_group({.max_nonlocal_requests = 1});
                  EXPECT_EQ(co_await smp::submit_to(0, third, [] { return this_shard_id(); }), 0u);
                  // A shard that does not exist is refused with a group too.
                  EXPECT_THROW(co_await smp::submit_to(2, third, [] {}), std::invalid_argument);
                  co_await destroy_smp_service_group(third);
              }),
              0);
    EXPECT_TRUE(stale_rejected);
    EXPECT_EQ(c.done.load(), 6);
    EXPECT_EQ(c.most.load(), 1);
}

TEST(smp_service_group, destroy_waits_for_calls_in_flight) {
    std::atomic<int> finished{0};
    int finished_at_destroy = -1;
    EXPECT_EQ(run_on_2_shards([&]() -> future<> {
                  auto ssg = co_await create_smp_service_group({.max_nonlocal_requests = 2});
                  std::vector<future<>> fs;
                  for (int i = 0; i < 5; ++i) {
                      fs.push_back(smp::submit_to(1, ssg, [&finished]() -> future<> {
                          co_await sleep(std::chrono::milliseconds(1));
                          ++finished;
                      }));
                  }
                  co_await destroy_smp_service_group(ssg);
                  finished_at_destroy = finished.load();
                  for (auto& f : fs) {
                      co_await std::move(f);
                  }
              }),
              0);
    EXPECT_EQ(finished_at_destroy, 5);
}

} // namespace
} // namespace seastar
