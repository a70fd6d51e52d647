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
// A thread that runs tasks in per-group queues (the reactor) installs itself
// as the thread's scheduling_group_queues, so that the per-shard step can
// set up, drop and inspect its queue of a group; without one (local_scheduler)
// there are no per-group queues to keep.
//
// Contract: set_scheduling_group_broadcaster() is called before groups are
// created and while no broadcast runs (at smp start-up and shutdown; nullptr
// restores the default). The broadcaster's function may throw; the returned
// future then fails with one of the exceptions.
#pragma once

#include <cstddef>
#include <functional>

#include "seastar/core/future.hh"
#include "seastar/core/internal/scheduling_group_registry.hh"

namespace seastar::internal {

using scheduling_group_broadcaster = std::function<future<>(std::function<void()>)>;

void set_scheduling_group_broadcaster(scheduling_group_broadcaster b);

// Runs `step` on every shard through the installed broadcaster.
future<> broadcast_scheduling_group_step(std::function<void()> step) noexcept;

// The per-group run queues of this thread's task runner.
class scheduling_group_queues {
public:
    virtual void init_scheduling_group(scheduling_group sg) noexcept = 0;
    // Forgets the group's queue; tasks still queued move to the default group.
    virtual void destroy_scheduling_group_queue(scheduling_group sg) noexcept = 0;
    virtual size_t scheduling_group_queue_length(scheduling_group sg) const noexcept = 0;

protected:
    ~scheduling_group_queues() = default;
};

// Installs `q` as this thread's queues (nullptr: none); returns the previous.
scheduling_group_queues* set_local_scheduling_group_queues(scheduling_group_queues* q) noexcept;

} // namespace seastar::internal
