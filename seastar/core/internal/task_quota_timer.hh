// task_quota_timer: sets a reactor's preemption flag when its task quota ends.
//
// need_preempt() only loads a flag; something must set it when the quota
// runs out. This is a helper thread per reactor: arm(deadline) stores the
// deadline (one atomic store; a futex wake only when the helper was parked
// because the reactor had been idle), and the helper sleeps until the latest
// deadline and then sets the flag. disarm() lets the helper park at its next
// wake-up, so an idle reactor costs no periodic wake-ups. A deadline moved
// later while the helper sleeps just makes it sleep again, so re-arming on
// every loop turn costs no syscall.
//
// Contract: arm()/disarm() from the reactor thread; the flag may be set
// spuriously right after a re-arm (an early preemption is harmless; a late
// one is what this avoids). The constructor starts the thread (throws
// std::system_error if it cannot); the destructor stops and joins it.
//
//     internal::task_quota_timer q(reactor_preempt_flag);
//     q.arm(steady_clock::now() + quota);   // before running tasks
//     q.disarm();                           // before sleeping
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace seastar::internal {

class task_quota_timer {
    std::atomic<bool>& _flag;
    // Deadline in steady_clock nanoseconds; idle: none; stop: exit.
    std::atomic<int64_t> _deadline{idle};
    std::atomic<bool> _parked{false};
    std::thread _thread;

    static constexpr int64_t idle = INT64_MAX;
    static constexpr int64_t stop = INT64_MIN;

    void run() noexcept;

public:
    explicit task_quota_timer(std::atomic<bool>& flag);
    ~task_quota_timer();
    task_quota_timer(const task_quota_timer&) = delete;
    task_quota_timer& operator=(const task_quota_timer&) = delete;

    void arm(std::chrono::steady_clock::time_point deadline) noexcept {
        _deadline.store(deadline.time_since_epoch().count(), std::memory_order_seq_cst);
        if (_parked.load(std::memory_order_seq_cst)) {
            _deadline.notify_one();
        }
    }
    void disarm() noexcept { _deadline.store(idle, std::memory_order_relaxed); }
};

} // namespace seastar::internal
