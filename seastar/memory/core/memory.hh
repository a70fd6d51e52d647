// Seastar's memory API at its usual path: the shard allocator's statistics and controls
// (seastar/memory/memory.hh, included here) plus the helpers Seastar code calls:
// free_memory() and scoped_critical_alloc_section.
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
    scoped_critical_alloc_section() noexcept { ++internal::critical_alloc_section_depth; }
    ~scoped_critical_alloc_section() { --internal::critical_alloc_section_depth; }
    scoped_critical_alloc_section(const scoped_critical_alloc_section&) = delete;
    scoped_critical_alloc_section& operator=(const scoped_critical_alloc_section&) = delete;
};

// True inside a scoped_critical_alloc_section on this thread.
inline bool is_critical_alloc_section() noexcept {
    return internal::critical_alloc_section_depth != 0;
}

} // namespace seastar::memory
