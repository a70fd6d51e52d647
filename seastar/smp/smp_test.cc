#include "seastar/core/smp.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/map_reduce.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/with_scheduling_group.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/later.hh"

namespace seastar {
namespace {

using testing::run_on_shards;
using testing::shard_setup;

class smp_test : public ::testing::TestWithParam<shard_setup> {
protected:
    int run(std::function<future<>()> body) {
        return run_on_shards(GetParam().shards, GetParam().overprovisioned, body);
    }
};

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif
#else
constexpr bool under_tsan = false;
#endif

TEST_P(smp_test, scheduling_groups_exist_on_every_shard) {
    unsigned shards = GetParam().shards;
    int code = run([shards]() -> future<> {
        scheduling_group sg = co_await create_scheduling_group("smp-test-group", 300);
        for (shard_id s = 0; s < shards; ++s) {
            // Work sent to each shard in the group runs there in the group, which
            // has the same name and shares everywhere.
            auto [name, shares, in_group] = co_await smp::submit_to(s, [sg] {
                return with_scheduling_group(sg, [sg] {
                    return std::tuple(std::string(current_scheduling_group().name()), sg.get_shares(),
                                      current_scheduling_group() == sg);
                });
            });
            EXPECT_EQ(name, "smp-test-group") << "shard " << s;
            EXPECT_EQ(shares, 300.0f) << "shard " << s;
            EXPECT_TRUE(in_group) << "shard " << s;
        }
        co_await destroy_scheduling_group(sg);
    });
    EXPECT_EQ(code, 0);
}

TEST_P(smp_test, count_and_shard_ids) {
    EXPECT_EQ(smp::count, 1u);
    EXPECT_EQ(run([n = GetParam().shards]() -> future<> {
                  EXPECT_EQ(smp::count, n);
                  EXPECT_EQ(this_shard_id(), 0u);
                  for (shard_id s = 0; s < smp::count; ++s) {
                      auto id = co_await smp::submit_to(s, [] { return this_shard_id(); });
                      EXPECT_EQ(id, s);
                      auto engine_id = co_await smp::submit_to(s, [] { return engine().id(); });
                      EXPECT_EQ(engine_id, s);
                  }
              }),
              0);
    EXPECT_EQ(smp::count, 1u);
}

// Every ordered pair (a, b): shard a asks shard b, and the reply comes back to a.
TEST_P(smp_test, round_trip_between_every_pair) {
    EXPECT_EQ(
        run([]() -> future<> {
            std::vector<std::pair<shard_id, shard_id>> seen;
            for (shard_id a = 0; a < smp::count; ++a) {
                auto pairs = co_await smp::submit_to(a, []() -> future<std::vector<std::pair<shard_id, shard_id>>> {
                    std::vector<std::pair<shard_id, shard_id>> out;
                    for (shard_id b = 0; b < smp::count; ++b) {
                        auto from = this_shard_id();
                        auto got = co_await smp::submit_to(b, [from] { return std::make_pair(from, this_shard_id()); });
                        EXPECT_EQ(this_shard_id(), from); // the continuation runs back home
                        out.push_back(got);
                    }
                    co_return out;
                });
                seen.insert(seen.end(), pairs.begin(), pairs.end());
            }
            std::vector<std::pair<shard_id, shard_id>> expected;
            for (shard_id a = 0; a < smp::count; ++a) {
                for (shard_id b = 0; b < smp::count; ++b) {
                    expected.emplace_back(a, b);
                }
            }
            EXPECT_EQ(seen, expected);
        }),
        0);
}

TEST_P(smp_test, values_futures_and_move_only_results) {
    EXPECT_EQ(run([]() -> future<> {
                  shard_id last = smp::count - 1;
                  EXPECT_EQ(co_await smp::submit_to(last, [] { return std::string(1000, 'x'); }),
                            std::string(1000, 'x'));
                  auto p = co_await smp::submit_to(last, [] { return std::make_unique<int>(7); });
                  EXPECT_EQ(*p, 7);
                  auto f = co_await smp::submit_to(last, []() -> future<int> {
                      co_await sleep(std::chrono::milliseconds(1));
                      co_return int(this_shard_id()) + 100;
                  });
                  EXPECT_EQ(f, int(last) + 100);
                  co_await smp::submit_to(last, [] {});
                  // A move-only function.
                  auto owned = std::make_unique<int>(5);
                  EXPECT_EQ(co_await smp::submit_to(last, [o = std::move(owned)] { return *o * 2; }), 10);
              }),
              0);
}

TEST_P(smp_test, exceptions_come_back_as_failed_futures) {
    EXPECT_EQ(run([]() -> future<> {
                  for (shard_id s = 0; s < smp::count; ++s) {
                      EXPECT_THROW(co_await smp::submit_to(s, []() -> int { throw std::runtime_error("thrown"); }),
                                   std::runtime_error);
                      auto f = smp::submit_to(
                          s, [] { return make_exception_future<std::string>(std::out_of_range("failed future")); });
                      try {
                          co_await std::move(f);
                          ADD_FAILURE() << "no exception";
                      } catch (const std::out_of_range& e) {
                          EXPECT_STREQ(e.what(), "failed future");
                      }
                  }
                  // Bad input: no such shard.
                  EXPECT_THROW(co_await smp::submit_to(smp::count, [] { return 1; }), std::invalid_argument);
                  EXPECT_THROW(co_await smp::submit_to(shard_id(-1), [] {}), std::invalid_argument);
              }),
              0);
}

TEST_P(smp_test, invoke_on_all_and_others) {
    static std::atomic<int> hits[8];
    for (auto& h : hits) {
        h = 0;
    }
    EXPECT_EQ(run([]() -> future<> {
                  co_await smp::invoke_on_all([] { hits[this_shard_id()]++; });
                  for (shard_id s = 0; s < smp::count; ++s) {
                      EXPECT_EQ(hits[s].load(), 1);
                  }
                  co_await smp::invoke_on_others([] { hits[this_shard_id()] += 10; });
                  EXPECT_EQ(hits[0].load(), 1);
                  for (shard_id s = 1; s < smp::count; ++s) {
                      EXPECT_EQ(hits[s].load(), 11);
                  }
                  co_await smp::invoke_on_others(1, []() -> future<> {
                      co_await later();
                      hits[this_shard_id()] += 100;
                  });
                  EXPECT_EQ(hits[0].load(), 101);
                  EXPECT_EQ(hits[1].load(), 11);
                  // One shard failing fails the whole, after all ran.
                  EXPECT_THROW(co_await smp::invoke_on_all([] {
                                   hits[this_shard_id()] += 1000;
                                   if (this_shard_id() == smp::count - 1) {
                                       throw std::runtime_error("last shard");
                                   }
                               }),
                               std::runtime_error);
                  for (shard_id s = 0; s < smp::count; ++s) {
                      EXPECT_GE(hits[s].load(), 1000);
                  }
              }),
              0);
}

TEST_P(smp_test, cross_shard_map_reduce) {
    EXPECT_EQ(run([]() -> future<> {
                  std::vector<shard_id> shards;
                  for (shard_id s = 0; s < smp::count; ++s) {
                      shards.push_back(s);
                  }
                  auto sum = co_await map_reduce(
                      shards.begin(), shards.end(),
                      [](shard_id s) { return smp::submit_to(s, [] { return uint64_t(this_shard_id()) + 1; }); },
                      uint64_t(0), std::plus<uint64_t>());
                  EXPECT_EQ(sum, uint64_t(smp::count) * (smp::count + 1) / 2);
              }),
              0);
}

// Millions of messages (fewer under tsan) from every shard to every other, many in flight
// at once: each is executed exactly once and each reply arrives exactly once.
TEST_P(smp_test, counting_stress) {
    static constexpr unsigned max_shards = 8;
    static std::atomic<uint64_t> executed[max_shards][max_shards]; // [from][to]
    for (auto& row : executed) {
        for (auto& c : row) {
            c = 0;
        }
    }
    constexpr uint64_t total = under_tsan ? 100000 : 2000000;
    EXPECT_EQ(run([]() -> future<> {
                  const uint64_t per_pair = total / (smp::count * (smp::count - 1));
                  std::vector<future<uint64_t>> senders;
                  for (shard_id from = 0; from < smp::count; ++from) {
                      senders.push_back(smp::submit_to(from, [per_pair]() -> future<uint64_t> {
                          uint64_t got = 0;
                          const shard_id me = this_shard_id();
                          constexpr unsigned window = 512;
                          for (uint64_t i = 0; i < per_pair; i += window) {
                              std::vector<future<uint64_t>> batch;
                              for (shard_id to = 0; to < smp::count; ++to) {
                                  if (to == me) {
                                      continue;
                                  }
                                  for (uint64_t j = i; j < std::min(per_pair, i + window); ++j) {
                                      batch.push_back(smp::submit_to(to, [me, j] {
                                          executed[me][this_shard_id()].fetch_add(1, std::memory_order_relaxed);
                                          return j;
                                      }));
                                  }
                              }
                              uint64_t k = 0;
                              for (auto& f : batch) {
                                  auto v = co_await std::move(f);
                                  // Replies carry their own request's value.
                                  EXPECT_EQ(v, i + k % std::min<uint64_t>(window, per_pair - i));
                                  ++k;
                                  ++got;
                              }
                          }
                          co_return got;
                      }));
                  }
                  uint64_t replies_total = 0;
                  for (auto& f : senders) {
                      replies_total += co_await std::move(f);
                  }
                  EXPECT_EQ(replies_total, per_pair * smp::count * (smp::count - 1));
                  for (shard_id a = 0; a < smp::count; ++a) {
                      for (shard_id b = 0; b < smp::count; ++b) {
                          EXPECT_EQ(executed[a][b].load(), a == b ? 0 : per_pair) << a << "->" << b;
                      }
                  }
              }),
              0);
}

// A shard that sleeps (idle, no polling: overprovisioned) is woken by a message, however
// long it has been asleep.
TEST_P(smp_test, wakes_a_sleeping_shard) {
    EXPECT_EQ(run([]() -> future<> {
                  shard_id last = smp::count - 1;
                  for (int round = 0; round < 20; ++round) {
                      auto sleeps_before = co_await smp::submit_to(last, [] { return engine().get_stats().sleeps; });
                      // Give the target time to go to sleep (it has nothing to do).
                      co_await sleep(std::chrono::milliseconds(round % 4 == 0 ? 5 : 1));
                      auto sleeps_after = co_await smp::submit_to(last, [] { return engine().get_stats().sleeps; });
                      if (sleeps_after > sleeps_before) {
                          co_return; // it slept and the message still woke it
                      }
                  }
                  ADD_FAILURE() << "the target shard never slept";
              }),
              0);
}

// Shutdown with work in flight: fire-and-forget messages and at_exit functions that send
// messages are all run before smp::run returns; nothing runs after.
TEST_P(smp_test, orderly_shutdown_with_messages_in_flight) {
    static std::atomic<uint64_t> ran;
    static std::atomic<uint64_t> at_exit_ran;
    ran = 0;
    at_exit_ran = 0;
    constexpr uint64_t n = 10000;
    EXPECT_EQ(run([]() -> future<> {
                  for (shard_id s = 0; s < smp::count; ++s) {
                      co_await smp::submit_to(s, [] {
                          engine().at_exit([] { return smp::invoke_on_all([] { at_exit_ran++; }); });
                          for (shard_id t = 0; t < smp::count; ++t) {
                              for (uint64_t i = 0; i < n; ++i) {
                                  (void)smp::submit_to(t, []() -> future<> {
                                      co_await later();
                                      ran.fetch_add(1, std::memory_order_relaxed);
                                  });
                              }
                          }
                      });
                  }
                  // Return while most of them are still queued.
              }),
              0);
    EXPECT_EQ(ran.load(), n * GetParam().shards * GetParam().shards);
    EXPECT_EQ(at_exit_ran.load(), uint64_t(GetParam().shards) * GetParam().shards);
}

// at_final_exit() functions run after the at_exit() functions of every shard, on their own
// shard, last registered first, while the other shards still answer messages.
TEST_P(smp_test, final_exit_functions_run_after_every_shards_exit_functions) {
    static std::atomic<unsigned> exits_done;
    static std::atomic<unsigned> finals_seen_all_exits;
    static std::atomic<unsigned> finals_ran;
    static std::atomic<unsigned> wrong_shard;
    static std::atomic<unsigned> order_errors;
    exits_done = finals_seen_all_exits = finals_ran = wrong_shard = order_errors = 0;
    EXPECT_EQ(run([]() -> future<> {
                  co_await smp::invoke_on_all([] {
                      auto self = this_shard_id();
                      auto second_ran = std::make_shared<bool>(false);
                      // Registered first: runs after the second one.
                      internal::at_final_exit([second_ran] {
                          order_errors += !*second_ran;
                          finals_ran++;
                          return make_ready_future<>();
                      });
                      internal::at_final_exit([self, second_ran]() -> future<> {
                          wrong_shard += this_shard_id() != self;
                          finals_seen_all_exits += exits_done.load() == smp::count;
                          // Another shard still answers.
                          co_await smp::submit_to((self + 1) % smp::count, [] {});
                          *second_ran = true;
                          finals_ran++;
                      });
                      // An exit function that takes a while (shard 0's run before the others').
                      engine().at_exit([]() -> future<> {
                          co_await later();
                          exits_done++;
                      });
                  });
              }),
              0);
    unsigned n = GetParam().shards;
    EXPECT_EQ(exits_done.load(), n);
    EXPECT_EQ(finals_ran.load(), 2 * n);
    EXPECT_EQ(finals_seen_all_exits.load(), n);
    EXPECT_EQ(wrong_shard.load(), 0u);
    EXPECT_EQ(order_errors.load(), 0u);
}

TEST_P(smp_test, main_result_and_failure) {
    smp_options opts;
    opts.smp = GetParam().shards;
    opts.overprovisioned = GetParam().overprovisioned;
    opts.reactor.handle_sigint_sigterm = false;
    EXPECT_EQ(smp::run(opts, [] { return smp::submit_to(smp::count - 1, [] { return 42; }); }), 42);
    EXPECT_EQ(smp::run(opts, []() -> future<int> { throw std::runtime_error("main failed"); }), 1);
}

INSTANTIATE_TEST_SUITE_P(shards, smp_test, ::testing::ValuesIn(testing::default_shard_setups()),
                         testing::shard_setup_name);

TEST(smp_options_test, bad_options_are_rejected) {
    smp_options opts;
    opts.cpuset = "0-";
    EXPECT_THROW(smp::run(opts, [] { return make_ready_future<int>(0); }), std::invalid_argument);
    opts.cpuset = "";
    opts.smp = 0;
    EXPECT_THROW(smp::run(opts, [] { return make_ready_future<int>(0); }), std::invalid_argument);
    opts.smp = 1000; // more shards than CPUs, not overprovisioned
    EXPECT_THROW(smp::run(opts, [] { return make_ready_future<int>(0); }), std::invalid_argument);
    EXPECT_EQ(smp::count, 1u);
}

TEST(smp_options_test, single_shard_and_submit_outside_run) {
    // Outside smp::run, submitting to shard 0 from a plain thread runs in place; others fail.
    smp_options opts;
    opts.smp = 1;
    opts.reactor.handle_sigint_sigterm = false;
    EXPECT_EQ(smp::run(opts,
                       []() -> future<int> {
                           EXPECT_EQ(smp::count, 1u);
                           co_await smp::invoke_on_all([] {});
                           EXPECT_THROW(co_await smp::submit_to(1, [] {}), std::invalid_argument);
                           co_return co_await smp::submit_to(0, [] { return 3; });
                       }),
              3);
}

} // namespace
} // namespace seastar
