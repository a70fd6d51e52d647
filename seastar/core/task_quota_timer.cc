#include "seastar/core/internal/task_quota_timer.hh"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

namespace seastar::internal {

static_assert(std::is_same_v<std::chrono::steady_clock::duration, std::chrono::nanoseconds>);

task_quota_timer::task_quota_timer(std::atomic<bool>& flag) : _flag(flag) {
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
        ::timespec now;
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t now_ns = int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
        if (now_ns >= d) {
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
