// The allocator's entry points as inline code, for the two places that define entry points:
// seastar/memory/memory.cc (seastar::memory::allocate/free) and malloc_override.cc (malloc,
// free, operator new/delete). Inlined there, a malloc or operator new is one function with no
// frame and no call on its fast path, instead of a jump into another function.
//
// The symbols declared here are defined by //seastar/memory:memory; nothing else may use
// this header (package visibility keeps it to //seastar/memory).
//
// Contract: as seastar::memory::allocate()/free(): noexcept, any thread; nullptr on failure
// (allocate_slow sets errno, or aborts if abort_on_allocation_failure is set).
#pragma once

#include <cstddef>

#include "seastar/memory/internal/shard_heap.hh"

namespace seastar::memory::internal {

// How t_heap is reached. Code built for an executable (position-dependent or PIE) uses
// local-exec: one %fs-relative load at an offset fixed at link time, the same in malloc()
// as in allocate() (initial-exec takes a second instruction outside the defining file,
// where the linker turns the GOT load into a constant move). Code built for a shared
// object (-fPIC without PIE) keeps initial-exec, which such code may use.
#if defined(__PIE__) || !defined(__PIC__)
#define SEASTAR_MEMORY_TLS_MODEL "local-exec"
#else
#define SEASTAR_MEMORY_TLS_MODEL "initial-exec"
#endif

// The calling thread's shard heap, nullptr on threads that are not shards. Constant
// initialized: one %fs-relative load, no wrapper call.
extern thread_local constinit shard_heap* t_heap __attribute__((tls_model(SEASTAR_MEMORY_TLS_MODEL)));

// Everything the inline paths leave out: threads that are not shards, empty lists, large
// sizes, failure.
void* allocate_slow(size_t size) noexcept;
void free_slow(void* p) noexcept;

__attribute__((always_inline)) inline void* allocate_fast(size_t size) noexcept {
    shard_heap* h = t_heap;
    if (__builtin_expect(h != nullptr, 1)) {
        if (void* p = h->try_allocate_fast(size); __builtin_expect(p != nullptr, 1)) {
            return p;
        }
    }
    return allocate_slow(size);
}

__attribute__((always_inline)) inline void free_fast(void* p) noexcept {
    shard_heap* h = t_heap;
    if (__builtin_expect(h != nullptr && h->contains(p), 1)) {
        h->free_local(p);
        return;
    }
    free_slow(p);
}

} // namespace seastar::memory::internal
