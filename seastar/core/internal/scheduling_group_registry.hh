// The scheduling-group registry and value types, below futures: what a task
// needs to remember its group (core/task.hh) and what the registry keeps
// process-wide (names, shares, per-group keys). Include
// "seastar/core/scheduling.hh", which adds create/destroy/rename of groups;
// this header is its lower half, for the targets that futures are built on.
//
// Contract: see seastar/core/scheduling.hh.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <typeindex>

namespace seastar {

class scheduling_group;
class scheduling_group_key;

// The number of scheduling groups that can exist at once, the default group
// included (the same limit as Seastar's default build).
constexpr unsigned max_scheduling_groups() noexcept {
    return 16;
}

namespace internal {

// Index-based access for the reactor, which keeps one queue per group.
inline unsigned scheduling_group_index(scheduling_group sg) noexcept;
inline scheduling_group scheduling_group_from_index(unsigned index) noexcept;
inline unsigned scheduling_group_key_id(scheduling_group_key key) noexcept;
inline scheduling_group_key scheduling_group_key_from_id(unsigned id) noexcept;

// The group of the task that is running on this thread (0 outside of tasks).
inline constinit thread_local unsigned current_scheduling_group_index = 0;

} // namespace internal

// One shard's accounting for one group (reactor::get_scheduling_group_stats()).
struct scheduling_group_stats {
    // Time spent running the group's tasks.
    std::chrono::nanoseconds runtime{0};
    // Time the group had tasks queued but waited for other groups (or for the
    // reactor's polling between task quotas): how starved it was.
    std::chrono::nanoseconds starve_time{0};
    uint64_t tasks_processed = 0;
    // Tasks queued now.
    size_t queue_length = 0;
    float shares = 0;
};

// How per-group values of one key are made: size and alignment of the
// storage, and functions that construct, rename-notify and destroy a value in
// place. Make one with make_scheduling_group_key_config<T>()
// (scheduling_specific.hh).
struct scheduling_group_key_config {
    scheduling_group_key_config() : scheduling_group_key_config(typeid(void)) {}
    explicit scheduling_group_key_config(const std::type_info& type_info) : type_index(type_info) {}

    size_t allocation_size = 0;
    size_t alignment = 1;
    std::type_index type_index;
    std::function<void(void*)> constructor;
    // Called on every shard after the group is renamed (may be empty).
    std::function<void(void*)> rename;
    std::function<void(void*)> destructor;
};

// Names one kind of per-group value (scheduling_group_get_specific<T>()).
class scheduling_group_key {
    unsigned _id;

    explicit scheduling_group_key(unsigned id) noexcept : _id(id) {}

    friend unsigned internal::scheduling_group_key_id(scheduling_group_key key) noexcept;
    friend scheduling_group_key internal::scheduling_group_key_from_id(unsigned id) noexcept;

public:
    scheduling_group_key(const scheduling_group_key&) noexcept = default;
    scheduling_group_key& operator=(const scheduling_group_key&) noexcept = default;
};

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
    // The group's name ("main" for the default group).
    const std::string& name() const noexcept;
    // This shard's shares.
    float get_shares() const noexcept;
    // Sets this shard's shares (raised to at least 1); takes effect at the
    // shard's next scheduling decision.
    void set_shares(float shares) noexcept;
    // This shard's value of `key` for this group (scheduling_specific.hh).
    template <typename T>
    T& get_specific(scheduling_group_key key) noexcept;

    friend constexpr bool operator==(scheduling_group a, scheduling_group b) noexcept { return a._id == b._id; }
};

namespace internal {

inline unsigned scheduling_group_index(scheduling_group sg) noexcept {
    return sg._id;
}

inline scheduling_group scheduling_group_from_index(unsigned index) noexcept {
    return scheduling_group(index);
}

inline unsigned scheduling_group_key_id(scheduling_group_key key) noexcept {
    return key._id;
}

inline scheduling_group_key scheduling_group_key_from_id(unsigned id) noexcept {
    return scheduling_group_key(id);
}

// Makes `sg` current on this thread; returns the group that was current.
// Used by task runners (the reactor, local_scheduler) around each task.
inline scheduling_group set_current_scheduling_group(scheduling_group sg) noexcept {
    auto prev = scheduling_group_from_index(current_scheduling_group_index);
    current_scheduling_group_index = scheduling_group_index(sg);
    return prev;
}

// The process-wide registry. Any thread; a mutex guards allocation.
//
// Reserves an index for a new group; throws std::runtime_error when all
// max_scheduling_groups() are taken, std::invalid_argument for shares that
// are not a finite number.
unsigned allocate_scheduling_group(std::string_view name, float shares);
// Returns the index to the free pool (not for the default group).
void release_scheduling_group(unsigned index) noexcept;
void rename_scheduling_group_registry(unsigned index, std::string_view name);
// True while the index names a created (not destroyed) group; 0 always is.
bool scheduling_group_live(unsigned index) noexcept;
// Bumped each time the index is given to a new group, so per-shard state made
// for an earlier group of the same index can be told apart.
unsigned scheduling_group_generation(unsigned index) noexcept;
// Indexes of live groups, in increasing order.
void for_each_live_scheduling_group(const std::function<void(unsigned)>& func);

// This shard's shares of a group (its own set_shares() value, else the value
// the group was created with), at least 1.
float scheduling_group_shares(unsigned index) noexcept;
// Forgets this shard's set_shares() value, so the created value applies again.
void reset_local_scheduling_group_shares(unsigned index) noexcept;

// Per-group values (scheduling_specific.hh). Keys are never freed.
unsigned allocate_scheduling_group_key(scheduling_group_key_config cfg);
unsigned scheduling_group_key_count() noexcept;
// Constructs this shard's values of every key for group `index` that are not
// constructed yet (each constructor runs with the group current). Throws what
// a constructor throws (values already made stay).
void init_scheduling_group_specific(unsigned index);
// Constructs this shard's value of `key` for every live group that lacks it.
void init_scheduling_group_key(unsigned key);
// Destroys this shard's values for group `index`.
void destroy_scheduling_group_specific(unsigned index) noexcept;
// Tells this shard's values of group `index` that it was renamed.
void rename_scheduling_group_specific(unsigned index) noexcept;
// Destroys all of this shard's values (a shard stopping).
void destroy_all_scheduling_group_specific() noexcept;
// This shard's value of `key` for group `index`, constructed on first use;
// nullptr if construction failed.
void* scheduling_group_specific_slow(unsigned index, unsigned key) noexcept;

} // namespace internal

inline scheduling_group default_scheduling_group() noexcept {
    return scheduling_group();
}

inline scheduling_group current_scheduling_group() noexcept {
    return internal::scheduling_group_from_index(internal::current_scheduling_group_index);
}

} // namespace seastar
