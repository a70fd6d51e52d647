// A shard that sleeps (its loop idle, waiting in its backend) is woken by a message from
// another shard, and a reply wakes a requester that went to sleep while it waited. The
// shards are overprovisioned, so an idle shard goes to sleep at once instead of spinning.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar {
namespace {

using namespace std::chrono_literals;

uint64_t local_sleeps() {
    return engine().get_stats().sleeps;
}

TEST(smp_wakeup, message_wakes_a_sleeping_shard) {
    int code = testing::run_on_shards(2, true, []() -> future<> {
        // Each question is answered: its arrival ends shard 1's sleep. The count it
        // returns grows when shard 1 slept between two questions, which an idle
        // overprovisioned shard does as soon as it has nothing to do.
        uint64_t first = co_await smp::submit_to(1, [] { return local_sleeps(); });
        uint64_t last = first;
        for (int i = 0; i < 100 && last == first; ++i) {
            co_await sleep(2ms);
            last = co_await smp::submit_to(1, [] { return local_sleeps(); });
        }
        EXPECT_GT(last, first) << "shard 1 never slept between two requests";
    });
    EXPECT_EQ(code, 0);
}

TEST(smp_wakeup, reply_wakes_a_sleeping_requester) {
    int code = testing::run_on_shards(2, true, []() -> future<> {
        bool slept = false;
        for (int i = 0; i < 100 && !slept; ++i) {
            uint64_t before = local_sleeps();
            // Shard 0 has nothing to do while shard 1 waits, so it sleeps; the reply
            // must wake it for the call to finish.
            int v = co_await smp::submit_to(1, []() -> future<int> {
                co_await sleep(2ms);
                co_return 42;
            });
            EXPECT_EQ(v, 42);
            slept = local_sleeps() > before;
        }
        EXPECT_TRUE(slept) << "shard 0 never slept while it waited for a reply";
    });
    EXPECT_EQ(code, 0);
}

} // namespace
} // namespace seastar
