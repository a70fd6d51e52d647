#include "seastar/core/thread_cputime_clock.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <type_traits>

namespace seastar {
namespace {

static_assert(thread_cputime_clock::is_steady);
static_assert(std::is_same_v<thread_cputime_clock::duration, std::chrono::nanoseconds>);

// Spins until the thread's CPU time has moved by `d` (bounded by a count too).
void burn(thread_cputime_clock::duration d) {
    auto until = thread_cputime_clock::now() + d;
    std::atomic<uint64_t> sink{0};
    for (uint64_t i = 0; i < 4'000'000'000ull && thread_cputime_clock::now() < until; ++i) {
        sink.fetch_add(i, std::memory_order_relaxed);
    }
}

TEST(thread_cputime_clock, moves_with_work_and_never_back) {
    auto a = thread_cputime_clock::now();
    burn(std::chrono::milliseconds(2));
    auto b = thread_cputime_clock::now();
    EXPECT_GE(b - a, std::chrono::milliseconds(2));
    EXPECT_LE(a, b);
}

TEST(thread_cputime_clock, does_not_count_sleeping) {
    // A thread that only sleeps uses next to no CPU: its clock stays far below the wall
    // time it slept (the comparison is between the two clocks, not against a threshold
    // of this machine's speed).
    thread_cputime_clock::duration used{};
    std::thread t([&] {
        auto a = thread_cputime_clock::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        used = thread_cputime_clock::now() - a;
    });
    t.join();
    EXPECT_LT(used, std::chrono::milliseconds(50));
}

TEST(thread_cputime_clock, each_thread_has_its_own) {
    // A fresh thread starts near zero even after this thread has burnt CPU.
    burn(std::chrono::milliseconds(5));
    auto mine = thread_cputime_clock::now().time_since_epoch();
    thread_cputime_clock::duration theirs{};
    std::thread t([&] { theirs = thread_cputime_clock::now().time_since_epoch(); });
    t.join();
    EXPECT_LT(theirs, mine);
}

} // namespace
} // namespace seastar
