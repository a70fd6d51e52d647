// One shard's heap: a page/span allocator over a contiguous region plus size-class pools,
// and the lock-free stack through which other threads return memory to it.
//
// The heap lives at the start of the region it manages: [shard_heap | page descriptors |
// dirty-page bitmap | data pages]; a set bit marks a free page that may be resident. It
// knows nothing of threads, shards, locks or the operating system; the caller (memory.cc)
// decides which thread owns it, serializes access where it must and supplies the hooks.
//
// Contract:
// - Everything except push_remote(), push_remote_chain(), push_remote_block() and
//   has_remote() must be called by
//   the owning thread only (or under the caller's lock); those three, from any thread.
// - Nothing allocates or throws; failures return nullptr.
// - Free spans are merged with their free neighbours at once, so any contiguous free range
//   is one span and an allocation of n pages succeeds whenever n contiguous free pages
//   exist within the limit.
// - Large spans of up to cache_max_pages pages are not merged at once when freed: they wait
//   in a small cache, one LIFO list per page count, bounded in pages, so that the next
//   allocation of the same size takes one from there without touching the span allocator.
//   The cache is flushed (its spans freed and merged) before an allocation is allowed to
//   fail, before the pressure hook runs and by trim(), so the guarantee above still holds.
//   The statistics (largest_free_span_bytes() included) read the heap without flushing it.
// - Free pages go back to the operating system lazily, through the release hook (madvise),
//   only when spans are freed (never on an allocation's fast path; an allocation under
//   pressure may flush the cache and so free spans): a freed span of at least
//   giveback_min_pages is released at once when the heap already holds more than its retain
//   threshold of free resident pages, and a sweep of the free spans runs when that count
//   grows well beyond the threshold. Memory handed out again after a release reads as zero
//   (MADV_DONTNEED on a private anonymous mapping); callers must not rely on any content.
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

// Objects another thread returns, as an array of pointers: the sender writes into this
// block (its own memory, hot in its cache) instead of into each object, so returning an
// object does not move its cache line to the sender just to link it. The block belongs to
// the sender's heap; the owner hands it back through the block hook once it has read it,
// and the hook pushes it, marked spent, onto its own heap's block stack. Blocks are the
// allocator's own: they do not show in the allocation, free or cross-shard counts.
struct remote_block {
    static constexpr uint32_t capacity = 32;
    static constexpr uint32_t spent = ~uint32_t(0); // count of a block on its way home
    remote_block* next;
    uint32_t count;
    void* ptrs[capacity];
};

// One per page of the region. Only some are meaningful: the first and last page of every
// span, and every page of a small-object span (so a pointer anywhere in it finds the head).
// Sixty-four bytes, so that a descriptor is one cache line and its address a shift away.
//
// A small span keeps its free objects on two lists, as mimalloc does: `free`, which only the
// class's current span has and which the allocation fast path pops, and `local_free`, which
// frees push. Allocation and free then never touch the same list head, so a program that
// frees what it just allocated does not wait for its own stores. `used` counts the objects
// not on `local_free`: objects in use plus, on the current span, those still on `free` and
// one pin that keeps it from ever reading zero there.
struct page_desc {
    free_object* free;       // small span, current only: objects the allocation fast path takes
    free_object* local_free; // small span: freed objects
    page_desc* next;         // free-span bucket or class partial list
    page_desc* prev;
    uint32_t npages;      // span length (head; and tail of free spans)
    uint32_t head_offset; // pages back to the span's head
    uint32_t used;        // small span: objects not on local_free (see above)
    uint32_t capacity;    // small span: objects it holds
    uint8_t kind;
    uint8_t cls;
    uint8_t state; // small span: current / partial / full
    uint8_t pad[13];
};
static_assert(sizeof(page_desc) == 64);

// kind_cached: a large span freed into the cache (still counted as used by the span allocator).
// kind_small_lifo: a small span of a class above lifo_min_size. Its objects are a page or more
// apart, so cycling through all of them (what the two lists do to a program that frees what
// it just allocated) would walk as many pages and cache sets; frees to its current span go
// straight back to `free`, last in first out, on a path out of line.
enum : uint8_t {
    kind_reserved = 0,
    kind_free = 1,
    kind_large = 2,
    kind_small = 3,
    kind_cached = 4,
    kind_small_lifo = 5,
};
inline constexpr size_t lifo_min_size = 1024; // classes above this size are kind_small_lifo
enum : uint8_t { span_current = 0, span_partial = 1, span_full = 2 };

struct heap_counters {
    uint64_t large_allocs = 0;
    uint64_t large_frees = 0;
    uint64_t cross_frees_sent = 0;
    uint64_t cross_frees_received = 0;
    uint64_t failed = 0;
    uint64_t reclaims = 0;
    uint64_t cache_hits = 0;     // large allocations served by the span cache
    uint64_t cache_flushes = 0;  // times the cache was emptied into the span allocator
    uint64_t released_bytes = 0; // given back through the release hook
    uint64_t releases = 0;       // calls to the release hook
};

