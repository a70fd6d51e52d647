// The per-shard memory allocator: public API.
//
// Each shard owns one slice of a single virtual reservation and allocates from it without
// locks or atomic read-modify-write operations. Memory freed by a thread that does not own
// it is pushed onto the owner's lock-free return stack and reclaimed by the owner when it
// next calls drain_cross_shard_frees() (the reactor does so from a poller every loop turn).
// A shard thread sends such memory in batches (one atomic operation per batch of up to 32
// objects per owner); a batch leaves at the latest on that shard's own next
// drain_cross_shard_frees() or when the thread stops being a shard.
//
// Contract:
// - configure() is called once per process, before any shard starts, by the code that
//   creates shards (seastar/smp). internal::init_shard(id) is called on each shard thread
//   before it allocates; the binding ends when that thread exits.
// - Threads that never called init_shard ("non-shard threads", and every thread before
//   configure()) are served by one shared, mutex-protected heap. That path is correct and
//   thread-safe, not fast.
// - allocate()/allocate_aligned() return nullptr when the shard's limit is reached and the
//   registered reclaimers could not free enough; they never abort the process (unless
//   set_abort_on_allocation_failure(true)). Nothing here throws except configure(),
//   init_shard() (usage errors) and reclaimer's constructor (never, in practice).
// - stats() describes the calling thread's heap (its shard, or the shared heap). It only
//   reads: it neither flushes the large-block cache nor changes what later allocations get.
// - Freed large blocks (up to 1 MiB) wait in a small per-shard cache for reuse by an
//   allocation of the same page count; the cache is merged back into the free space before
//   any allocation is allowed to fail, so an allocation still succeeds whenever enough
//   contiguous memory can be formed within the limit.
// - Free memory is given back to the operating system lazily (madvise(MADV_DONTNEED)), when a
//   heap keeps more than a few MiB of it resident, and on release_free_memory(). Memory is
//   handed out with unspecified contents, as malloc does: after a give-back it reads as zero.
//
// Example (what seastar/smp does):
//
//     seastar::memory::configure(8ull << 30, 4);          // 8 GiB split among 4 shards
//     // on shard thread i:
//     seastar::memory::internal::init_shard(i);
//     void* p = seastar::memory::allocate(100);
//     seastar::memory::free(p);                           // any thread may free it
//     seastar::memory::drain_cross_shard_frees();         // owner, from its poller
//
// The malloc/operator new override is a separate target, //seastar/memory:malloc_override,
// which programs on app_template link by default (opt-out: --define seastar_allocator=system).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace seastar::memory {

// Granularity of the page/span allocator.
inline constexpr size_t page_size = 4096;
// Requests up to this size are served from per-shard size-class free lists.
inline constexpr size_t max_small_allocation = 16384;
// Alignment of every pointer returned by allocate().
inline constexpr size_t default_alignment = 16;
// Number of small-object size classes.
inline constexpr unsigned nr_size_classes = 36;

// Reserves the address space for `nr_shards` shards and gives each `total_bytes / nr_shards`
// (rounded down to whole pages) as its limit. `numa_nodes[i]`, when given, is the NUMA node
// shard i's memory is placed on (preferred policy); an empty vector leaves placement to the
// kernel. Throws std::logic_error if called twice or with nr_shards == 0 or a limit below
// one page, std::system_error if the address space cannot be reserved.
void configure(size_t total_bytes, unsigned nr_shards, std::vector<int> numa_nodes = {});

// True once configure() has succeeded.
bool is_configured() noexcept;

// Number of shards configure() set up (0 before).
unsigned nr_shards() noexcept;

// Allocates `size` bytes aligned to default_alignment. Returns nullptr on failure.
void* allocate(size_t size) noexcept;

// Allocates `size` bytes aligned to `align`, which must be a power of two (any size, up to
// what the shard can form contiguously). Returns nullptr on failure or a bad alignment.
void* allocate_aligned(size_t align, size_t size) noexcept;

