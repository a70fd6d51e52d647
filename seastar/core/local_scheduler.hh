// A run-until-idle driver for futures without a reactor: for tests and for
// programs that use only futures.
//
// Constructing a local_scheduler installs it as the calling thread's task
// scheduler (internal::set_task_scheduler) and, optionally, its preemption
// flag; destroying it restores what was installed before. It keeps one FIFO
// queue of tasks (urgent ones go to the front) and runs them, with each task's
// scheduling group current, until none are left.
//
// Contract: one thread. schedule() may allocate (the queue grows) and aborts
// if that fails, like a reactor's queue. Tasks still queued when the
// scheduler is destroyed are run first, so nothing leaks.
//
//     seastar::local_scheduler sched;
//     seastar::promise<int> p;
//     auto f = p.get_future().then([] (int v) { return v * 2; });
//     p.set_value(21);
//     int r = sched.wait(std::move(f));   // 42: runs tasks until f is ready
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>

#include "seastar/core/future.hh"
#include "seastar/core/task.hh"

namespace seastar {

class local_scheduler final : public internal::task_scheduler {
    std::deque<task*> _queue;
    internal::task_scheduler* _prev_scheduler;
    const std::atomic<bool>* _prev_preempt;
    std::atomic<bool> _preempt{false};
    std::size_t _preempt_every = 0;
    std::size_t _since_preempt = 0;

public:
    local_scheduler() noexcept;
    ~local_scheduler();
    local_scheduler(const local_scheduler&) = delete;
    local_scheduler& operator=(const local_scheduler&) = delete;

    void schedule(task* t) noexcept override;
    void schedule_urgent(task* t) noexcept override;

    // Runs the task at the front of the queue; false if there was none.
    bool run_one() noexcept;
    // Runs tasks until the queue is empty (including tasks they schedule);
    // returns how many ran.
    std::size_t run_until_idle() noexcept;
    std::size_t pending() const noexcept { return _queue.size(); }

    // Simulates a reactor's task quota: need_preempt() is true while every
    // n-th task runs (0: never) and is cleared when the next task starts.
    void set_task_quota(std::size_t n) noexcept { _preempt_every = n; }
    // Sets or clears the preemption flag by hand.
    void set_need_preempt(bool v) noexcept { _preempt.store(v, std::memory_order_relaxed); }

    // Runs tasks until `f` is available, then returns its value (or throws).
    // Throws future_not_available if the queue empties first (a deadlock).
    template <typename T>
    T wait(future<T>&& f) {
        while (!f.available() && run_one()) {
        }
        return f.get();
    }
};

} // namespace seastar
