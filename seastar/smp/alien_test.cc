#include "seastar/core/alien.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar {
namespace {

using testing::run_on_shards;
using testing::shard_setup;

class alien_test : public ::testing::TestWithParam<shard_setup> {
protected:
    int run(std::function<future<>()> body) {
        return run_on_shards(GetParam().shards, GetParam().overprovisioned, body);
    }
};

TEST_P(alien_test, threads_submit_into_every_shard) {
    std::atomic<uint64_t> done{0};
    constexpr int per_thread = 2000;
    EXPECT_EQ(run([&done]() -> future<> {
                  // Blocking threads outside the shards; shard 0 polls for their completion.
                  std::vector<std::thread> threads;
                  std::atomic<int> finished{0};
                  std::atomic<int> bad{0};
                  for (int t = 0; t < 3; ++t) {
                      threads.emplace_back([&, t] {
                          for (int i = 0; i < per_thread; ++i) {
                              shard_id s = shard_id((t + i) % smp::count);
                              if (i % 2) {
                                  auto f = alien::submit_to(s, [i] { return std::make_pair(this_shard_id(), i); });
                                  auto [where, v] = f.get();
                                  if (where != s || v != i) {
                                      bad++;
                                  }
                              } else {
                                  auto f = alien::submit_to(s, [&done]() -> future<> {
                                      co_await sleep(std::chrono::microseconds(10));
                                      done++;
                                  });
                                  f.get();
                              }
                          }
                          // Exceptions come back through the std::future.
                          auto f = alien::submit_to(0, []() -> int { throw std::runtime_error("alien"); });
                          try {
                              f.get();
                              bad++;
                          } catch (const std::runtime_error&) {
                          }
                          // Bad shard number.
                          auto g = alien::submit_to(smp::count, [] {});
                          try {
                              g.get();
                              bad++;
                          } catch (const std::invalid_argument&) {
                          }
                          finished++;
                      });
                  }
                  while (finished.load() < 3) {
                      co_await sleep(std::chrono::milliseconds(1));
                  }
                  for (auto& t : threads) {
                      t.join();
                  }
                  EXPECT_EQ(bad.load(), 0);
              }),
              0);
    EXPECT_EQ(done.load(), uint64_t(3 * per_thread / 2));
}

// Work handed over just before shutdown still runs before smp::run returns.
TEST_P(alien_test, run_on_before_shutdown_is_not_lost) {
    std::atomic<int> ran{0};
    std::thread t;
    EXPECT_EQ(run([&]() -> future<> {
                  std::atomic<bool> go{false};
                  t = std::thread([&] {
                      for (int i = 0; i < 1000; ++i) {
                          alien::run_on(shard_id(i % smp::count), [&ran]() -> future<> {
                              co_await sleep(std::chrono::microseconds(50));
                              ran++;
                          });
                      }
                      go = true;
                  });
                  while (!go.load()) {
                      co_await sleep(std::chrono::microseconds(100));
                  }
              }),
              0);
    t.join();
    EXPECT_EQ(ran.load(), 1000);
}

INSTANTIATE_TEST_SUITE_P(shards, alien_test, ::testing::ValuesIn(testing::default_shard_setups()),
                         testing::shard_setup_name);

TEST(alien_outside_smp, refused) {
    EXPECT_THROW(alien::run_on(0, [] {}), std::runtime_error);
    EXPECT_THROW(alien::submit_to(0, [] { return 1; }).get(), std::runtime_error);
}

} // namespace
} // namespace seastar