// Frees memory from allocate()/allocate_aligned(), on any thread. nullptr is ignored.
void free(void* ptr) noexcept;
// Same; the size is a hint and may be ignored.
void free(void* ptr, size_t size) noexcept;

// Resizes like realloc(): may move; nullptr in means allocate; on failure returns nullptr
// and leaves `ptr` untouched. A size of 0 frees and returns nullptr.
void* reallocate(void* ptr, size_t size) noexcept;

// Bytes usable at `ptr` (at least the size requested). 0 for nullptr.
size_t usable_size(void* ptr) noexcept;

// Owner of `ptr`: shard id, or -1 for the shared heap of non-shard threads, or -2 for
// memory this allocator did not hand out.
int owner_shard(const void* ptr) noexcept;

// Sends the calling shard's pending batches of other shards' memory to their owners, then
// frees everything other threads returned to the calling shard. Cheap (a thread-local test
// and one relaxed load) when nothing is pending. A no-op on non-shard threads.
void drain_cross_shard_frees() noexcept;

// Gives every free page of the calling thread's heap (its shard, or the shared heap) back to
// the operating system now, after flushing the large-block cache and the size classes' empty
// spans. Returns the bytes released. Costs a walk of the free spans and madvise calls.
size_t release_free_memory() noexcept;

// When set, an allocation failure calls std::abort() after printing a message, instead of
// returning nullptr. Off by default. Process-wide.
void set_abort_on_allocation_failure(bool enabled) noexcept;

// Large-allocation warnings (Seastar's API, also reachable as seastar/core/memory.hh).
// A large allocation (over max_small_allocation bytes: small ones never reach the check)
// of at least the calling thread's threshold is handed, once it succeeded and outside the
// allocator's locks, to the reporter installed with internal::set_large_allocation_reporter()
// (//seastar/util:memory_diagnostics installs one that logs a warning with a backtrace;
// the reactor links it). Allocations made by the reporter are not reported. The threshold is
// per thread (per shard, as in Seastar) and off by default.
void set_large_allocation_warning_threshold(size_t threshold) noexcept;
size_t get_large_allocation_warning_threshold() noexcept;
// Sets the threshold to "never".
void disable_large_allocation_warning() noexcept;

// Per-heap statistics, a snapshot (taking it allocates nothing). Byte counts are in bytes.
class statistics {
public:
    struct size_class_stats {
        size_t object_size = 0; // bytes per object in this class
        size_t objects_in_use = 0;
        size_t spans = 0;      // spans currently owned by the class
        size_t span_bytes = 0; // bytes of those spans (used + free objects)
    };

    size_t total_memory() const noexcept { return _total; }
    size_t free_memory() const noexcept { return _total - _allocated; }
    // Pages in use: small-object spans and large allocations (not blocks waiting in the
    // large-block cache, which count as free).
    size_t allocated_memory() const noexcept { return _allocated; }
    size_t mallocs() const noexcept { return _mallocs; }
    size_t frees() const noexcept { return _frees; }
    // Objects this heap sent back to other owners.
    size_t cross_cpu_frees() const noexcept { return _cross_cpu_frees; }
    // Objects other threads returned to this heap and that it reclaimed.
    size_t cross_cpu_frees_received() const noexcept { return _cross_received; }
    size_t failed_allocations() const noexcept { return _failed; }
    size_t large_allocations() const noexcept { return _large_allocs; }
    // Largest contiguous free range, i.e. the largest allocation that can succeed now
    // (blocks in the large-block cache count as free and merged with their free neighbours,
    // as an allocation would merge them before failing).
    size_t largest_free_span() const noexcept { return _largest_free_span; }
    size_t reclaims() const noexcept { return _reclaims; }
    // Large allocations served by the large-block cache (included in large_allocations()).
    size_t large_cache_hits() const noexcept { return _cache_hits; }
    // Times the large-block cache was merged back into the free space (memory pressure,
    // release_free_memory(), a lower shard limit; never stats()).
    size_t large_cache_flushes() const noexcept { return _cache_flushes; }
    // Bytes of free memory given back to the operating system so far (each counted as it
    // was believed resident when given back), and how many madvise calls did it.
    size_t released_memory() const noexcept { return _released; }
    size_t releases() const noexcept { return _releases; }
    // Upper bound of the free memory still resident (not given back), blocks in the
    // large-block cache included.
    size_t resident_free_memory() const noexcept { return _resident_free; }
    const std::array<size_class_stats, nr_size_classes>& size_classes() const noexcept { return _classes; }

