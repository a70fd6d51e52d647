// Seastar's memory API at its usual path: the shard allocator's statistics and controls
// (seastar/memory/memory.hh, included here) plus the helpers Seastar code calls:
// free_memory(), scoped_critical_alloc_section, and the large-allocation warning threshold
// (set_large_allocation_warning_threshold and its scoped forms).
//
// A critical allocation section marks allocations that must not be failed on purpose:
// the allocation failure injector (seastar/util/alloc_failure_injector.hh) does not fail
// allocation points inside one. Sections nest and are per thread.
//
//     auto s = seastar::memory::stats();
//     fmt::print("{} of {} bytes free\n", s.free_memory(), s.total_memory());
//     {
//         seastar::memory::scoped_critical_alloc_section dont_fail;
//         cleanup_that_must_succeed();
//     }
#pragma once

#include <cstddef>

#include "seastar/memory/memory.hh"

namespace seastar::memory {

// Bytes free in the calling thread's heap (its shard's, or the shared heap's).
inline size_t free_memory() noexcept {
    return stats().free_memory();
}

namespace internal {
inline thread_local unsigned critical_alloc_section_depth = 0;
} // namespace internal

class scoped_critical_alloc_section {
public:
    // The allocator fails nothing on purpose inside (see internal::fail_nth_allocation).
    scoped_critical_alloc_section() noexcept {
        ++internal::critical_alloc_section_depth;
        internal::suspend_failure_injection();
    }
    ~scoped_critical_alloc_section() {
        internal::resume_failure_injection();
        --internal::critical_alloc_section_depth;
    }
    scoped_critical_alloc_section(const scoped_critical_alloc_section&) = delete;
    scoped_critical_alloc_section& operator=(const scoped_critical_alloc_section&) = delete;
};

// Sets the calling thread's large-allocation warning threshold for its lifetime, then
// restores the previous one.
class scoped_large_allocation_warning_threshold {
    size_t _old;

public:
    explicit scoped_large_allocation_warning_threshold(size_t threshold) noexcept
        : _old(get_large_allocation_warning_threshold()) {
        set_large_allocation_warning_threshold(threshold);
    }
    ~scoped_large_allocation_warning_threshold() { set_large_allocation_warning_threshold(_old); }
    scoped_large_allocation_warning_threshold(const scoped_large_allocation_warning_threshold&) = delete;
    scoped_large_allocation_warning_threshold& operator=(const scoped_large_allocation_warning_threshold&) = delete;
};

// No large-allocation warning on the calling thread while it lives.
class scoped_large_allocation_warning_disable {
    size_t _old;

public:
    scoped_large_allocation_warning_disable() noexcept : _old(get_large_allocation_warning_threshold()) {
        disable_large_allocation_warning();
    }
    ~scoped_large_allocation_warning_disable() { set_large_allocation_warning_threshold(_old); }
    scoped_large_allocation_warning_disable(const scoped_large_allocation_warning_disable&) = delete;
    scoped_large_allocation_warning_disable& operator=(const scoped_large_allocation_warning_disable&) = delete;
};

// True inside a scoped_critical_alloc_section on this thread.
inline bool is_critical_alloc_section() noexcept {
    return internal::critical_alloc_section_depth != 0;
}

} // namespace seastar::memory
