// Scheduling groups: the name a task carries so that the reactor can divide a
// shard's CPU between kinds of work.
//
// Contract: a `scheduling_group` is a cheap value (an index). Every task
// records the group that was current when it was created (task::group()), and
// whoever runs tasks makes that group current while the task runs, so work a
// task starts stays in its group. Only the default group (index 0) exists
// until the reactor adds creation of groups; nothing here allocates or throws.
// The current group is per thread (per shard).
//
//     auto sg = seastar::current_scheduling_group();
//     assert(sg == seastar::default_scheduling_group() && sg.is_main());
#pragma once

namespace seastar {

class scheduling_group;

namespace internal {

// Index-based access for the reactor, which keeps one queue per group.
inline unsigned scheduling_group_index(scheduling_group sg) noexcept;
inline scheduling_group scheduling_group_from_index(unsigned index) noexcept;

// The group of the task that is running on this thread (0 outside of tasks).
inline constinit thread_local unsigned current_scheduling_group_index = 0;

} // namespace internal

class scheduling_group {
    unsigned _id = 0;

    explicit constexpr scheduling_group(unsigned id) noexcept : _id(id) {}

    friend unsigned internal::scheduling_group_index(scheduling_group sg) noexcept;
    friend scheduling_group internal::scheduling_group_from_index(unsigned index) noexcept;

public:
    // The default (main) group.
    constexpr scheduling_group() noexcept = default;

    bool is_main() const noexcept { return _id == 0; }
    // True when this group is the one the calling thread is running in.
    bool active() const noexcept { return _id == internal::current_scheduling_group_index; }

    friend constexpr bool operator==(scheduling_group a, scheduling_group b) noexcept { return a._id == b._id; }
};

namespace internal {

inline unsigned scheduling_group_index(scheduling_group sg) noexcept {
    return sg._id;
}

inline scheduling_group scheduling_group_from_index(unsigned index) noexcept {
    return scheduling_group(index);
}

// Makes `sg` current on this thread; returns the group that was current.
// Used by task runners (the reactor, local_scheduler) around each task.
inline scheduling_group set_current_scheduling_group(scheduling_group sg) noexcept {
    auto prev = scheduling_group_from_index(current_scheduling_group_index);
    current_scheduling_group_index = scheduling_group_index(sg);
    return prev;
}

} // namespace internal

inline scheduling_group default_scheduling_group() noexcept {
    return scheduling_group();
}

inline scheduling_group current_scheduling_group() noexcept {
    return internal::scheduling_group_from_index(internal::current_scheduling_group_index);
}

} // namespace seastar