    // Filled by the allocator.
    size_t _total = 0;
    size_t _allocated = 0;
    size_t _mallocs = 0;
    size_t _frees = 0;
    size_t _cross_cpu_frees = 0;
    size_t _cross_received = 0;
    size_t _failed = 0;
    size_t _large_allocs = 0;
    size_t _largest_free_span = 0;
    size_t _reclaims = 0;
    size_t _cache_hits = 0;
    size_t _cache_flushes = 0;
    size_t _released = 0;
    size_t _releases = 0;
    size_t _resident_free = 0;
    std::array<size_class_stats, nr_size_classes> _classes{};
};

// Statistics of the calling thread's heap.
statistics stats() noexcept;

enum class reclaiming_result { reclaimed_nothing, reclaimed_something };

// Registers, for the lifetime of the object, a function the calling shard's allocator
// calls when an allocation is about to fail; it should free memory (caches) and say whether
// it did. Called on the owning shard, inside the failing allocation: it may free and
// allocate, but its own allocation failures do not recurse into reclaimers. Must be
// destroyed on the shard that created it. On non-shard threads, registration is a no-op.
class reclaimer {
public:
    struct request {
        size_t bytes_to_reclaim;
    };
    explicit reclaimer(std::function<reclaiming_result(request)> fn);
    explicit reclaimer(std::function<reclaiming_result()> fn);
    ~reclaimer();
    reclaimer(const reclaimer&) = delete;
    reclaimer& operator=(const reclaimer&) = delete;

    reclaiming_result do_reclaim(size_t bytes) { return _fn(request{bytes}); }

    // Intrusive links in the owning heap's list (no allocation while registering).
    reclaimer* _next = nullptr;
    reclaimer* _prev = nullptr;
    void* _heap = nullptr;

private:
    std::function<reclaiming_result(request)> _fn;
};

namespace internal {

// Binds the calling thread to shard `shard_id` (< nr_shards()). Throws std::logic_error if
// not configured, the id is out of range, or another live thread is bound to that shard.
// The binding ends when the thread exits (or release_shard() is called); a later thread may
// then take the same shard and its memory.
void init_shard(unsigned shard_id);

// Ends the calling thread's binding early (it becomes a non-shard thread). No-op if unbound.
void release_shard() noexcept;

// Shard the calling thread is bound to, or -1.
int current_shard() noexcept;

// Failure injection for tests: the Nth allocation on the calling thread's heap from now
// (1 = the next one) fails, once. 0 disarms.
void fail_nth_allocation(uint64_t n) noexcept;

// The function large allocations are reported to (see set_large_allocation_warning_
// threshold); nullptr: none. Process-wide; the reporter runs on the allocating thread.
using large_allocation_reporter = void (*)(size_t size) noexcept;
void set_large_allocation_reporter(large_allocation_reporter reporter) noexcept;
// Allocations left on the calling thread's heap until the failure fail_nth_allocation()
// armed (that allocation included); 0 when none is armed (or it has happened).
uint64_t injected_failure_countdown() noexcept;
// While suspended (calls nest), the calling thread's heap fails no allocation on purpose
// and does not count allocations towards an armed failure; resuming re-arms what was left.
// Critical allocation sections (seastar/core/memory.hh) and the failure injector's guards
// suspend it.
void suspend_failure_injection() noexcept;
void resume_failure_injection() noexcept;
// Lowers (or restores, up to the configured value) the calling shard's limit, for tests.
// Returns false on a non-shard thread or if the request exceeds the configured limit.
bool set_shard_limit(size_t bytes) noexcept;

} // namespace internal

} // namespace seastar::memory
