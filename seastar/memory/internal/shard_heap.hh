// One shard's heap: a page/span allocator over a contiguous region plus size-class pools,
// and the lock-free stack through which other threads return memory to it.
//
// The heap lives at the start of the region it manages: [shard_heap | page descriptors |
// data pages]. It knows nothing of threads, shards, locks or the operating system; the
// caller (memory.cc) decides which thread owns it and serializes access where it must.
//
// Contract:
// - Everything except push_remote() and has_remote() must be called by the owning thread
//   only (or under the caller's lock). push_remote() may be called from any thread.
// - Nothing allocates or throws; failures return nullptr.
// - Free spans are merged with their free neighbours at once, so any contiguous free range
//   is one span and an allocation of n pages succeeds whenever n contiguous free pages
//   exist within the limit.
//
// Example:
//     size_t bytes = shard_heap::region_bytes_for(64 << 20);
//     void* region = mmap(... bytes ...);                         // page aligned
//     shard_heap* h = shard_heap::create(region, bytes, 64 << 20);
//     void* p = h->allocate(100);
//     h->free_local(p);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "seastar/memory/internal/size_classes.hh"

namespace seastar::memory::internal {

struct free_object {
    free_object* next;
};

// One per page of the region. Only some are meaningful: the first and last page of every
// span, and every page of a small-object span (so a pointer anywhere in it finds the head).
struct page_desc {
    free_object* free; // small span: its free objects
    page_desc* next;   // free-span bucket or class partial list
    page_desc* prev;
    uint32_t npages;      // span length (head; and tail of free spans)
    uint32_t head_offset; // pages back to the span's head
    uint32_t used;        // small span: objects handed out
    uint32_t capacity;    // small span: objects it holds
    uint8_t kind;
    uint8_t cls;
    uint8_t state; // small span: current / partial / full
};

enum : uint8_t { kind_reserved = 0, kind_free = 1, kind_large = 2, kind_small = 3 };
enum : uint8_t { span_current = 0, span_partial = 1, span_full = 2 };

struct heap_counters {
    uint64_t large_allocs = 0;
    uint64_t large_frees = 0;
    uint64_t cross_frees_sent = 0;
    uint64_t cross_frees_received = 0;
    uint64_t failed = 0;
    uint64_t reclaims = 0;
};

class shard_heap {
public:
    static constexpr unsigned page_shift = 12;
    static constexpr size_t page = size_t(1) << page_shift;
    static constexpr unsigned nr_buckets = 33;

    // Called under memory pressure with the bytes wanted; returns true if it freed something.
    using pressure_hook = bool (*)(shard_heap& heap, size_t bytes);

    // Bytes of region needed to give `limit_bytes` of data pages.
    static size_t region_bytes_for(size_t limit_bytes) noexcept;
    // Builds a heap at the start of `region` (page aligned, `region_bytes` long, readable and
    // writable, zero or not). `limit_bytes` caps the data pages in use.
    static shard_heap* create(void* region, size_t region_bytes, size_t limit_bytes) noexcept;

    void* allocate(size_t size) noexcept;
    void* allocate_aligned(size_t align, size_t size) noexcept;
    void free_local(void* p) noexcept;
    size_t usable_size(const void* p) const noexcept;

    bool contains(const void* p) const noexcept { return uintptr_t(p) - uintptr_t(this) < _region_bytes; }

    // Any thread: hand `p` (owned by this heap) back to the owner.
    void push_remote(void* p) noexcept;
    bool has_remote() const noexcept { return _remote.load(std::memory_order_relaxed) != nullptr; }
    // Owner: free everything pushed so far. Returns how many objects.
    size_t drain_remote() noexcept;

    // Failure injection: the nth allocation from now fails (0 disarms).
    void fail_nth(uint64_t n) noexcept;
    // Gives empty spans the size classes keep for reuse back to the page allocator (the
    // allocator does so itself under pressure). True if there were any.
    bool trim() noexcept { return release_empty_spans(); }
    // Caps data pages in use; false if above what the region holds.
    bool set_limit(size_t bytes) noexcept;

    void set_pressure_hook(pressure_hook hook) noexcept { _hook = hook; }
    void* user_data = nullptr; // for the owner of the heap (reclaimer list)