class shard_heap {
public:
    static constexpr unsigned page_shift = 12;
    static constexpr size_t page = size_t(1) << page_shift;
    static constexpr unsigned nr_buckets = 33;
    // Largest span, in pages, the free-span cache keeps (1 MiB).
    static constexpr size_t cache_max_pages = 256;
    static constexpr size_t cache_max_bytes = cache_max_pages << page_shift;
    // A freed span at least this long is released at once when the heap is above its
    // retain threshold; the sweep releases spans from sweep_min_pages up.
    static constexpr size_t giveback_min_pages = 256;
    static constexpr size_t sweep_min_pages = 16;
    // Empty spans a class keeps on its partial list rather than giving them back to the span
    // allocator at once, so that a burst that allocates and frees a few spans' worth of
    // objects (a batch of cross-shard returns, say) does not rebuild them every time: at
    // least max_empty_spans, and up to empty_span_bytes of them when the limit is at least
    // 128 times that. trim() and memory pressure release them.
    static constexpr size_t max_empty_spans = 4;
    static constexpr size_t empty_span_bytes = size_t(1) << 20;

    // Called under memory pressure with the bytes wanted; returns true if it freed something.
    using pressure_hook = bool (*)(shard_heap& heap, size_t bytes);
    // Gives [addr, addr + bytes) (page aligned, free) back to the operating system. The
    // pages must read as zero or keep their contents afterwards, and stay usable.
    using release_hook = void (*)(void* addr, size_t bytes);

    // Bytes of region needed to give `limit_bytes` of data pages.
    static size_t region_bytes_for(size_t limit_bytes) noexcept;
    // Builds a heap at the start of `region` (page aligned, `region_bytes` long, readable and
    // writable, zero-filled: a fresh anonymous mapping). `limit_bytes` caps the data pages in use.
    static shard_heap* create(void* region, size_t region_bytes, size_t limit_bytes) noexcept;

    void* allocate(size_t size) noexcept;
    // The part of allocate() that needs no slow path: an object from the current span of its
    // class or a span from the large-span cache; nullptr where allocate() would do more.
    void* try_allocate_fast(size_t size) noexcept;
    void* allocate_aligned(size_t align, size_t size) noexcept;
    // A remote_block, from allocate() without running the pressure hook (the caller may be
    // inside a free) and without counting towards failure injection or the statistics:
    // nullptr instead, also while injection is armed.
    remote_block* allocate_block() noexcept;
    void free_local(void* p) noexcept;
    size_t usable_size(const void* p) const noexcept;

    bool contains(const void* p) const noexcept { return uintptr_t(p) - uintptr_t(this) < _region_bytes; }

    // Any thread: hand `p` (owned by this heap) back to the owner.
    void push_remote(void* p) noexcept;
    // Any thread: the same for a chain of objects linked through free_object::next, from
    // `head` to `tail`, with one atomic operation.
    void push_remote_chain(free_object* head, free_object* tail) noexcept;
    // Any thread: the same for a block of pointers (count of them), with one atomic operation.
    void push_remote_block(remote_block* b) noexcept;
    bool has_remote() const noexcept {
        return _remote.load(std::memory_order_relaxed) != nullptr ||
               _remote_blocks.load(std::memory_order_relaxed) != nullptr;
    }
    // Owner: free everything pushed so far. Returns how many objects. Blocks, once read, go
    // to the block hook (they belong to another heap).
    size_t drain_remote() noexcept;
    using block_hook = void (*)(remote_block* b);
    void set_block_hook(block_hook hook) noexcept { _block_release = hook; }
    bool injection_armed() const noexcept { return _inject_armed; }
    // Allocations left until the armed failure (it is the last of them); 0 when none is armed.
    uint64_t fail_countdown() const noexcept { return _inject_armed ? _fail_countdown : 0; }

    // Failure injection: the nth allocation from now fails (0 disarms).
    void fail_nth(uint64_t n) noexcept;
    // Gives empty spans the size classes keep for reuse, and the spans in the large-span
    // cache, back to the page allocator (the allocator does so itself under pressure). True
    // if there were any.
    bool trim() noexcept {
        bool cached = flush_cache();
        return release_empty_spans() || cached;
    }
    // Empties the large-span cache into the span allocator; true if it held anything.
    bool flush_cache() noexcept;
    // trim(), then gives every free page that may be resident back through the release
    // hook. Returns the bytes released (0 without a hook).
    size_t release_free_memory() noexcept;
    // Caps data pages in use; false if above what the region holds. Also rescales the
    // cache bound and the retain threshold from the new limit.
    bool set_limit(size_t bytes) noexcept;
    // Bounds the large-span cache (0 disables it; flushes what is above the new bound).
    void set_cache_limit(size_t bytes) noexcept;
    // Free resident bytes the heap keeps before giving memory back.
    void set_retain_bytes(size_t bytes) noexcept;

