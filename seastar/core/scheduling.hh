// Scheduling groups: the name a task carries so that the reactor can divide a
// shard's CPU between kinds of work (serving, compaction, streaming, ...) in
// proportion to each group's shares.
//
// Contract:
//   * A `scheduling_group` is a cheap value (an index below
//     max_scheduling_groups()). Every task records the group that was current
//     when it was created (task::group()), and whoever runs tasks makes that
//     group current while the task runs, so work a task starts stays in its
//     group.
//   * Groups are process-wide: an index means the same group (same name, same
//     default shares) on every shard. The registry behind them (index
//     allocation, names, shares, per-group keys) lives in this target and
//     needs no reactor. Per-shard state (task queues, virtual runtime,
//     statistics, per-group specific values) lives with each shard.
//   * At most max_scheduling_groups() (16) groups exist at once, the default
//     group included, so 15 can be created. Creating one more fails with
//     std::runtime_error.
//   * create_scheduling_group(), destroy_scheduling_group(),
//     rename_scheduling_group() and scheduling_group_key_create() act on
//     every shard: on the calling thread alone (and its reactor's queues, if
//     it has one) until smp installs a broadcaster that reaches every shard
//     (internal/scheduler_groups.hh). They work without a reactor too, e.g.
//     under local_scheduler.
//     name(), get_shares() and set_shares() work everywhere. set_shares() is
//     local to the calling shard (as in Seastar); create_scheduling_group()'s
//     shares are every shard's starting value. Shares below 1 are raised to 1.
//   * Nothing here throws except where noted; name() returns a reference that
//     stays valid on the calling thread until the group is renamed or
//     destroyed.
//
//     seastar::scheduling_group bg = co_await seastar::create_scheduling_group("compaction", 100);
//     co_await seastar::with_scheduling_group(bg, [] { return compact(); });   // with_scheduling_group.hh
//     bg.set_shares(200);
//     co_await seastar::destroy_scheduling_group(bg);
#pragma once

#include <string>

#include "seastar/core/future.hh"
#include "seastar/core/internal/scheduling_group_registry.hh"

namespace seastar {

// Creates a group on every shard with `shares` (raised to at least 1).
// Fails with std::runtime_error beyond max_scheduling_groups(), with
// std::invalid_argument for shares that are not finite, and with what a
// per-group value's constructor throws (the group is then not created).
future<scheduling_group> create_scheduling_group(std::string name, float shares) noexcept;

// Destroys a group on every shard: its per-group values are destroyed and its
// index may be reused. The group must have no work: if a shard still has
// tasks of it queued, the future fails with std::logic_error and the group
// stays. Destroying the default group, or the group the caller runs in, fails
// with std::invalid_argument. A task of a destroyed group that is scheduled
// later runs in the default group's queue.
future<void> destroy_scheduling_group(scheduling_group sg) noexcept;

// Renames a group on every shard (key configs' `rename` functions are called).
future<void> rename_scheduling_group(scheduling_group sg, std::string new_name) noexcept;

// Registers a kind of per-group value and constructs it for every existing
// group on every shard.
future<scheduling_group_key> scheduling_group_key_create(scheduling_group_key_config cfg) noexcept;

} // namespace seastar

template <>
struct std::hash<seastar::scheduling_group> {
    size_t operator()(seastar::scheduling_group sg) const noexcept {
        return seastar::internal::scheduling_group_index(sg);
    }
};
