#include "seastar/core/internal/task_quota_timer.hh"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace seastar::internal {

static_assert(std::is_same_v<std::chrono::steady_clock::duration, std::chrono::nanoseconds>);

namespace {

// Whether the TSC ticks at one rate in every power state and on every core
// (CPUID leaf 0x80000007, EDX bit 8: "invariant TSC"; Linux's nonstop_tsc).
bool invariant_cycle_counter() noexcept {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007) {
        return false;
    }
    __get_cpuid(0x80000007, &a, &b, &c, &d);
    return d & (1u << 8);
#else
    return false;
#endif
}

int64_t monotonic_ns() noexcept {
    ::timespec t;
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// A reading of both clocks at one instant: the counter between two reads of
// CLOCK_MONOTONIC that are close together (the thread was not descheduled
// in between; a few tries at most).
struct clock_pair {
    uint64_t cycles;
    int64_t ns;
};

clock_pair read_both() noexcept {
    clock_pair best{0, 0};
    int64_t best_gap = INT64_MAX;
    for (int i = 0; i < 16; ++i) {
        auto before = monotonic_ns();
        auto c = cycle_counter();
        auto after = monotonic_ns();
        if (after - before < best_gap) {
            best_gap = after - before;
            best = {c, before + (after - before) / 2};
        }
        if (best_gap < 1000) {
            break;
        }
    }
    return best;
}

// Both clocks read around a 2 ms sleep: being descheduled during the sleep
// does not matter, both keep running; each reading is taken within a
// microsecond (read_both), so the error is below 0.1%.
double measure_ticks_per_ns() noexcept {
    if (!invariant_cycle_counter()) {
        return 0;
    }
    auto start = read_both();
    ::timespec pause{0, 2000000};
    while (::nanosleep(&pause, &pause) != 0) {
    }
    auto end = read_both();
    if (end.ns <= start.ns || end.cycles <= start.cycles) {
        return 0;
    }
    return double(end.cycles - start.cycles) / double(end.ns - start.ns);
}

} // namespace

double cycle_counter_ticks_per_ns() noexcept {
    static const double rate = measure_ticks_per_ns();
    return rate;
}

task_quota_timer::task_quota_timer(std::atomic<bool>& flag, bool allow_cycle_counter) : _flag(flag) {
    if (allow_cycle_counter) {
        _ticks_per_ns = cycle_counter_ticks_per_ns();
        if (_ticks_per_ns > 0) {
            return;
        }
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    try {
        _thread = std::thread([this] { run(); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

task_quota_timer::~task_quota_timer() {
    if (!_thread.joinable()) {
        return;
    }
    _deadline.store(stop);
    _deadline.notify_one();
    _thread.join();
}

void task_quota_timer::run() noexcept {
    // The default 50us timer slack would be a tenth of a quota.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    for (;;) {
        int64_t d = _deadline.load(std::memory_order_seq_cst);
        if (d == stop) {
            return;
        }
        if (d == idle) {
            _parked.store(true, std::memory_order_seq_cst);
            // arm() stores a deadline before it looks at _parked, so either
            // wait() sees that deadline or arm() sees _parked and notifies.
            _deadline.wait(idle, std::memory_order_seq_cst);
            _parked.store(false, std::memory_order_relaxed);
            continue;
        }
        if (monotonic_ns() >= d) {
            if (_deadline.compare_exchange_strong(d, idle)) {
                _flag.store(true, std::memory_order_relaxed);
            }
            continue;
        }
        ::timespec until{time_t(d / 1000000000), long(d % 1000000000)};
        ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr);
    }
}

} // namespace seastar::internal