    void set_pressure_hook(pressure_hook hook) noexcept { _hook = hook; }
    void set_release_hook(release_hook hook) noexcept { _release = hook; }
    void* user_data = nullptr; // for the owner of the heap (reclaimer list)

    // Statistics.
    size_t limit_bytes() const noexcept { return _limit_pages << page_shift; }
    size_t max_limit_bytes() const noexcept { return size_t(_end_page - _first_page) << page_shift; }
    // Pages the program holds: small-object spans and large allocations, not the cache.
    size_t used_bytes() const noexcept { return (_used_pages - _cache_pages - hot_pages()) << page_shift; }
    size_t cached_bytes() const noexcept { return (_cache_pages + hot_pages()) << page_shift; }
    // Free bytes that may still be resident (freed since they were last given back).
    size_t resident_free_bytes() const noexcept { return _free_dirty_pages << page_shift; }
    // Largest allocation that can succeed now: cached spans count as merged with their free
    // and cached neighbours, as an allocation under pressure would merge them. Changes
    // nothing (the cache stays as it is); costs a walk of the cache lists and of the runs
    // they touch.
    size_t largest_free_span_bytes() const noexcept;
    // Objects handed out by class c so far (counted when a span's free objects are handed to
    // the allocation fast path, less what is still on the current span's list).
    uint64_t class_allocs(unsigned c) const noexcept;
    uint64_t class_frees(unsigned c) const noexcept { return _class_frees[c]; }
    size_t class_spans(unsigned c) const noexcept { return _classes[c].spans; }
    heap_counters& counters() noexcept { return _counters; }
    const heap_counters& counters() const noexcept { return _counters; }

private:
    struct class_state {
        page_desc* current;
        page_desc* partial; // spans with free objects, not current (empty ones too)
        size_t spans;
        size_t empty;     // spans on the partial list with no object in use
        size_t max_empty; // bound on `empty`
    };

    shard_heap(size_t region_bytes, size_t header_pages, size_t limit_pages) noexcept;

    // The descriptors follow the heap object: a constant offset from `this`, not a load.
    page_desc* descs() noexcept {
        return reinterpret_cast<page_desc*>(reinterpret_cast<char*>(this) + sizeof(shard_heap));
    }
    const page_desc* descs() const noexcept {
        return reinterpret_cast<const page_desc*>(reinterpret_cast<const char*>(this) + sizeof(shard_heap));
    }
    page_desc* desc(size_t page_index) noexcept { return descs() + page_index; }
    size_t index_of(const page_desc* d) const noexcept { return size_t(d - descs()); }
    char* address_of(size_t page_index) noexcept { return reinterpret_cast<char*>(this) + (page_index << page_shift); }

    void* allocate_class(unsigned c) noexcept;
    void* allocate_small_slow(unsigned c) noexcept;
    void install_current(unsigned c, page_desc* d) noexcept;
    void* allocate_one(page_desc* d) noexcept;
    void* allocate_pages(size_t npages, size_t align_pages) noexcept;
    void* allocate_large(size_t size) noexcept;
    void* cache_pop(size_t npages) noexcept;
    void* cache_take(size_t npages) noexcept;
    size_t hot_pages() const noexcept {
        return _hot ? descs()[(uintptr_t(_hot) - uintptr_t(this)) >> page_shift].npages : 0;
    }
    void small_free_slow(page_desc* d) noexcept;
    void free_small_lifo(void* p, page_desc* d) noexcept;
    void free_large(void* p, page_desc* d) noexcept;
    size_t drain_chain(free_object* o) noexcept;
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
    void release_range(size_t start, size_t npages) noexcept;
    size_t set_dirty(size_t start, size_t npages) noexcept;
    size_t clear_dirty(size_t start, size_t npages) noexcept;
    void sweep() noexcept;
    void set_default_thresholds() noexcept;

    static void list_push(page_desc*& head, page_desc* d) noexcept;
    static size_t list_length(const free_object* o) noexcept;
    static void list_remove(page_desc*& head, page_desc* d) noexcept;

