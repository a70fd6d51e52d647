#include "seastar/memory/memory.hh"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "seastar/memory/internal/fast_path.hh"
#include "seastar/memory/internal/shard_heap.hh"

// Defined by //seastar/memory:malloc_override, which hands pointers this allocator did not
// create (from before it was interposed) to the system allocator. Without it such a free is
// a bug and aborts.
extern "C" void seastar_memory_foreign_free(void* p) __attribute__((weak));

namespace seastar::memory {

namespace internal {
thread_local constinit shard_heap* t_heap __attribute__((tls_model(SEASTAR_MEMORY_TLS_MODEL))) = nullptr;
} // namespace internal

using internal::shard_heap;
using internal::t_heap;

namespace {

// Everything here is constant-initialized: the allocator must work during static
// initialization, before any constructor of this file could have run.

constexpr unsigned max_shards = 1024;

// The shards' reservation: shard i's heap starts at g_shards_base + (i << g_shard_shift).
std::atomic<uintptr_t> g_shards_base{0};
std::atomic<size_t> g_shards_bytes{0};
std::atomic<unsigned> g_shard_shift{0};
std::atomic<unsigned> g_nr_shards{0};
std::atomic<bool> g_configured{false};
std::mutex g_configure_mutex;
std::atomic<bool> g_bound[max_shards];

// The shared heap of non-shard threads, created on first use.
std::mutex g_fallback_mutex;
std::atomic<shard_heap*> g_fallback{nullptr};
std::atomic<uint64_t> g_nonshard_cross_frees{0};

std::atomic<bool> g_abort_on_failure{false};

thread_local int t_shard __attribute__((tls_model("initial-exec"))) = -1;

// Large-allocation warnings: the thread's threshold, the reporter, and whether the thread
// is inside the reporter (whose own allocations are not reported).
thread_local size_t t_large_threshold __attribute__((tls_model("initial-exec"))) = SIZE_MAX;
thread_local bool t_reporting_large __attribute__((tls_model("initial-exec"))) = false;
std::atomic<internal::large_allocation_reporter> g_large_reporter{nullptr};

__attribute__((noinline, cold)) void report_large_allocation(size_t size) noexcept {
    auto reporter = g_large_reporter.load(std::memory_order_acquire);
    if (!reporter || t_reporting_large) {
        return;
    }
    t_reporting_large = true;
    reporter(size);
    t_reporting_large = false;
}

// `p`, after reporting it when it is a large allocation at or above the threshold.
inline void* checked_large(void* p, size_t size) noexcept {
    if (__builtin_expect(size > max_small_allocation && size >= t_large_threshold && p != nullptr, 0)) {
        report_large_allocation(size);
    }
    return p;
}

// A shard returns other shards' memory in batches: the pointers freed for one owner are
// written into a block (internal::remote_block, allocated from the sending shard's own heap)
// and the block is pushed with a single atomic operation once it is full, or when the shard
// next drains its own returns (its poller, every loop turn), or when it stops being a shard.
// The owner links the objects itself and hands the block back. Without a block (the sending
// heap could not spare one without reclaiming, or failure injection is armed) the objects
// are chained through their first word instead. Direct-mapped by owner; a collision pushes
// the older batch first. Bounded: at most outgoing_slots * outgoing_batch objects wait, for
// one loop turn at most.
constexpr unsigned outgoing_slots = 8;
constexpr uint32_t outgoing_batch = internal::remote_block::capacity;

struct outgoing {
    shard_heap* owner;
    internal::remote_block* block; // nullptr: chained through the objects
    internal::free_object* head;
    internal::free_object* tail;
    uint32_t count;
};

thread_local outgoing t_outgoing[outgoing_slots] __attribute__((tls_model("initial-exec"))) = {};
thread_local unsigned t_outgoing_mask __attribute__((tls_model("initial-exec"))) = 0; // bit i: slot i in use

void flush_slot(unsigned i) noexcept {
    outgoing& o = t_outgoing[i];
    if (o.block) {
        o.block->count = o.count;
        o.owner->push_remote_block(o.block);
        o.block = nullptr;
    } else {
        o.owner->push_remote_chain(o.head, o.tail);
    }
    // Counted here rather than per object; stats() adds what is still waiting.
    t_heap->counters().cross_frees_sent += o.count;
    o.owner = nullptr;
    o.count = 0;
    t_outgoing_mask &= ~(1u << i);
}

void flush_outgoing() noexcept {
    for (unsigned m = t_outgoing_mask; m; m &= m - 1) {
        flush_slot(unsigned(__builtin_ctz(m)));
    }
}

// Block hook of every shard heap: a block it has read goes back to the heap it came from,
// marked spent (never inside another block, so returning blocks needs no blocks).
void release_block(internal::remote_block* b) noexcept {
    uintptr_t base = g_shards_base.load(std::memory_order_relaxed);
    unsigned shift = g_shard_shift.load(std::memory_order_relaxed);
    size_t index = (uintptr_t(b) - base) >> shift;
    b->count = internal::remote_block::spent;
    reinterpret_cast<shard_heap*>(base + (index << shift))->push_remote_block(b);
}

void send_to_owner(shard_heap* owner, size_t owner_index, void* p) noexcept {
    unsigned i = unsigned(owner_index) % outgoing_slots;
    outgoing& o = t_outgoing[i];
    if (__builtin_expect(o.owner != owner, 0)) {
        if (o.owner) {
            flush_slot(i);
        }
        o.owner = owner;
        o.block = t_heap->allocate_block();
        o.head = nullptr;
        o.tail = static_cast<internal::free_object*>(p);
        t_outgoing_mask |= 1u << i;
    }
    if (__builtin_expect(o.block != nullptr, 1)) {
        o.block->ptrs[o.count] = p;
    } else {
        auto* obj = static_cast<internal::free_object*>(p);
        obj->next = o.head;
        o.head = obj;
    }
    if (++o.count == outgoing_batch) {
        flush_slot(i);
    }
}

void write_stderr(const char* msg) noexcept {
    size_t len = std::strlen(msg);
    while (len > 0) {
        ssize_t n = ::write(2, msg, len);
        if (n <= 0) {
            return;
        }
        msg += n;
        len -= size_t(n);
    }
}

void* reserve(size_t bytes) noexcept {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

// Calls the shard's reclaimers, in registration order; true if any freed something.
bool run_reclaimers(shard_heap& heap, size_t bytes) {
    bool any = false;
    for (auto* r = static_cast<reclaimer*>(heap.user_data); r; r = r->_next) {
        if (r->do_reclaim(bytes) == reclaiming_result::reclaimed_something) {
            any = true;
        }
    }
    return any;
}

void release_hook(void* addr, size_t bytes) noexcept {
    // DONTNEED rather than FREE: the resident size drops at once, which is what users watch,
    // and the pages read as zero when touched again. A failure (none is expected on our own
    // anonymous mapping) only means the memory stays resident.
    ::madvise(addr, bytes, MADV_DONTNEED);
}

bool pressure_hook(shard_heap& heap, size_t bytes) noexcept {
    try {
        return run_reclaimers(heap, bytes);
    } catch (...) {
        // A reclaimer that throws has reclaimed nothing we can count on.
        return false;
    }
}

shard_heap* create_fallback_locked() noexcept {
    // As much address space as the system lets us reserve, up to 64 GiB; pages are only
    // committed when touched.
    for (size_t limit = size_t(64) << 30; limit >= (size_t(64) << 20); limit /= 2) {
        size_t bytes = shard_heap::region_bytes_for(limit);
        void* region = reserve(bytes);
        if (region) {
            shard_heap* h = shard_heap::create(region, bytes, limit);
            h->set_release_hook(release_hook);
            g_fallback.store(h, std::memory_order_release);
            return h;
        }
    }
    return nullptr;
}

shard_heap* fallback_locked() noexcept {
    shard_heap* h = g_fallback.load(std::memory_order_relaxed);
    return h ? h : create_fallback_locked();
}

void* on_failure(size_t size) noexcept {
    if (g_abort_on_failure.load(std::memory_order_relaxed)) {
        write_stderr("seastar::memory: allocation failed and abort_on_allocation_failure is set\n");
        std::abort();
    }
    errno = ENOMEM;
    return nullptr;
}

void* fallback_allocate(size_t align, size_t size) noexcept {
    void* p;
    {
        std::lock_guard<std::mutex> guard(g_fallback_mutex);
        shard_heap* h = fallback_locked();
        if (!h) {
            return on_failure(size);
        }
        p = align ? h->allocate_aligned(align, size) : h->allocate(size);
    }
    return p ? p : on_failure(size);
}

shard_heap* shard_heap_at(size_t offset) noexcept {
    return reinterpret_cast<shard_heap*>(
        g_shards_base.load(std::memory_order_relaxed) +
        ((offset >> g_shard_shift.load(std::memory_order_relaxed)) << g_shard_shift.load(std::memory_order_relaxed)));
}

// Owner of p when it is not the calling shard: another shard, the fallback heap, or none.
shard_heap* owner_of(const void* p, bool& is_fallback) noexcept {
    is_fallback = false;
    size_t off = uintptr_t(p) - g_shards_base.load(std::memory_order_relaxed);
    if (off < g_shards_bytes.load(std::memory_order_relaxed)) {
        return shard_heap_at(off);
    }
    shard_heap* f = g_fallback.load(std::memory_order_acquire);
    if (f && f->contains(p)) {
        is_fallback = true;
        return f;
    }
    return nullptr;
}

} // namespace

void internal::free_slow(void* p) noexcept {
    if (!p) {
        return;
    }
    shard_heap* mine = t_heap;
    uintptr_t base = g_shards_base.load(std::memory_order_relaxed);
    size_t off = uintptr_t(p) - base;
    if (mine && off < g_shards_bytes.load(std::memory_order_relaxed)) {
        // Another shard's memory, freed on a shard: never touch its structures, send it home
        // with the next batch for its owner.
        unsigned shift = g_shard_shift.load(std::memory_order_relaxed);
        size_t index = off >> shift;
        send_to_owner(reinterpret_cast<shard_heap*>(base + (index << shift)), index, p);
        return;
    }
    bool is_fallback;
    shard_heap* owner = owner_of(p, is_fallback);
    if (!owner) {
        if (seastar_memory_foreign_free) {
            seastar_memory_foreign_free(p);
            return;
        }
        write_stderr("seastar::memory::free: pointer was not allocated by this allocator\n");
        std::abort();
    }
    if (is_fallback) {
        std::lock_guard<std::mutex> guard(g_fallback_mutex);
        owner->free_local(p);
        if (mine) {
            ++mine->counters().cross_frees_sent;
        }
        return;
    }
    // Another shard's memory freed on a thread that is not a shard: one push per object.
    owner->push_remote(p);
    g_nonshard_cross_frees.fetch_add(1, std::memory_order_relaxed);
}

void* internal::allocate_slow(size_t size) noexcept {
    shard_heap* h = t_heap;
    if (__builtin_expect(h != nullptr, 1)) {
        void* p = h->allocate(size);
        return __builtin_expect(p != nullptr, 1) ? checked_large(p, size) : on_failure(size);
    }
    return checked_large(fallback_allocate(0, size), size);
}

// ---- configuration and shard binding -------------------------------------------------------

void configure(size_t total_bytes, unsigned nr, std::vector<int> numa_nodes) {
    std::lock_guard<std::mutex> guard(g_configure_mutex);
    if (g_configured.load(std::memory_order_relaxed)) {
        throw std::logic_error("seastar::memory::configure: already configured");
    }
    if (nr == 0 || nr > max_shards) {
        throw std::logic_error("seastar::memory::configure: bad number of shards");
    }
    size_t limit = (total_bytes / nr) & ~(page_size - 1);
    if (limit < page_size) {
        throw std::logic_error("seastar::memory::configure: less than a page per shard");
    }
    size_t region = shard_heap::region_bytes_for(limit);
    unsigned shift = 64u - unsigned(__builtin_clzll(region - 1));
    size_t stride = size_t(1) << shift;
    if (shift >= 47 || (size_t(nr) << shift) >> shift != nr) {
        throw std::logic_error("seastar::memory::configure: more memory than the address space");
    }
    void* base = reserve(size_t(nr) << shift);
    if (!base) {
        throw std::system_error(errno, std::system_category(), "seastar::memory::configure: mmap");
    }
    for (unsigned i = 0; i < nr; ++i) {
        char* r = static_cast<char*>(base) + i * stride;
        if (i < numa_nodes.size() && numa_nodes[i] >= 0 && numa_nodes[i] < 64) {
            // Preferred rather than strict: a full node should not fail the allocation. Done
            // before the first touch, so even the heap's header lands on the node.
            constexpr int mpol_preferred = 1;
            unsigned long mask = 1ul << numa_nodes[i];
            ::syscall(SYS_mbind, r, region, mpol_preferred, &mask, 64, 0);
        }
        shard_heap* h = shard_heap::create(r, region, limit);
        h->set_pressure_hook(pressure_hook);
        h->set_release_hook(release_hook);
        h->set_block_hook(release_block);
    }
    g_shards_base.store(uintptr_t(base), std::memory_order_relaxed);
    g_shard_shift.store(shift, std::memory_order_relaxed);
    g_shards_bytes.store(size_t(nr) << shift, std::memory_order_relaxed);
    g_nr_shards.store(nr, std::memory_order_relaxed);
    g_configured.store(true, std::memory_order_release);
}

bool is_configured() noexcept {
    return g_configured.load(std::memory_order_acquire);
}

unsigned nr_shards() noexcept {
    return is_configured() ? g_nr_shards.load(std::memory_order_relaxed) : 0;
}

namespace internal {

namespace {
struct shard_binding {
    ~shard_binding() { release_shard(); }
};
} // namespace

void init_shard(unsigned shard_id) {
    if (!is_configured()) {
        throw std::logic_error("seastar::memory::init_shard: configure() was not called");
    }
    if (shard_id >= g_nr_shards.load(std::memory_order_relaxed)) {
        throw std::logic_error("seastar::memory::init_shard: shard id out of range");
    }
    if (t_heap) {
        throw std::logic_error("seastar::memory::init_shard: this thread is already a shard");
    }
    if (g_bound[shard_id].exchange(true, std::memory_order_acq_rel)) {
        throw std::logic_error("seastar::memory::init_shard: shard is bound to another thread");
    }
    // Ends the binding when the thread exits. Constructed only here, so the allocation fast
    // path reads a plain thread-local pointer with no initialization guard.
    static thread_local shard_binding binding;
    (void)binding;
    t_shard = int(shard_id);
    t_heap = shard_heap_at(size_t(shard_id) << g_shard_shift.load(std::memory_order_relaxed));
    t_heap->drain_remote();
}

void release_shard() noexcept {
    if (!t_heap) {
        return;
    }
    unsigned id = unsigned(t_shard);
    flush_outgoing(); // nothing may stay behind with a thread that is no longer a shard
    t_heap = nullptr;
    t_shard = -1;
    g_bound[id].store(false, std::memory_order_release);
}

int current_shard() noexcept {
    return t_shard;
}

namespace {

// suspend_failure_injection(): nesting depth, and the countdown kept while suspended.
thread_local unsigned t_injection_suspended = 0;
thread_local uint64_t t_suspended_countdown = 0;
// Whether this thread (not a shard) armed the shared heap: critical sections of threads
// that did not then skip its lock.
thread_local bool t_armed_fallback = false;

void arm_heap(uint64_t n) noexcept {
    if (shard_heap* h = t_heap) {
        h->fail_nth(n);
        return;
    }
    t_armed_fallback = n != 0;
    std::lock_guard<std::mutex> guard(g_fallback_mutex);
    if (shard_heap* h = fallback_locked()) {
        h->fail_nth(n);
    }
}

uint64_t heap_countdown() noexcept {
    if (shard_heap* h = t_heap) {
        return h->fail_countdown();
    }
    if (!t_armed_fallback) {
        return 0;
    }
    std::lock_guard<std::mutex> guard(g_fallback_mutex);
    shard_heap* h = g_fallback.load(std::memory_order_relaxed);
    return h ? h->fail_countdown() : 0;
}

} // namespace

void fail_nth_allocation(uint64_t n) noexcept {
    if (t_injection_suspended) {
        t_suspended_countdown = n;
        return;
    }
    arm_heap(n);
}

uint64_t injected_failure_countdown() noexcept {
    return t_injection_suspended ? t_suspended_countdown : heap_countdown();
}

void suspend_failure_injection() noexcept {
    if (t_injection_suspended++ == 0) {
        t_suspended_countdown = heap_countdown();
        if (t_suspended_countdown) {
            arm_heap(0);
        }
    }
}

void resume_failure_injection() noexcept {
    if (--t_injection_suspended == 0 && t_suspended_countdown) {
        arm_heap(std::exchange(t_suspended_countdown, 0));
    }
}

void set_large_allocation_reporter(large_allocation_reporter reporter) noexcept {
    g_large_reporter.store(reporter, std::memory_order_release);
}

bool set_shard_limit(size_t bytes) noexcept {
    shard_heap* h = t_heap;
    return h && h->set_limit(bytes);
}

} // namespace internal

void set_large_allocation_warning_threshold(size_t threshold) noexcept {
    t_large_threshold = threshold;
}

size_t get_large_allocation_warning_threshold() noexcept {
    return t_large_threshold;
}

void disable_large_allocation_warning() noexcept {
    t_large_threshold = SIZE_MAX;
}

// ---- entry points ----------------------------------------------------------------------------

void* allocate(size_t size) noexcept {
    return internal::allocate_fast(size);
}

void* allocate_aligned(size_t align, size_t size) noexcept {
    if (align == 0 || (align & (align - 1)) != 0) {
        errno = EINVAL;
        return nullptr;
    }
    shard_heap* h = t_heap;
    if (h) {
        void* p = h->allocate_aligned(align, size);
        return p ? checked_large(p, size) : on_failure(size);
    }
    return checked_large(fallback_allocate(align, size), size);
}

void free(void* p) noexcept {
    internal::free_fast(p);
}

void free(void* p, size_t) noexcept {
    free(p);
}

size_t usable_size(void* p) noexcept {
    if (!p) {
        return 0;
    }
    shard_heap* h = t_heap;
    if (h && h->contains(p)) {
        return h->usable_size(p);
    }
    bool is_fallback;
    shard_heap* owner = owner_of(p, is_fallback);
    if (!owner) {
        return 0;
    }
    if (is_fallback) {
        std::lock_guard<std::mutex> guard(g_fallback_mutex);
        return owner->usable_size(p);
    }
    // The size is fixed while the object is allocated, and the caller owns the object, so
    // reading the owner's descriptor is safe: the owner changes it only after the free.
    return owner->usable_size(p);
}

void* reallocate(void* p, size_t size) noexcept {
    if (!p) {
        return allocate(size);
    }
    if (size == 0) {
        free(p);
        return nullptr;
    }
    size_t old = usable_size(p);
    // Keep the block when it fits and at most half of it would go unused.
    if (size <= old && size > old / 2 && owner_shard(p) == internal::current_shard()) {
        return p;
    }
    void* q = allocate(size);
    if (!q) {
        return nullptr;
    }
    std::memcpy(q, p, size < old ? size : old);
    free(p);
    return q;
}

int owner_shard(const void* p) noexcept {
    bool is_fallback;
    shard_heap* owner = owner_of(p, is_fallback);
    if (!owner) {
        return -2;
    }
    if (is_fallback) {
        return -1;
    }
    return int((uintptr_t(p) - g_shards_base.load(std::memory_order_relaxed)) >>
               g_shard_shift.load(std::memory_order_relaxed));
}

void drain_cross_shard_frees() noexcept {
    if (shard_heap* h = t_heap) {
        if (t_outgoing_mask) {
            flush_outgoing();
        }
        h->drain_remote();
    }
}

size_t release_free_memory() noexcept {
    if (shard_heap* h = t_heap) {
        return h->release_free_memory();
    }
    std::lock_guard<std::mutex> guard(g_fallback_mutex);
    shard_heap* h = g_fallback.load(std::memory_order_relaxed);
    return h ? h->release_free_memory() : 0;
}

void set_abort_on_allocation_failure(bool enabled) noexcept {
    g_abort_on_failure.store(enabled, std::memory_order_relaxed);
}

// ---- statistics and reclaimers -----------------------------------------------------------

static_assert(nr_size_classes == internal::nr_size_classes);

statistics stats() noexcept {
    statistics s;
    auto fill = [&s](shard_heap& h) {
        s._total = h.limit_bytes();
        s._largest_free_span = h.largest_free_span_bytes();
        s._allocated = h.used_bytes();
        const auto& c = h.counters();
        s._large_allocs = c.large_allocs + c.cache_hits;
        s._cache_hits = c.cache_hits;
        s._cache_flushes = c.cache_flushes;
        s._released = c.released_bytes;
        s._releases = c.releases;
        s._resident_free = h.resident_free_bytes() + h.cached_bytes(); // the cache counts as free
        s._cross_cpu_frees = c.cross_frees_sent;
        if (&h == t_heap) {
            for (const outgoing& o : t_outgoing) {
                s._cross_cpu_frees += o.count; // waiting for their batch to leave
            }
        }
        s._cross_received = c.cross_frees_received;
        s._failed = c.failed;
        s._reclaims = c.reclaims;
        s._mallocs = c.large_allocs + c.cache_hits;
        s._frees = c.large_frees;
        for (unsigned i = 0; i < internal::nr_size_classes; ++i) {
            auto& k = s._classes[i];
            k.object_size = internal::class_size[i];
            k.objects_in_use = size_t(h.class_allocs(i) - h.class_frees(i));
            k.spans = h.class_spans(i);
            k.span_bytes = k.spans * (size_t(internal::class_pages[i]) << shard_heap::page_shift);
            s._mallocs += h.class_allocs(i);
            s._frees += h.class_frees(i);
        }
    };
    if (shard_heap* h = t_heap) {
        fill(*h);
        return s;
    }
    std::lock_guard<std::mutex> guard(g_fallback_mutex);
    if (shard_heap* h = fallback_locked()) {
        fill(*h);
        s._cross_cpu_frees += g_nonshard_cross_frees.load(std::memory_order_relaxed);
    }
    return s;
}

reclaimer::reclaimer(std::function<reclaiming_result(request)> fn) : _fn(std::move(fn)) {
    auto* h = t_heap;
    if (!h) {
        return;
    }
    _heap = h;
    _next = static_cast<reclaimer*>(h->user_data);
    if (_next) {
        _next->_prev = this;
    }
    h->user_data = this;
}

reclaimer::reclaimer(std::function<reclaiming_result()> fn)
    : reclaimer(std::function<reclaiming_result(request)>([fn = std::move(fn)](request) { return fn(); })) {}

reclaimer::~reclaimer() {
    auto* h = static_cast<shard_heap*>(_heap);
    if (!h) {
        return;
    }
    if (_prev) {
        _prev->_next = _next;
    } else {
        h->user_data = _next;
    }
    if (_next) {
        _next->_prev = _prev;
    }
}

} // namespace seastar::memory
