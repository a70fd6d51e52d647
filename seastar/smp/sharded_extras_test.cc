// sharded<> on 2 shards: start_single, std::ref(sharded<U>) and sharded_parameter as start()
// arguments, async_sharded_service, foreign_ptr through sharded.hh, smp::all_cpus().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/sharded.hh"
#include "seastar/core/sleep.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar {
namespace {

int run_on_2_shards(std::function<future<>()> body) {
    return testing::run_on_shards(2, std::move(body));
}

struct placed {
    shard_id home = this_shard_id();
    int value;
    explicit placed(int v) : value(v) {}
};

TEST(sharded_extras, start_single_places_one_instance_on_shard_0) {
    std::atomic<int> built{0};
    struct counted {
        shard_id home = this_shard_id();
        explicit counted(std::reference_wrapper<std::atomic<int>> n) { ++n.get(); }
    };
    bool other_has_none = false;
    EXPECT_EQ(run_on_2_shards([&]() -> future<> {
                  sharded<counted> s;
                  co_await s.start_single(std::ref(built));
                  EXPECT_TRUE(s.local_is_initialized());
                  EXPECT_EQ(s.local().home, 0u);
                  EXPECT_FALSE(co_await smp::submit_to(1, [&s] { return s.local_is_initialized(); }));
                  try {
                      co_await s.invoke_on(1, [](counted&) {});
                  } catch (const no_sharded_instance_exception&) {
                      other_has_none = true;
                  }
                  EXPECT_EQ(co_await s.invoke_on(0, [](counted& c) { return c.home; }), 0u);
                  co_await s.stop();
                  // Started twice is refused.
                  co_await s.start_single(std::ref(built));
                  EXPECT_THROW(co_await s.start_single(std::ref(built)), std::logic_error);
                  co_await s.stop();
              }),
              0);
    EXPECT_EQ(built.load(), 2);
    EXPECT_TRUE(other_has_none);
}

// Takes the other service's local instance.
struct user_of_local {
    placed& dep;
    explicit user_of_local(placed& p) : dep(p) {}
};

// Takes the other sharded<> itself.
struct user_of_sharded {
    sharded<placed>& dep;
    explicit user_of_sharded(sharded<placed>& s) : dep(s) {}
};

TEST(sharded_extras, ref_to_sharded_becomes_the_local_instance) {
    EXPECT_EQ(run_on_2_shards([]() -> future<> {
                  sharded<placed> base;
                  co_await base.start(sharded_parameter([] { return int(this_shard_id()) * 10 + 1; }));
                  sharded<user_of_local> a;
                  co_await a.start(std::ref(base));
                  sharded<user_of_sharded> b;
                  co_await b.start(std::ref(base));
                  for (shard_id id : smp::all_cpus()) {
                      // a's instance on shard id holds base's instance of that same shard.
                      auto [home, value] =
                          co_await a.invoke_on(id, [](user_of_local& u) { return std::pair(u.dep.home, u.dep.value); });
                      EXPECT_EQ(home, id);
                      EXPECT_EQ(value, int(id) * 10 + 1);
                      EXPECT_TRUE(co_await b.invoke_on(id, [&base](user_of_sharded& u) { return &u.dep == &base; }));
                  }
                  co_await b.stop();
                  co_await a.stop();
                  co_await base.stop();
              }),
              0);
}

struct two_args {
    shard_id home = this_shard_id();
    int computed;
    int plain;
    two_args(int c, int p) : computed(c), plain(p) {}
};

TEST(sharded_extras, sharded_parameter_is_evaluated_on_each_shard) {
    std::atomic<int> evaluated_on[2] = {0, 0};
    EXPECT_EQ(run_on_2_shards([&]() -> future<> {
                  sharded<placed> base;
                  co_await base.start(7);
                  sharded<two_args> s;
                  // The function sees the local instance of a std::ref(sharded) parameter.
                  co_await s.start(sharded_parameter(
                                       [&evaluated_on](placed& p, int k) {
                                           ++evaluated_on[this_shard_id()];
                                           return p.value * k + int(this_shard_id());
                                       },
                                       std::ref(base), 3),
                                   5);
                  auto got = co_await s.map([](two_args& t) { return std::pair(t.computed, t.plain); });
                  EXPECT_EQ(got.size(), 2u);
                  EXPECT_EQ(got[0], std::pair(21, 5));
                  EXPECT_EQ(got[1], std::pair(22, 5));
                  co_await s.stop();
                  co_await base.stop();
                  EXPECT_EQ(smp::all_cpus().size(), 2u);
              }),
              0);
    EXPECT_EQ(evaluated_on[0].load(), 1);
    EXPECT_EQ(evaluated_on[1].load(), 1);
}

// Starts background work holding itself; stop() of the sharded must wait for it.
struct keeper : async_sharded_service<keeper> {
    std::atomic<int>& destroyed;
    std::atomic<int>& destroyed_early;
    shard_id home = this_shard_id();
    bool background_done = false;

    keeper(std::reference_wrapper<std::atomic<int>> d, std::reference_wrapper<std::atomic<int>> e)
        : destroyed(d.get()), destroyed_early(e.get()) {}
    ~keeper() override {
        if (!background_done || this_shard_id() != home) {
            ++destroyed_early;
        }
        ++destroyed;
    }
    void start_background() {
        (void)sleep(std::chrono::milliseconds(5)).then([self = shared_from_this()] { self->background_done = true; });
    }
    future<> stop() { return make_ready_future<>(); }
};

TEST(sharded_extras, async_sharded_service_outlives_its_stop_until_released) {
    std::atomic<int> destroyed{0};
    std::atomic<int> destroyed_early{0};
    int destroyed_when_stopped = -1;
    EXPECT_EQ(run_on_2_shards([&]() -> future<> {
                  sharded<keeper> s;
                  co_await s.start(std::ref(destroyed), std::ref(destroyed_early));
                  co_await s.invoke_on_all([](keeper& k) { k.start_background(); });
                  co_await s.stop();
                  destroyed_when_stopped = destroyed.load();
              }),
              0);
    EXPECT_EQ(destroyed_when_stopped, 2);
    EXPECT_EQ(destroyed_early.load(), 0);
}

TEST(sharded_extras, foreign_ptr_unwraps_on_its_owner) {
    EXPECT_EQ(run_on_2_shards([]() -> future<> {
                  auto raw = std::make_unique<int>(42);
                  int* addr = raw.get();
                  foreign_ptr<std::unique_ptr<int>> p = make_foreign(std::move(raw));
                  // To shard 1 and back: still owned by shard 0.
                  p = co_await smp::submit_to(1, [p = std::move(p)]() mutable {
                      EXPECT_EQ(*p, 42);
                      EXPECT_EQ(p.get_owner_shard(), 0u);
                      return std::move(p);
                  });
                  std::unique_ptr<int> back = p.unwrap_on_owner_shard();
                  EXPECT_EQ(back.get(), addr);
                  EXPECT_FALSE(p);
              }),
              0);
}

} // namespace
} // namespace seastar
