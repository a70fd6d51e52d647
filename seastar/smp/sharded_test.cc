#include "seastar/core/sharded.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/sleep.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/later.hh"

namespace seastar {
namespace {

using testing::run_on_shards;
using testing::shard_setup;

// Records, process-wide, what happened to instances, so tests can check after smp::run.
struct journal {
    std::atomic<int> constructed{0};
    std::atomic<int> stopped{0};
    std::atomic<int> destroyed{0};
    std::atomic<int> wrong_shard{0};
    std::atomic<int> calls_done{0};
    std::atomic<int> calls_after_stop{0};
    std::vector<std::atomic<int>> stop_order = std::vector<std::atomic<int>>(8);
    std::atomic<int> stop_seq{0};
};

struct service {
    journal& j;
    shard_id home;
    int base;
    uint64_t n = 0;
    bool is_stopped = false;

    service(std::reference_wrapper<journal> jr, int b) : j(jr.get()), home(this_shard_id()), base(b) {
        j.constructed++;
    }
    ~service() {
        if (this_shard_id() != home) {
            j.wrong_shard++;
        }
        j.destroyed++;
    }
    future<> stop() {
        if (this_shard_id() != home) {
            j.wrong_shard++;
        }
        j.stop_order[home] = j.stop_seq++;
        co_await later();
        is_stopped = true;
        j.stopped++;
    }
    future<int> slow_call() {
        co_await sleep(std::chrono::milliseconds(5));
        if (is_stopped) {
            j.calls_after_stop++;
        }
        j.calls_done++;
        co_return base + int(home);
    }
};

class sharded_test : public ::testing::TestWithParam<shard_setup> {
protected:
    int run(std::function<future<>()> body) {
        return run_on_shards(GetParam().shards, GetParam().overprovisioned, body);
    }
};

TEST_P(sharded_test, start_invoke_map_reduce_stop) {
    journal j;
    EXPECT_EQ(
        run([&j]() -> future<> {
            sharded<service> s;
            co_await s.start(std::ref(j), 10);
            EXPECT_EQ(j.constructed.load(), int(smp::count));
            EXPECT_EQ(s.local().home, 0u);
            for (shard_id id = 0; id < smp::count; ++id) {
                auto home = co_await s.invoke_on(id, [](service& x) { return x.home; });
                EXPECT_EQ(home, id);
                auto v = co_await s.invoke_on(id, [](service& x, int add) { return x.base + add; }, 5);
                EXPECT_EQ(v, 15);
            }
            co_await s.invoke_on_all([](service& x) { x.n += this_shard_id() + 1; });
            co_await s.invoke_on_others([](service& x) { x.n += 100; });
            auto total = co_await s.map_reduce0([](service& x) { return x.n; }, uint64_t(0), std::plus<uint64_t>());
            uint64_t expected = 0;
            for (shard_id id = 0; id < smp::count; ++id) {
                expected += id + 1 + (id ? 100 : 0);
            }
            EXPECT_EQ(total, expected);
            struct summer {
                uint64_t sum = 0;
                future<> operator()(uint64_t v) {
                    sum += v;
                    return make_ready_future<>();
                }
                uint64_t get() const { return sum; }
            };
            EXPECT_EQ(co_await s.map_reduce(summer{}, [](service& x) { return x.n; }), expected);
            auto homes = co_await s.map([](service& x) { return x.home; });
            EXPECT_EQ(homes.size(), smp::count);
            for (shard_id id = 0; id < homes.size(); ++id) {
                EXPECT_EQ(homes[id], id);
            }
            // Exceptions from a call come back.
            EXPECT_THROW(co_await s.invoke_on(smp::count - 1, [](service&) -> int { throw std::logic_error("x"); }),
                         std::logic_error);
            co_await s.stop();
            EXPECT_EQ(j.stopped.load(), int(smp::count));
            EXPECT_EQ(j.destroyed.load(), int(smp::count));
            // Calls after stop fail cleanly.
            co_await s.start(std::ref(j), 1);
            co_await s.stop();
            bool failed = false;
            try {
                co_await s.invoke_on(0, [](service&) {});
            } catch (const no_sharded_instance_exception&) {
                failed = true;
            }
            EXPECT_TRUE(failed);
        }),
        0);
    EXPECT_EQ(j.wrong_shard.load(), 0);
    // Stopped in order 0, 1, 2, ...
    for (unsigned id = 0; id < GetParam().shards; ++id) {
        EXPECT_EQ(j.stop_order[id].load(), int(id) + int(GetParam().shards)); // second start/stop round
    }
}

TEST_P(sharded_test, stop_waits_for_calls_in_flight) {
    journal j;
    EXPECT_EQ(run([&j]() -> future<> {
                  sharded<service> s;
                  co_await s.start(std::ref(j), 0);
                  std::vector<future<int>> calls;
                  // From every shard to every shard, slow calls in flight when stop() starts.
                  for (shard_id from = 0; from < smp::count; ++from) {
                      calls.push_back(smp::submit_to(from, [&s]() -> future<int> {
                          std::vector<future<int>> mine;
                          for (shard_id to = 0; to < smp::count; ++to) {
                              mine.push_back(s.invoke_on(to, [](service& x) { return x.slow_call(); }));
                          }
                          int sum = 0;
                          for (auto& f : mine) {
                              sum += co_await std::move(f);
                          }
                          co_return sum;
                      }));
                  }
                  co_await later();
                  auto stopping = s.stop();
                  int total = 0;
                  for (auto& f : calls) {
                      total += co_await std::move(f);
                  }
                  co_await std::move(stopping);
                  EXPECT_EQ(total, int(smp::count) * int(smp::count * (smp::count - 1) / 2));
              }),
              0);
    EXPECT_EQ(j.calls_done.load(), int(GetParam().shards * GetParam().shards));
    EXPECT_EQ(j.calls_after_stop.load(), 0);
    EXPECT_EQ(j.destroyed.load(), int(GetParam().shards));
    EXPECT_EQ(j.wrong_shard.load(), 0);
}

struct failing {
    explicit failing(int fail_on) {
        if (int(this_shard_id()) == fail_on) {
            throw std::runtime_error("constructor failed");
        }
    }
};

TEST_P(sharded_test, failed_start_stops_the_others) {
    EXPECT_EQ(run([]() -> future<> {
                  sharded<failing> s;
                  EXPECT_THROW(co_await s.start(int(smp::count) - 1), std::runtime_error);
                  // Stopped already: stop() is a no-op and the object can go.
                  co_await s.stop();
              }),
              0);
}

struct peer : peering_sharded_service<peer> {
    int value() const { return int(this_shard_id()) * 10; }
    future<int> ask_next() {
        shard_id next = (this_shard_id() + 1) % smp::count;
        return container().invoke_on(next, [](peer& p) { return p.value(); });
    }
};

TEST_P(sharded_test, peering_service_reaches_its_peers) {
    EXPECT_EQ(run([]() -> future<> {
                  sharded<peer> s;
                  co_await s.start();
                  EXPECT_EQ(co_await s.local().ask_next(), 10);
                  co_await s.stop();
              }),
              0);
}

INSTANTIATE_TEST_SUITE_P(shards, sharded_test, ::testing::ValuesIn(testing::default_shard_setups()),
                         testing::shard_setup_name);

} // namespace
} // namespace seastar
