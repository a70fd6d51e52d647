// The reactor's run queues: one FIFO of tasks per scheduling group, and the
// choice of the next group to run by least virtual runtime.
//
// Policy (as in Seastar's reactor and Linux CFS):
//   * A group's virtual runtime grows by the time its tasks ran divided by
//     its shares, so over time each busy group gets CPU in proportion to its
//     shares.
//   * pick() returns the runnable group with the least virtual runtime; the
//     reactor runs that group's tasks until the task quota ends (or the group
//     runs out of tasks) and then reports the time with finish(). So groups
//     switch only at task-quota boundaries or when a group goes idle.
//   * A group that becomes runnable after being idle starts no further behind
//     than `lag` (one task quota of its own running) of the virtual time of the
//     groups that kept running: it runs next, but cannot bank credit while
//     idle and then monopolise the shard.
//   * Shares are read when a group's run is accounted, so set_shares() takes
//     effect at the next decision.
//
// Contract: one thread (the reactor's). Per-group state is made on first use
// (allocation; an allocation failure aborts, like any queue growth in the
// scheduler). A task of a group that is not live (destroyed) goes to the
// default group's queue. The clock is a parameter so tests can drive time.
//
//     scheduler_queues q(std::chrono::microseconds(500));
//     q.push(t, false);
//     auto g = q.pick(now);               // group with least vruntime
//     while (auto t = q.pop(*g)) { run_task(t); if (quota_over) break; }
//     q.finish(*g, now, elapsed);
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>

#include "seastar/core/scheduling.hh"
#include "seastar/core/task.hh"

namespace seastar::internal {

class scheduler_queues {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    struct group_queue {
        explicit group_queue(unsigned i) noexcept : index(i) {}
        const unsigned index;
        std::deque<task*> tasks;
        // Nanoseconds of runtime divided by shares.
        double vruntime = 0;
        float shares = 1000;
        // Queued and waiting to be picked (in the runnable set).
        bool runnable = false;
        bool running = false;
        // When the group last became runnable or stopped running.
        time_point since{};
        uint64_t tasks_processed = 0;
        std::chrono::nanoseconds runtime{0};
        std::chrono::nanoseconds starve_time{0};
    };

    explicit scheduler_queues(std::chrono::nanoseconds task_quota, time_point (*now)() = &clock::now) noexcept
        : _quota(task_quota), _now(now) {}
    ~scheduler_queues() = default;
    scheduler_queues(const scheduler_queues&) = delete;
    scheduler_queues& operator=(const scheduler_queues&) = delete;

    // Queues `t` in its group (at the front if `urgent`).
    void push(task* t, bool urgent) noexcept;
    // Shuffles the order of tasks within each group (a debug aid); nullptr: off.
    void set_shuffle(std::mt19937* rng) noexcept { _rng = rng; }

    bool empty() const noexcept { return _tasks_queued == 0; }
    size_t size() const noexcept { return _tasks_queued; }
    bool has_runnable() const noexcept { return _runnable != 0; }

    // The runnable group with the least virtual runtime, now marked running;
    // nullptr if no group has tasks.
    group_queue* pick(time_point now) noexcept;
    // The next task of the running group `g`, or nullptr if it has none.
    task* pop(group_queue& g) noexcept {
        if (g.tasks.empty()) {
            return nullptr;
        }
        auto t = g.tasks.front();
        g.tasks.pop_front();
        --_tasks_queued;
        ++g.tasks_processed;
        return t;
    }
    // Ends the run of `g` that took `ran`; it becomes runnable again if it
    // still has tasks.
    void finish(group_queue& g, time_point now, std::chrono::nanoseconds ran) noexcept;

    // Marks every runnable group as runnable since `now`: for a caller whose
    // clock (the constructor's `now`) was stale while groups became runnable,
    // e.g. a reactor that queued tasks while it slept.
    void stamp_runnable(time_point now) noexcept;

    // Any queued task, ignoring fairness (for draining at shutdown).
    task* pop_any() noexcept;

    // Makes state for a just-created group (fresh statistics, current virtual time).
    void init_group(unsigned index) noexcept;
    // Forgets a destroyed group; tasks still queued in it move to the default
    // group. False (and nothing changes) for the default group or while the
    // group is running.
    bool drop_group(unsigned index) noexcept;
    size_t queue_length(unsigned index) const noexcept { return _groups[index] ? _groups[index]->tasks.size() : 0; }
    scheduling_group_stats stats(unsigned index) const noexcept;
    // The virtual time: the greatest virtual runtime a group has run at.
    double virtual_time() const noexcept { return _vtime; }
    const group_queue* group(unsigned index) const noexcept { return _groups[index].get(); }

private:
    std::chrono::nanoseconds _quota;
    time_point (*_now)();
    std::array<std::unique_ptr<group_queue>, max_scheduling_groups()> _groups;
    uint32_t _runnable = 0; // bit i: group i is runnable
    size_t _tasks_queued = 0;
    double _vtime = 0;
    std::mt19937* _rng = nullptr;

    group_queue& queue_for(unsigned index) noexcept;
    void make_runnable(group_queue& g, time_point now) noexcept;
};

} // namespace seastar::internal
