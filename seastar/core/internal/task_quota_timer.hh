// task_quota_timer: ends a reactor's task quota, so that need_preempt() turns
// true when the quota runs out.
//
// need_preempt() is called after every task and inside long loops, so it
// must cost next to nothing; something must still notice that the quota has
// run out. Two ways, chosen at construction:
//
//   * The cycle counter (x86-64 with an invariant TSC, the usual case): arm()
//     stores the quota's end, in counter ticks, in the thread's scheduler
//     hooks, and need_preempt() compares the counter with it and raises the
//     flag itself. Nothing else runs: no thread, no timer interrupt, no
//     context switch. The counter's rate is measured once per process
//     against CLOCK_MONOTONIC.
//   * A helper thread per reactor, where the counter cannot be trusted to
//     keep time: arm() stores the deadline (one atomic store; a futex wake
//     only when the helper was parked because the reactor had been idle), and
//     the helper sleeps until the latest deadline and then sets the flag.
//     disarm() lets the helper park at its next wake-up, so an idle reactor
//     costs no periodic wake-ups. A deadline moved later while the helper
//     sleeps just makes it sleep again, so re-arming on every loop turn costs
//     no syscall; but a reactor that runs tasks continuously wakes the helper
//     once per quota, two context switches on the reactor's core.
//
// Contract: arm()/disarm() from the reactor thread (the counter deadline is
// that thread's); the flag may be set spuriously right after a re-arm (an
// early preemption is harmless; a late one is what this avoids). The
// constructor starts the thread when it needs one (throws std::system_error
// if it cannot); the destructor stops and joins it.
//
//     internal::task_quota_timer q(reactor_preempt_flag);
//     q.arm(steady_clock::now(), quota);    // before running tasks
//     q.disarm();                           // before sleeping
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "seastar/core/task.hh"

namespace seastar::internal {

// Cycle-counter ticks per nanosecond, measured once per process; 0 when the
// counter does not tick at a constant rate on every core (no invariant TSC).
double cycle_counter_ticks_per_ns() noexcept;

class task_quota_timer {
public:
    enum class method { cycle_counter, helper_thread };

private:
    std::atomic<bool>& _flag;
    double _ticks_per_ns = 0;
    // Deadline in steady_clock nanoseconds; idle: none; stop: exit.
    std::atomic<int64_t> _deadline{idle};
    std::atomic<bool> _parked{false};
    std::thread _thread;

    static constexpr int64_t idle = INT64_MAX;
    static constexpr int64_t stop = INT64_MIN;

    void run() noexcept;

public:
    // `allow_cycle_counter`: false forces the helper thread.
    explicit task_quota_timer(std::atomic<bool>& flag, bool allow_cycle_counter = true);
    ~task_quota_timer();
    task_quota_timer(const task_quota_timer&) = delete;
    task_quota_timer& operator=(const task_quota_timer&) = delete;

    method how() const noexcept { return _ticks_per_ns > 0 ? method::cycle_counter : method::helper_thread; }

    // The quota that started at `start` ends after `quota`.
    void arm(std::chrono::steady_clock::time_point start, std::chrono::nanoseconds quota) noexcept {
        if (_ticks_per_ns > 0) {
            hooks.preempt_at = cycle_counter() + uint64_t(double(quota.count()) * _ticks_per_ns);
            return;
        }
        _deadline.store((start + quota).time_since_epoch().count(), std::memory_order_seq_cst);
        if (_parked.load(std::memory_order_seq_cst)) {
            _deadline.notify_one();
        }
    }
    void disarm() noexcept {
        if (_ticks_per_ns > 0) {
            hooks.preempt_at = no_preempt_deadline;
            return;
        }
        _deadline.store(idle, std::memory_order_relaxed);
    }
};

} // namespace seastar::internal
