// Routes the C allocation functions and every form of operator new/delete to the shard
// allocator (//seastar/memory:memory). Linked by every program on app_template
// (//seastar/app:app_template depends on //seastar/memory:malloc_override, alwayslink,
// unless built with --define seastar_allocator=system) and by binaries that ask for it;
// never in sanitizer builds, whose runtimes must own malloc themselves.
//
// Before memory::configure(), during static initialization and on threads that are not
// shards, allocations come from the allocator's shared heap (mutex-protected). Pointers
// that glibc handed out before this code was interposed (none are expected with a
// statically linked override) are passed back to glibc.

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <new>

#include "seastar/memory/internal/fast_path.hh"
#include "seastar/memory/memory.hh"

extern "C" {
void __libc_free(void* p);
void* __libc_realloc(void* p, size_t size);
}

namespace {

namespace mem = seastar::memory;
namespace mi = seastar::memory::internal;

bool is_power_of_two(size_t v) noexcept {
    return v != 0 && (v & (v - 1)) == 0;
}

size_t round_up_to_power_of_two(size_t v) noexcept {
    return v <= 1 ? 1 : size_t(1) << (64 - __builtin_clzll(v - 1));
}

// What operator new does when out of memory: ask the new_handler, then throw.
template <typename Alloc>
void* new_or_throw(Alloc alloc) {
    for (;;) {
        if (void* p = alloc()) {
            return p;
        }
        std::new_handler handler = std::get_new_handler();
        if (!handler) {
            throw std::bad_alloc();
        }
        handler();
    }
}

// operator new(size) past its fast path: the allocator's slow path, then the new_handler.
[[gnu::noinline]] void* new_slow(size_t size) {
    return new_or_throw([size] { return mem::allocate(size); });
}

// The fast path of the allocator inline, then a tail call: no frame, no call.
__attribute__((always_inline)) inline void* new_fast(size_t size) {
    if (mi::shard_heap* h = mi::t_heap; __builtin_expect(h != nullptr, 1)) {
        if (void* p = h->try_allocate_fast(size); __builtin_expect(p != nullptr, 1)) {
            return p;
        }
    }
    return new_slow(size);
}

template <typename Alloc>
void* new_nothrow(Alloc alloc) noexcept {
    try {
        return new_or_throw(alloc);
    } catch (...) {
        return nullptr;
    }
}

} // namespace

// The allocator calls this for frees of pointers it did not hand out.
extern "C" void seastar_memory_foreign_free(void* p) {
    __libc_free(p);
}

extern "C" {

void* malloc(size_t size) {
    return mi::allocate_fast(size);
}

void free(void* p) {
    mi::free_fast(p);
}

void* calloc(size_t n, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return nullptr;
    }
    void* p = mem::allocate(bytes);
    if (p) {
        ::memset(p, 0, bytes);
    }
    return p;
}

void* realloc(void* p, size_t size) {
    if (p && mem::owner_shard(p) == -2) {
        return __libc_realloc(p, size);
    }
    return mem::reallocate(p, size);
}

int posix_memalign(void** out, size_t align, size_t size) {
    if (!is_power_of_two(align) || align % sizeof(void*) != 0) {
        return EINVAL;
    }
    int saved = errno;
    void* p = mem::allocate_aligned(align, size);
    errno = saved; // posix_memalign reports through its result, not errno
    if (!p) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void* aligned_alloc(size_t align, size_t size) {
    if (!is_power_of_two(align)) {
        errno = EINVAL;
        return nullptr;
    }
    return mem::allocate_aligned(align, size);
}

void* memalign(size_t align, size_t size) {
    // glibc rounds a bad alignment up rather than failing.
    return mem::allocate_aligned(round_up_to_power_of_two(align < 16 ? 16 : align), size);
}

void* valloc(size_t size) {
    return mem::allocate_aligned(mem::page_size, size);
}

void* pvalloc(size_t size) {
    size_t rounded = (size + mem::page_size - 1) & ~(mem::page_size - 1);
    if (rounded < size) {
        errno = ENOMEM;
        return nullptr;
    }
    return mem::allocate_aligned(mem::page_size, rounded ? rounded : mem::page_size);
}

size_t malloc_usable_size(void* p) {
    return mem::usable_size(p);
}

// glibc's meaning: give free memory back to the system; 1 if any was. Applies to the calling
// thread's heap (its shard's, or the shared heap of non-shard threads); `pad` is ignored.
int malloc_trim(size_t) {
    return mem::release_free_memory() > 0 ? 1 : 0;
}

} // extern "C"

// ---- operator new / delete -----------------------------------------------------------------

void* operator new(size_t size) {
    return new_fast(size);
}

void* operator new[](size_t size) {
    return new_fast(size);
}

void* operator new(size_t size, const std::nothrow_t&) noexcept {
    return new_nothrow([size] { return mem::allocate(size); });
}

void* operator new[](size_t size, const std::nothrow_t&) noexcept {
    return new_nothrow([size] { return mem::allocate(size); });
}

void* operator new(size_t size, std::align_val_t align) {
    return new_or_throw([=] { return mem::allocate_aligned(size_t(align), size); });
}

void* operator new[](size_t size, std::align_val_t align) {
    return new_or_throw([=] { return mem::allocate_aligned(size_t(align), size); });
}

void* operator new(size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    return new_nothrow([=] { return mem::allocate_aligned(size_t(align), size); });
}

void* operator new[](size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    return new_nothrow([=] { return mem::allocate_aligned(size_t(align), size); });
}

void operator delete(void* p) noexcept {
    mi::free_fast(p);
}

void operator delete[](void* p) noexcept {
    mi::free_fast(p);
}

void operator delete(void* p, size_t) noexcept {
    mi::free_fast(p);
}

void operator delete[](void* p, size_t) noexcept {
    mi::free_fast(p);
}

void operator delete(void* p, const std::nothrow_t&) noexcept {
    mi::free_fast(p);
}

void operator delete[](void* p, const std::nothrow_t&) noexcept {
    mi::free_fast(p);
}

void operator delete(void* p, std::align_val_t) noexcept {
    mi::free_fast(p);
}

void operator delete[](void* p, std::align_val_t) noexcept {
    mi::free_fast(p);
}

void operator delete(void* p, size_t, std::align_val_t) noexcept {
    mi::free_fast(p);
}

void operator delete[](void* p, size_t, std::align_val_t) noexcept {
    mi::free_fast(p);
}

void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    mi::free_fast(p);
}

void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    mi::free_fast(p);
}