    // Statistics.
    size_t limit_bytes() const noexcept { return _limit_pages << page_shift; }
    size_t max_limit_bytes() const noexcept { return size_t(_end_page - _first_page) << page_shift; }
    size_t used_bytes() const noexcept { return _used_pages << page_shift; }
    size_t largest_free_span_bytes() const noexcept;
    uint64_t class_allocs(unsigned c) const noexcept { return _classes[c].allocs; }
    uint64_t class_frees(unsigned c) const noexcept { return _classes[c].frees; }
    size_t class_spans(unsigned c) const noexcept { return _classes[c].spans; }
    heap_counters& counters() noexcept { return _counters; }
    const heap_counters& counters() const noexcept { return _counters; }

private:
    struct class_state {
        page_desc* current;
        uint64_t allocs;
        uint64_t frees;
        page_desc* partial; // spans with free objects, not current
        size_t spans;
    };

    shard_heap(size_t region_bytes, size_t header_pages, size_t limit_pages) noexcept;

    page_desc* desc(size_t page_index) noexcept { return _descs + page_index; }
    size_t index_of(const page_desc* d) const noexcept { return size_t(d - _descs); }
    char* address_of(size_t page_index) noexcept { return reinterpret_cast<char*>(this) + (page_index << page_shift); }

    void* allocate_class(unsigned c) noexcept;
    void* allocate_small_slow(unsigned c) noexcept;
    void* allocate_pages(size_t npages, size_t align_pages) noexcept;
    void* allocate_large(size_t size) noexcept;
    void small_free_slow(page_desc* d) noexcept;
    void free_large(page_desc* d) noexcept;
    bool injected_failure() noexcept;

    page_desc* new_small_span(unsigned c) noexcept;
    void release_small_span(page_desc* d) noexcept;
    void park_current(unsigned c) noexcept;
    bool release_empty_spans() noexcept;
    bool relieve_pressure(size_t bytes) noexcept;

    page_desc* alloc_span(size_t npages, size_t align_pages) noexcept;
    page_desc* find_free_span(size_t npages) noexcept;
    void mark_used(size_t start, size_t npages, uint8_t kind) noexcept;
    void insert_free(size_t start, size_t npages) noexcept;
    void unlink_free(page_desc* d) noexcept;
    void free_span(size_t start, size_t npages) noexcept;

    static void list_push(page_desc*& head, page_desc* d) noexcept;
    static void list_remove(page_desc*& head, page_desc* d) noexcept;

    class_state _classes[nr_size_classes];
    page_desc _sentinel{}; // an exhausted span: makes the fast path take the slow path
    page_desc* _descs;
    size_t _region_bytes;
    size_t _first_page;
    size_t _end_page;
    size_t _limit_pages;
    size_t _used_pages = 0;
    uint64_t _fail_countdown = 0;
    bool _inject_armed = false;
    bool _in_pressure = false;
    pressure_hook _hook = nullptr;
    uint64_t _nonempty = 0;               // bit b: _buckets[b] not empty
    page_desc* _buckets[nr_buckets] = {}; // free spans of [2^b, 2^(b+1)) pages
    heap_counters _counters;
    // Written by other threads: on its own cache line (the class size rounds up to 64).
    alignas(64) std::atomic<free_object*> _remote{nullptr};
};

inline void* shard_heap::allocate_class(unsigned c) noexcept {
    class_state& cs = _classes[c];
    page_desc* d = cs.current;
    free_object* o = d->free;
    if (__builtin_expect(o != nullptr, 1)) {
        d->free = o->next;
        ++d->used;
        ++cs.allocs;
        return o;
    }
    return allocate_small_slow(c);
}

inline void* shard_heap::allocate(size_t size) noexcept {
    if (__builtin_expect(size <= small_limit, 1)) {
        return allocate_class(size_class_of(size));
    }
    return allocate_large(size);
}

inline void shard_heap::free_local(void* p) noexcept {
    page_desc* d = desc((uintptr_t(p) - uintptr_t(this)) >> page_shift);
    d -= d->head_offset;
    if (__builtin_expect(d->kind == kind_small, 1)) {
        auto* o = static_cast<free_object*>(p);
        free_object* f = d->free;
        o->next = f;
        d->free = o;
        ++_classes[d->cls].frees;
        uint32_t u = --d->used;
        if (__builtin_expect(f == nullptr || u == 0, 0)) {
            small_free_slow(d);
        }
        return;
    }
    free_large(d);
}

} // namespace seastar::memory::internal
