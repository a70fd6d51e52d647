// Signals with several shards: a signal is handled exactly once, by the shard
// that registered the handler, whichever shard's thread the kernel gives it to
// and whether the shards are busy or asleep.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"

using namespace std::chrono_literals;

namespace seastar {
namespace {

smp_options two_shards() {
    smp_options opts;
    opts.smp = 2;
    opts.memory = size_t(64) << 20;
    // Shards sleep as soon as they are idle, as the shard that takes a signal
    // was in the lost-SIGINT report.
    opts.reactor.idle_poll_time = std::chrono::nanoseconds(0);
    return opts;
}

// Sends `signo` to shard `to`'s thread.
future<> signal_thread_of(shard_id to, int signo) {
    return smp::submit_to(to, [signo] { ::pthread_kill(::pthread_self(), signo); });
}

// Shard 0 handles SIGUSR1; each round sends it to shard 1's thread (then to
// shard 0's) while both shards are otherwise idle, and waits until the
// handler ran. A signal drained by the shard without a handler would be lost
// and the round would not finish: the watchdog then fails the test.
TEST(smp_signal, a_signal_taken_by_another_shard_reaches_the_handling_shard_once) {
    constexpr int rounds = 40;
    std::atomic<int> handled{0};
    bool watchdog_fired = false;
    auto opts = two_shards();
    opts.reactor.handle_sigint_sigterm = false;
    int code = smp::run(opts, [&]() -> future<int> {
        timer<steady_clock_type> watchdog([&] {
            watchdog_fired = true;
            engine().exit(1);
        });
        watchdog.arm(60s);
        int seen = 0;
        promise<> got;
        engine().handle_signal(SIGUSR1, [&] {
            handled.fetch_add(1);
            got.set_value();
        });
        for (int i = 0; i < rounds; ++i) {
            got = promise<>();
            auto f = got.get_future();
            // Both shards go idle (and to sleep) before the signal arrives.
            co_await sleep(1ms);
            co_await signal_thread_of(i % 2 ? 0 : 1, SIGUSR1);
            co_await std::move(f);
            ++seen;
            EXPECT_EQ(handled.load(), seen);
        }
        co_return 0;
    });
    EXPECT_FALSE(watchdog_fired) << "a signal was lost after " << handled.load() << " of " << rounds;
    EXPECT_EQ(code, 0);
    EXPECT_EQ(handled.load(), rounds);
}

// SIGINT on an idle two-shard program: the program stops by itself, with the
// exit code of an orderly shutdown, whichever thread takes the signal.
TEST(smp_signal, sigint_on_any_shard_stops_an_idle_program) {
    for (shard_id target : {1u, 0u}) {
        bool watchdog_fired = false;
        bool at_exit_ran = false;
        promise<> stopping;
        int code = smp::run(two_shards(), [&]() -> future<int> {
            timer<steady_clock_type> watchdog([&] {
                watchdog_fired = true;
                // Only reached when SIGINT was lost: stop the program anyway.
                engine().exit(2);
            });
            watchdog.arm(60s);
            engine().at_exit([&] {
                at_exit_ran = true;
                stopping.set_value();
                return make_ready_future<>();
            });
            auto stopped = stopping.get_future();
            co_await sleep(1ms);
            co_await signal_thread_of(target, SIGINT);
            // Idle until the signal starts the shutdown (the exit code is the
            // one exit() was given first, not this one).
            co_await std::move(stopped);
            co_return 3;
        });
        EXPECT_FALSE(watchdog_fired) << "SIGINT sent to shard " << target << "'s thread was lost";
        EXPECT_EQ(code, 0);
        EXPECT_TRUE(at_exit_ran);
    }
}

} // namespace
} // namespace seastar
