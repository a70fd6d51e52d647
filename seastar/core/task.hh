// Tasks and the per-thread scheduling hook that futures use to run them.
//
// A task is an object with one virtual `run_and_dispose()`: it does its work
// and then frees itself (or, for tasks owned by something else, such as a
// coroutine frame or a stackful thread, hands control back to that owner).
// A continuation attached to a future that is not ready yet becomes a task
// when its promise is fulfilled.
//
// This header depends on no reactor. Work is scheduled through a small
// per-thread hook:
//
//   * `internal::task_scheduler` - an interface with `schedule(task*)` and
//     `schedule_urgent(task*)`. One instance per thread is installed with
//     `internal::set_task_scheduler()`. `seastar::schedule(t)` forwards to it.
//     Without an installed scheduler, scheduling a task is a usage error and
//     aborts with a message (a pure chain of ready futures never schedules).
//   * a preemption flag: `need_preempt()` reads a `std::atomic<bool>` through a
//     per-thread pointer (one relaxed load, no call, no syscall). By default it
//     points at a flag that is never set. A reactor may also give a deadline
//     on the CPU's cycle counter (`preempt_at`, x86-64's invariant TSC): past
//     it, need_preempt() raises the flag itself, so no other thread has to
//     wake up to end a quota (internal/task_quota_timer.hh).
//   * a stackful context (`internal::stackful_context`), installed by a
//     stackful thread implementation while it runs, which lets
//     `future::get()` wait for a future that is not ready.
//
// How a reactor installs itself, on its own thread, before running tasks:
//
//     class reactor final : public seastar::internal::task_scheduler {
//         void schedule(task* t) noexcept override { queue_for(t->group()).push_back(t); }
//         void schedule_urgent(task* t) noexcept override { queue_for(t->group()).push_front(t); }
//         std::atomic<bool> _preempt{false};   // set by the task-quota timer, cleared per quota
//         ...
//     };
//     seastar::internal::set_task_scheduler(&r);
//     seastar::internal::set_preemption_flag(&r._preempt);
//     // loop: seastar::internal::run_task(queue.pop_front());
//
// and restores the previous hooks (the values these setters return) when it
// stops. Without a reactor, `seastar::local_scheduler` (core/local_scheduler.hh)
// is a run-until-idle driver that does the same for tests and futures-only users.
//
// Thread contract: everything here is per thread; a task must be scheduled on
// the thread that will run it. Nothing here allocates; nothing throws.
#pragma once

#include <atomic>
#include <cstdint>

#include "seastar/core/internal/scheduling_group_registry.hh"

namespace seastar {

class task {
    scheduling_group _sg;

protected:
    // Tasks dispose of themselves in run_and_dispose(); nobody deletes them
    // through a base pointer.
    ~task() = default;

public:
    // Captures the calling thread's current scheduling group.
    task() noexcept : _sg(current_scheduling_group()) {}
    explicit task(scheduling_group sg) noexcept : _sg(sg) {}
    task(const task&) = delete;
    task& operator=(const task&) = delete;

    // Runs the task and releases it. Must not throw: a continuation turns
    // exceptions into failed futures before they get here.
    virtual void run_and_dispose() noexcept = 0;

