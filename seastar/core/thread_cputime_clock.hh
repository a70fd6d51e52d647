// thread_cputime_clock: a std::chrono clock of the CPU time the calling thread has used
// (CLOCK_THREAD_CPUTIME_ID), for measuring how much of a shard's time went to work as
// opposed to waiting. It only moves while the thread runs, so differences measured on one
// thread are meaningful; time points of different threads are not comparable.
//
// Contract: any thread; now() does not allocate and does not throw (the clock is always
// there on Linux).
//
//     auto start = seastar::thread_cputime_clock::now();
//     do_work();
//     auto used = seastar::thread_cputime_clock::now() - start;
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace seastar {

class thread_cputime_clock {
public:
    using rep = int64_t;
    using period = std::chrono::nanoseconds::period;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<thread_cputime_clock, duration>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept {
        struct timespec ts{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return time_point(duration(int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec));
    }
};

} // namespace seastar