    class_state _classes[nr_size_classes];
    // Apart from class_state so that the fast paths index them directly. Allocations are
    // counted per span handed to the fast path (see class_allocs()), frees one by one.
    uint64_t _class_allocs[nr_size_classes] = {};
    uint64_t _class_frees[nr_size_classes] = {};
    page_desc _sentinel{}; // an exhausted span: makes the fast path take the slow path
    uint64_t* _dirty;
    size_t _region_bytes;
    size_t _first_page;
    size_t _end_page;
    size_t _limit_pages;
    size_t _used_pages = 0;
    uint64_t _fail_countdown = 0;
    bool _inject_armed = false;
    bool _in_pressure = false;
    pressure_hook _hook = nullptr;
    release_hook _release = nullptr;
    uint64_t _nonempty = 0;               // bit b: _buckets[b] not empty
    page_desc* _buckets[nr_buckets] = {}; // free spans of [2^b, 2^(b+1)) pages
    // The large-span cache: _cache[n] lists cached spans of n pages, linked through their
    // first word, so that the pointer handed out is the one loaded (no address arithmetic
    // on the path from a free to the next allocation).
    // The span freed last waits apart, in _hot, outside _cache_pages and the lists: a program
    // that frees a large block and allocates one of the same size again takes it back with
    // one load and one store, without the list and the page count that a free updates and
    // the next allocation would have to wait for. It counts against the cache's bound:
    // _cache_pages + hot_pages() <= _cache_cap.
    free_object* _hot = nullptr;
    size_t _cache_pages = 0;
    size_t _cache_cap = 0;   // bound in force (0 while failure injection is armed)
    size_t _cache_limit = 0; // bound configured
    free_object* _cache[cache_max_pages + 1] = {};
    // Give-back: the resident free page estimate, the threshold and the next sweep mark.
    size_t _free_dirty_pages = 0;
    size_t _retain_pages = 0;
    size_t _next_sweep_pages = 0;
    heap_counters _counters;
    // Written by other threads: on its own cache line (the class size rounds up to 64).
    alignas(64) std::atomic<free_object*> _remote{nullptr};
    std::atomic<remote_block*> _remote_blocks{nullptr};
    block_hook _block_release = nullptr;
};

inline void* shard_heap::allocate_class(unsigned c) noexcept {
    page_desc* d = _classes[c].current;
    free_object* o = d->free;
    if (__builtin_expect(o != nullptr, 1)) {
        d->free = o->next;
        return o;
    }
    return allocate_small_slow(c);
}

__attribute__((always_inline)) inline void* shard_heap::cache_take(size_t npages) noexcept {
    free_object* o = _hot;
    if (__builtin_expect(o != nullptr, 1)) {
        page_desc* d = desc((uintptr_t(o) - uintptr_t(this)) >> page_shift);
        if (__builtin_expect(d->npages == npages, 1)) {
            _hot = nullptr;
            d->kind = kind_large;
            ++_counters.cache_hits;
            return o;
        }
    }
    o = _cache[npages];
    if (o != nullptr) {
        _cache[npages] = o->next;
        _cache_pages -= npages;
        desc((uintptr_t(o) - uintptr_t(this)) >> page_shift)->kind = kind_large;
        ++_counters.cache_hits;
    }
    return o;
}

__attribute__((always_inline)) inline void* shard_heap::cache_pop(size_t npages) noexcept {
    if (void* o = cache_take(npages); __builtin_expect(o != nullptr, 1)) {
        return o;
    }
    return allocate_large(npages << page_shift);
}

__attribute__((always_inline)) inline void* shard_heap::try_allocate_fast(size_t size) noexcept {
    if (__builtin_expect(size <= small_limit, 1)) {
        page_desc* d = _classes[size_class_of(size)].current;
        free_object* o = d->free;
        if (__builtin_expect(o != nullptr, 1)) {
            d->free = o->next;
        }
        return o;
    }
    if (size <= cache_max_bytes) {
        return cache_take((size + page - 1) >> page_shift);
    }
    return nullptr;
}

inline void* shard_heap::allocate(size_t size) noexcept {
    if (__builtin_expect(size <= small_limit, 1)) {
        return allocate_class(size_class_of(size));
    }
    if (__builtin_expect(size <= cache_max_bytes, 1)) {
        return cache_pop((size + page - 1) >> page_shift);
    }
    return allocate_large(size);
}

inline void shard_heap::free_local(void* p) noexcept {
    page_desc* d = desc((uintptr_t(p) - uintptr_t(this)) >> page_shift);
    // Every page of a small span says so; a large block starts at its span's head, so its
    // descriptor is at hand without following head_offset.
    if (__builtin_expect(d->kind == kind_small, 1)) {
        d -= d->head_offset;
        auto* o = static_cast<free_object*>(p);
        free_object* f = d->local_free;
        o->next = f;
        d->local_free = o;
        ++_class_frees[d->cls];
        uint32_t u = --d->used;
        if (__builtin_expect(f == nullptr || u == 0, 0)) {
            small_free_slow(d);
        }
        return;
    }
    if (d->kind == kind_small_lifo) {
        free_small_lifo(p, d - d->head_offset);
        return;
    }
    free_large(p, d);
}

} // namespace seastar::memory::internal