    scheduling_group group() const noexcept { return _sg; }
    void set_scheduling_group(scheduling_group sg) noexcept { _sg = sg; }
};

namespace internal {

// The interface a reactor (or local_scheduler) implements to receive tasks.
class task_scheduler {
public:
    // Appends `t` to the queue of t->group(). Called from the owning thread only.
    virtual void schedule(task* t) noexcept = 0;
    // Like schedule(), but `t` runs before the tasks already queued.
    virtual void schedule_urgent(task* t) noexcept = 0;

protected:
    ~task_scheduler() = default;
};

// Implemented by a stackful thread (seastar::thread, with the reactor): lets
// future::get() wait for a future that is not yet available.
class stackful_context {
public:
    // A task that, when run, resumes this context. Owned by the context; its
    // run_and_dispose() does not free it.
    virtual task* resume_task() noexcept = 0;
    // Switches away from the calling stackful context; returns once
    // resume_task() has run.
    virtual void suspend() noexcept = 0;

protected:
    ~stackful_context() = default;
};

// How many continuations of ready futures may run nested inside each other on
// one thread before further ones are scheduled as tasks. Bounds stack depth of
// recursive ready chains (f() { return ready().then([] { return f(); }); }).
inline constexpr unsigned max_inline_depth = 32;

inline constinit const std::atomic<bool> never_preempt{false};

// The CPU's cycle counter where it runs at a constant rate on every core
// (task_quota_timer checks that before using it); 0 where there is none.
inline uint64_t cycle_counter() noexcept {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0;
#endif
}

inline constexpr uint64_t no_preempt_deadline = UINT64_MAX;

struct scheduler_hooks {
    task_scheduler* scheduler = nullptr;
    const std::atomic<bool>* preempt = &never_preempt;
    // need_preempt() raises *preempt once cycle_counter() reaches this.
    uint64_t preempt_at = no_preempt_deadline;
    stackful_context* thread = nullptr;
    unsigned inline_depth = 0;
};

inline constinit thread_local scheduler_hooks hooks;

// Installs `s` as this thread's scheduler; returns the previous one.
inline task_scheduler* set_task_scheduler(task_scheduler* s) noexcept {
    auto prev = hooks.scheduler;
    hooks.scheduler = s;
    return prev;
}

// Raises the installed preemption flag (if one is installed), so that need_preempt()
// turns true and the reactor returns to polling at the next task boundary. The flag
// belongs to the reactor (it clears it at each new task quota).
inline void request_preemption() noexcept {
    if (hooks.preempt != &never_preempt) {
        const_cast<std::atomic<bool>*>(hooks.preempt)->store(true, std::memory_order_relaxed);
    }
}

inline task_scheduler* current_task_scheduler() noexcept {
    return hooks.scheduler;
}

// Points need_preempt() at `flag` (nullptr: never preempt); returns the previous flag.
inline const std::atomic<bool>* set_preemption_flag(const std::atomic<bool>* flag) noexcept {
    auto prev = hooks.preempt;
    hooks.preempt = flag ? flag : &never_preempt;
    return prev;
}

// Installed by a stackful thread while it runs (nullptr outside); returns the previous one.
inline stackful_context* set_current_stackful_context(stackful_context* c) noexcept {
    auto prev = hooks.thread;
    hooks.thread = c;
    return prev;
}

inline stackful_context* current_stackful_context() noexcept {
    return hooks.thread;
}

[[noreturn]] void no_task_scheduler() noexcept;

// Runs one task with its scheduling group made current. Task runners use this.
inline void run_task(task* t) noexcept {
    auto prev = set_current_scheduling_group(t->group());
    t->run_and_dispose();
    set_current_scheduling_group(prev);
}

// True when a ready continuation may run inline now.
inline bool can_run_inline() noexcept {
    return hooks.inline_depth < max_inline_depth && !hooks.preempt->load(std::memory_order_relaxed);
}

struct inline_depth_guard {
    inline_depth_guard() noexcept { ++hooks.inline_depth; }
    ~inline_depth_guard() { --hooks.inline_depth; }
    inline_depth_guard(const inline_depth_guard&) = delete;
    inline_depth_guard& operator=(const inline_depth_guard&) = delete;
};

} // namespace internal

// True when the running task should let others run (the reactor's task quota
// has expired). One relaxed load through a per-thread pointer and, under a
// cycle-counter deadline, one read of the counter.
inline bool need_preempt() noexcept {
    auto& h = internal::hooks;
    if (h.preempt->load(std::memory_order_relaxed)) {
        return true;
    }
    if (h.preempt_at != internal::no_preempt_deadline && internal::cycle_counter() >= h.preempt_at) [[unlikely]] {
        h.preempt_at = internal::no_preempt_deadline;
        internal::request_preemption();
        return true;
    }
    return false;
}

// Queues `t` on the calling thread's scheduler.
inline void schedule(task* t) noexcept {
    auto s = internal::hooks.scheduler;
    if (!s) [[unlikely]] {
        internal::no_task_scheduler();
    }
    s->schedule(t);
}

inline void schedule_urgent(task* t) noexcept {
    auto s = internal::hooks.scheduler;
    if (!s) [[unlikely]] {
        internal::no_task_scheduler();
    }
    s->schedule_urgent(t);
}

} // namespace seastar
