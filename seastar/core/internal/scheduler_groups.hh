// How creating, destroying and renaming a scheduling group reaches every shard.
//
// Groups are process-wide (core/scheduling.hh), but each shard keeps its own
// run queue, shares and per-group values, so create_scheduling_group() and
// friends run a per-shard step on every shard. The reactor layer cannot send
// work to other shards (that is smp, a layer above), so it runs the step
// through a broadcaster: by default only the calling shard; smp installs one
// that runs it on every shard (invoke_on_all) and resolves when all are done.
// A shard the step never reached (a reactor started without smp on another
// thread) builds its part of a group on first use.
//
// Contract: set_scheduling_group_broadcaster() is called before groups are
// created and while no broadcast runs (at smp start-up and shutdown; nullptr
// restores the default). The broadcaster's function may throw; the returned
// future then fails with one of the exceptions.
#pragma once

#include <functional>

#include "seastar/core/future.hh"

namespace seastar::internal {

using scheduling_group_broadcaster = std::function<future<>(std::function<void()>)>;

void set_scheduling_group_broadcaster(scheduling_group_broadcaster b);

// Runs `step` on every shard through the installed broadcaster.
future<> broadcast_scheduling_group_step(std::function<void()> step) noexcept;

} // namespace seastar::internal
