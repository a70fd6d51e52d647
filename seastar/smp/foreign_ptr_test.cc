#include "seastar/core/foreign_ptr.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "seastar/core/coroutine.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar {
namespace {

using testing::run_on_shards;
using testing::shard_setup;

std::atomic<int> destroyed_on[8];
std::atomic<int> destroyed_total;

struct tracked {
    shard_id home = this_shard_id();
    int value = 0;
    explicit tracked(int v) : value(v) {}
    ~tracked() {
        destroyed_on[this_shard_id()]++;
        destroyed_total++;
    }
};

void reset_counts() {
    for (auto& c : destroyed_on) {
        c = 0;
    }
    destroyed_total = 0;
}

class foreign_ptr_test : public ::testing::TestWithParam<shard_setup> {
protected:
    int run(std::function<future<>()> body) {
        return run_on_shards(GetParam().shards, GetParam().overprovisioned, body);
    }
};

TEST_P(foreign_ptr_test, destroyed_on_its_owner) {
    reset_counts();
    EXPECT_EQ(run([]() -> future<> {
                  shard_id last = smp::count - 1;
                  // Created on `last`, travels to shard 0, dies here: destroyed back on `last`.
                  auto p = co_await smp::submit_to(last, [] { return make_foreign(std::make_unique<tracked>(7)); });
                  EXPECT_EQ(p.get_owner_shard(), last);
                  EXPECT_EQ(p->value, 7);
                  EXPECT_EQ((*p).home, last);
                  p = nullptr; // the old pointer goes home
                  // Created here, dies on every other shard.
                  for (shard_id s = 1; s < smp::count; ++s) {
                      auto q = make_foreign(std::make_unique<tracked>(1));
                      co_await smp::submit_to(s, [q = std::move(q)] { EXPECT_EQ(q->home, 0u); });
                  }
                  // destroy() resolves once the object is gone.
                  auto r = co_await smp::submit_to(last, [] { return make_foreign(std::make_shared<tracked>(3)); });
                  co_await r.destroy();
                  EXPECT_FALSE(r);
                  EXPECT_EQ(destroyed_on[last].load(), 2);
                  // copy(): a second owner of a shared object, made on the owner shard.
                  auto s1 = co_await smp::submit_to(last, [] { return make_foreign(std::make_shared<tracked>(4)); });
                  auto s2 = co_await s1.copy();
                  EXPECT_EQ(s2.get(), s1.get());
                  EXPECT_EQ(s2.get_owner_shard(), last);
                  s1.reset();
                  EXPECT_TRUE(s2);
                  // release(): the caller takes over.
                  auto mine = make_foreign(std::make_unique<tracked>(9));
                  auto raw = mine.release();
                  EXPECT_FALSE(mine);
                  EXPECT_EQ(raw->value, 9);
              }),
              0);
    // All done before smp::run returned.
    int shards = int(GetParam().shards);
    EXPECT_EQ(destroyed_on[0].load(), (shards - 1) + 1); // the ones sent away, and `raw`
    EXPECT_EQ(destroyed_on[shards - 1].load(), 3);       // 7, 3, 4
    EXPECT_EQ(destroyed_total.load(), shards + 3);
}

TEST(foreign_ptr_outside_smp, destroyed_in_place) {
    reset_counts();
    {
        auto p = make_foreign(std::make_unique<tracked>(1));
        EXPECT_EQ(p.get_owner_shard(), 0u);
        foreign_ptr<std::unique_ptr<tracked>> q(std::move(p));
        EXPECT_FALSE(p);
        EXPECT_TRUE(q);
    }
    EXPECT_EQ(destroyed_total.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(shards, foreign_ptr_test, ::testing::ValuesIn(testing::default_shard_setups()),
                         testing::shard_setup_name);

} // namespace
} // namespace seastar
