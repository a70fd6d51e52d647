#include "seastar/memory/internal/shard_heap.hh"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

namespace seastar::memory::internal {
namespace {

// A heap over its own mapping, unmapped at the end of the test.
class heap_fixture {
public:
    explicit heap_fixture(size_t limit) {
        _bytes = shard_heap::region_bytes_for(limit);
        _region = ::mmap(nullptr, _bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        EXPECT_NE(_region, MAP_FAILED);
        heap = shard_heap::create(_region, _bytes, limit);
        EXPECT_NE(heap, nullptr);
    }
    ~heap_fixture() { ::munmap(_region, _bytes); }
    shard_heap* heap;

private:
    void* _region;
    size_t _bytes;
};

TEST(size_classes, table_maps_every_size_to_the_smallest_class_that_holds_it) {
    for (size_t s = 0; s <= small_limit; ++s) {
        unsigned c = size_class_of(s);
        ASSERT_GE(class_size[c], s) << s;
        if (c > 0) {
            ASSERT_LT(class_size[c - 1], s) << s;
        }
    }
    for (unsigned c = 0; c < nr_size_classes; ++c) {
        EXPECT_EQ(class_size[c] % 16, 0u);
        EXPECT_GE(class_pages[c] * class_page_size / class_size[c], 1u);
    }
}

TEST(shard_heap, every_small_size_is_usable_aligned_and_reusable) {
    heap_fixture f(16 << 20);
    for (size_t s : {0, 1, 8, 15, 16, 17, 100, 128, 129, 1000, 4096, 5000, 16383, 16384}) {
        std::vector<void*> v;
        for (int i = 0; i < 100; ++i) {
            void* p = f.heap->allocate(s);
            ASSERT_NE(p, nullptr);
            EXPECT_EQ(uintptr_t(p) % 16, 0u);
            EXPECT_GE(f.heap->usable_size(p), s);
            std::memset(p, 0xab, f.heap->usable_size(p));
            v.push_back(p);
        }
        for (void* p : v) {
            f.heap->free_local(p);
        }
    }
    EXPECT_GT(f.heap->used_bytes(), 0u) << "each class keeps its current span";
    EXPECT_TRUE(f.heap->trim());
    EXPECT_EQ(f.heap->used_bytes(), 0u) << "empty small spans go back to the page allocator";
    EXPECT_FALSE(f.heap->trim());
}

TEST(shard_heap, large_allocations_are_page_granular_and_merge_back) {
    heap_fixture f(16 << 20);
    size_t whole = f.heap->largest_free_span_bytes();
    EXPECT_EQ(whole, size_t(16) << 20);
    void* a = f.heap->allocate(16385);
    void* b = f.heap->allocate(1 << 20);
    void* c = f.heap->allocate(70000);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(f.heap->usable_size(a), 5 * 4096u);
    EXPECT_EQ(f.heap->usable_size(b), size_t(1) << 20);
    EXPECT_EQ(uintptr_t(b) % 4096, 0u);
    f.heap->free_local(b);
    f.heap->free_local(a);
    f.heap->free_local(c);
    EXPECT_EQ(f.heap->used_bytes(), 0u);
    EXPECT_EQ(f.heap->largest_free_span_bytes(), whole);
    EXPECT_EQ(f.heap->counters().large_allocs, 3u);
}

TEST(shard_heap, aligned_allocations_of_every_power_of_two) {
    heap_fixture f(64 << 20);
    for (size_t align = 1; align <= (size_t(8) << 20); align *= 2) {
        for (size_t size : {size_t(1), size_t(24), align, align + 1, size_t(20000)}) {
            void* p = f.heap->allocate_aligned(align, size);
            ASSERT_NE(p, nullptr) << align << " " << size;
            EXPECT_EQ(uintptr_t(p) % align, 0u) << align << " " << size;
            EXPECT_GE(f.heap->usable_size(p), size);
            std::memset(p, 1, size);
            f.heap->free_local(p);
        }
    }
    EXPECT_EQ(f.heap->allocate_aligned(3, 10), nullptr);
    EXPECT_EQ(f.heap->allocate_aligned(0, 10), nullptr);
    f.heap->trim();
    EXPECT_EQ(f.heap->used_bytes(), 0u);
}

TEST(shard_heap, limit_fails_the_allocation_and_recovers) {
    heap_fixture f(4 << 20);
    EXPECT_EQ(f.heap->allocate(size_t(5) << 20), nullptr);
    EXPECT_EQ(f.heap->allocate(~size_t(0)), nullptr);
    EXPECT_EQ(f.heap->allocate_aligned(size_t(1) << 40, 1), nullptr);
    std::vector<void*> v;
    while (void* p = f.heap->allocate(1000)) {
        v.push_back(p);
    }
    EXPECT_GT(v.size(), 3000u);
    EXPECT_GE(f.heap->counters().failed, 4u);
    for (void* p : v) {
        f.heap->free_local(p);
    }
    void* big = f.heap->allocate(size_t(4) << 20);
    EXPECT_NE(big, nullptr) << "all small spans were returned and merged";
    f.heap->free_local(big);

    ASSERT_TRUE(f.heap->set_limit(1 << 20));
    EXPECT_EQ(f.heap->allocate(2 << 20), nullptr);
    EXPECT_NE(f.heap->allocate(1 << 19), nullptr);
    EXPECT_FALSE(f.heap->set_limit(size_t(1) << 30));
}

TEST(shard_heap, large_allocation_after_fragmentation) {
    constexpr size_t limit = 16 << 20;
    heap_fixture f(limit);
    constexpr size_t block = 64 << 10;
    std::vector<void*> blocks;
    while (void* p = f.heap->allocate(block)) {
        blocks.push_back(p);
    }
    ASSERT_EQ(blocks.size(), limit / block);
    // Free every other block: half the memory is free but no 128 KiB range is.
    for (size_t i = 0; i < blocks.size(); i += 2) {
        f.heap->free_local(blocks[i]);
        blocks[i] = nullptr;
    }
    EXPECT_EQ(f.heap->largest_free_span_bytes(), block);
    EXPECT_EQ(f.heap->allocate(2 * block), nullptr);
    // Free a run of neighbours: with the free blocks 8..18 around them they merge into one
    // span of 11 blocks, whatever order they come back in.
    for (size_t i : {13, 11, 15, 9, 17}) {
        f.heap->free_local(blocks[i]);
        blocks[i] = nullptr;
    }
    EXPECT_EQ(f.heap->largest_free_span_bytes(), 11 * block);
    void* big = f.heap->allocate(11 * block);
    ASSERT_NE(big, nullptr);
    f.heap->free_local(big);
    // Small objects scattered through the heap, then freed: everything merges again.
    std::vector<void*> smalls;
    for (int i = 0; i < 20000; ++i) {
        if (void* p = f.heap->allocate(48 + (i % 7) * 300)) {
            smalls.push_back(p);
        }
    }
    for (void* p : smalls) {
        f.heap->free_local(p);
    }
    for (void* p : blocks) {
        if (p) {
            f.heap->free_local(p);
        }
    }
    f.heap->trim();
    EXPECT_EQ(f.heap->used_bytes(), 0u);
    void* all = f.heap->allocate(limit);
    EXPECT_NE(all, nullptr) << "the whole limit is one span again";
    f.heap->free_local(all);
}

TEST(shard_heap, failure_injection_fails_exactly_the_nth_allocation) {
    heap_fixture f(4 << 20);
    void* warm = f.heap->allocate(32); // a current span exists: injection must bypass it
    f.heap->fail_nth(3);
    void* a = f.heap->allocate(32);
    void* b = f.heap->allocate(100000);
    void* c = f.heap->allocate(32);
    void* d = f.heap->allocate(32);
    EXPECT_NE(a, nullptr);
    EXPECT_NE(b, nullptr);
    EXPECT_EQ(c, nullptr);
    EXPECT_NE(d, nullptr);
    EXPECT_EQ(f.heap->counters().failed, 1u);
    for (void* p : {warm, a, b, d}) {
        f.heap->free_local(p);
    }
    f.heap->fail_nth(1);
    EXPECT_EQ(f.heap->allocate_aligned(64, 64), nullptr);
    f.heap->fail_nth(5);
    f.heap->fail_nth(0);
    for (int i = 0; i < 10; ++i) {
        void* p = f.heap->allocate(16);
        ASSERT_NE(p, nullptr);
        f.heap->free_local(p);
    }
}

TEST(shard_heap, pressure_hook_runs_before_failing) {
    heap_fixture f(1 << 20);
    static std::vector<void*>* cache;
    std::vector<void*> held;
    cache = &held;
    f.heap->set_pressure_hook([](shard_heap& h, size_t) {
        if (cache->empty()) {
            return false;
        }
        h.free_local(cache->back());
        cache->pop_back();
        return true;
    });
    for (int i = 0; i < 8; ++i) {
        held.push_back(f.heap->allocate(100 << 10));
    }
    void* p = f.heap->allocate(300 << 10);
    EXPECT_NE(p, nullptr);
    EXPECT_GE(f.heap->counters().reclaims, 1u);
    EXPECT_EQ(f.heap->counters().failed, 0u);
    f.heap->free_local(p);
    for (void* q : held) {
        f.heap->free_local(q);
    }
}

TEST(shard_heap, remote_frees_return_through_the_stack) {
    heap_fixture f(32 << 20);
    constexpr int n = 2000;
    std::vector<void*> v;
    for (int i = 0; i < n; ++i) {
        v.push_back(f.heap->allocate(i % 3 == 0 ? 20000 : 64));
        ASSERT_NE(v.back(), nullptr);
    }
    std::thread t1([&] {
        for (int i = 0; i < n; i += 2) {
            f.heap->push_remote(v[i]);
        }
    });
    std::thread t2([&] {
        for (int i = 1; i < n; i += 2) {
            f.heap->push_remote(v[i]);
        }
    });
    size_t got = 0;
    for (int spin = 0; spin < 1000 && got < size_t(n); ++spin) {
        got += f.heap->drain_remote();
        std::this_thread::yield();
    }
    t1.join();
    t2.join();
    got += f.heap->drain_remote();
    EXPECT_EQ(got, size_t(n));
    EXPECT_EQ(f.heap->drain_remote(), 0u);
    f.heap->trim();
    EXPECT_EQ(f.heap->used_bytes(), 0u);
    EXPECT_EQ(f.heap->counters().cross_frees_received, size_t(n));
}

TEST(shard_heap, randomized_stress_keeps_contents) {
    heap_fixture f(32 << 20);
    std::mt19937_64 rng(12345);
    struct block {
        size_t size;
        unsigned char fill;
    };
    std::map<char*, block> live;
    auto check_and_free = [&](std::map<char*, block>::iterator it) {
        char* p = it->first;
        for (size_t i = 0; i < it->second.size; i += 1 + it->second.size / 64) {
            ASSERT_EQ((unsigned char)p[i], it->second.fill) << "corrupted at " << i;
        }
        ASSERT_EQ((unsigned char)p[it->second.size - 1], it->second.fill);
        f.heap->free_local(p);
        live.erase(it);
    };
    for (int step = 0; step < 40000; ++step) {
        if (live.size() < 2000 && (rng() % 3 != 0 || live.empty())) {
            size_t r = rng() % 100;
            size_t size = r < 80 ? 1 + rng() % 512 : r < 95 ? 1 + rng() % 16384 : 1 + rng() % (512 << 10);
            size_t align = rng() % 8 == 0 ? size_t(1) << (rng() % 16) : 0;
            char* p = static_cast<char*>(align ? f.heap->allocate_aligned(align, size) : f.heap->allocate(size));
            if (!p) {
                continue;
            }
            if (align) {
                ASSERT_EQ(uintptr_t(p) % align, 0u);
            }
            auto fill = (unsigned char)rng();
            std::memset(p, fill, size);
            ASSERT_TRUE(live.emplace(p, block{size, fill}).second) << "handed out twice";
            auto it = live.find(p);
            if (it != live.begin()) {
                auto prev = std::prev(it);
                ASSERT_LE(prev->first + prev->second.size, p) << "overlaps the previous block";
            }
            if (std::next(it) != live.end()) {
                ASSERT_LE(p + size, std::next(it)->first) << "overlaps the next block";
            }
        } else {
            auto it = live.begin();
            std::advance(it, rng() % live.size());
            check_and_free(it);
        }
    }
    while (!live.empty()) {
        check_and_free(live.begin());
    }
    f.heap->trim();
    EXPECT_EQ(f.heap->used_bytes(), 0u);
}

TEST(shard_heap, empty_small_spans_kept_for_reuse_give_way_under_pressure) {
    constexpr size_t limit = 4 << 20;
    heap_fixture f(limit);
    const size_t per_span = class_pages[size_class_of(4096)] * class_page_size / 4096;
    const size_t n = 5 * per_span; // five spans' worth of 4 KiB objects
    std::vector<void*> v;
    for (size_t i = 0; i < n; ++i) {
        v.push_back(f.heap->allocate(4096));
        ASSERT_NE(v.back(), nullptr);
    }
    size_t spans = f.heap->class_spans(size_class_of(4096));
    EXPECT_EQ(spans, 5u);
    for (void* p : v) {
        f.heap->free_local(p);
    }
    // The current span and up to max_empty_spans empty ones stay with the class.
    EXPECT_EQ(f.heap->class_spans(size_class_of(4096)), 1 + shard_heap::max_empty_spans);
    EXPECT_GT(f.heap->used_bytes(), 0u);
    // Allocating again reuses them rather than building new spans.
    for (size_t i = 0; i < n; ++i) {
        v[i] = f.heap->allocate(4096);
    }
    EXPECT_EQ(f.heap->class_spans(size_class_of(4096)), 5u);
    for (void* p : v) {
        f.heap->free_local(p);
    }
    // The whole limit in one block: the kept spans must give way.
    void* all = f.heap->allocate(limit);
    ASSERT_NE(all, nullptr);
    EXPECT_EQ(f.heap->class_spans(size_class_of(4096)), 0u);
    f.heap->free_local(all);
    f.heap->trim();
    EXPECT_EQ(f.heap->used_bytes(), 0u);
}

// ---- the large-span cache --------------------------------------------------------------------

TEST(shard_heap, freed_large_spans_are_reused_from_the_cache_by_page_count) {
    heap_fixture f(16 << 20); // a sixteenth, 1 MiB, may be cached
    void* a = f.heap->allocate(64 << 10);
    ASSERT_NE(a, nullptr);
    f.heap->free_local(a);
    EXPECT_EQ(f.heap->cached_bytes(), size_t(64) << 10);
    EXPECT_EQ(f.heap->used_bytes(), 0u) << "cached spans are not in use";
    EXPECT_EQ(f.heap->allocate((64 << 10) - 100), a) << "same page count: a hit";
    EXPECT_EQ(f.heap->counters().cache_hits, 1u);
    EXPECT_EQ(f.heap->cached_bytes(), 0u);
    EXPECT_EQ(f.heap->usable_size(a), size_t(64) << 10);
    f.heap->free_local(a);
    void* b = f.heap->allocate(128 << 10); // another page count: a miss
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(f.heap->counters().cache_hits, 1u);
    EXPECT_EQ(f.heap->counters().large_allocs, 2u);
    void* c = f.heap->allocate_aligned(4096, 64 << 10); // page alignment: spans have it, a hit
    EXPECT_EQ(c, a);
    EXPECT_EQ(f.heap->counters().cache_hits, 2u);
    // Beyond the bound, freed spans are merged at once.
    std::vector<void*> v;
    for (int i = 0; i < 40; ++i) {
        v.push_back(f.heap->allocate(64 << 10));
        ASSERT_NE(v.back(), nullptr);
    }
    for (void* p : v) {
        f.heap->free_local(p);
    }
    EXPECT_EQ(f.heap->cached_bytes(), size_t(1) << 20);
    // Spans above the largest cached size never wait in it.
    void* big = f.heap->allocate((1 << 20) + 1);
    ASSERT_NE(big, nullptr);
    f.heap->set_cache_limit(size_t(8) << 20);
    f.heap->free_local(big);
    EXPECT_EQ(f.heap->cached_bytes(), size_t(1) << 20);
    for (void* p : {b, c}) {
        f.heap->free_local(p);
    }
    EXPECT_TRUE(f.heap->trim());
    EXPECT_EQ(f.heap->cached_bytes(), 0u);
    EXPECT_EQ(f.heap->largest_free_span_bytes(), size_t(16) << 20) << "everything merged back";
}

TEST(shard_heap, largest_free_span_counts_cached_spans_merged_without_flushing) {
    constexpr size_t mib = size_t(1) << 20;
    heap_fixture f(16 * mib);
    f.heap->set_cache_limit(2 * mib);
    std::vector<char*> v;
    for (int i = 0; i < 16; ++i) { // the whole limit, in spans of the largest cached size
        v.push_back(static_cast<char*>(f.heap->allocate(mib)));
        ASSERT_NE(v.back(), nullptr);
    }
    std::sort(v.begin(), v.end());
    for (size_t i = 1; i < v.size(); ++i) {
        ASSERT_EQ(v[i], v[i - 1] + mib) << "one contiguous range";
    }
    EXPECT_EQ(f.heap->largest_free_span_bytes(), 0u);
    f.heap->free_local(v[3]); // cached
    f.heap->free_local(v[5]); // cached: the cache is now full
    f.heap->free_local(v[4]); // merged at once, between the two cached spans
    f.heap->free_local(v[10]);
    EXPECT_EQ(f.heap->cached_bytes(), 2 * mib);
    auto flushes = f.heap->counters().cache_flushes;
    EXPECT_EQ(f.heap->largest_free_span_bytes(), 3 * mib) << "cached | free | cached";
    EXPECT_EQ(f.heap->largest_free_span_bytes(), 3 * mib);
    EXPECT_EQ(f.heap->counters().cache_flushes, flushes);
    EXPECT_EQ(f.heap->cached_bytes(), 2 * mib);
    EXPECT_EQ(f.heap->used_bytes(), 12 * mib);
    auto hits = f.heap->counters().cache_hits;
    EXPECT_EQ(f.heap->allocate(mib), v[5]) << "still in the cache (last in, first out)";
    EXPECT_EQ(f.heap->counters().cache_hits, hits + 1);
    EXPECT_EQ(f.heap->largest_free_span_bytes(), 2 * mib) << "cached | free";
    f.heap->free_local(v[5]);
    EXPECT_TRUE(f.heap->flush_cache());
    EXPECT_EQ(f.heap->largest_free_span_bytes(), 3 * mib) << "the figure a flush forms";
}

TEST(shard_heap, a_full_cache_is_flushed_before_an_allocation_fails) {
    constexpr size_t limit = 8 << 20;
    heap_fixture f(limit);
    f.heap->set_cache_limit(limit); // the whole heap may sit in the cache
    static int hook_calls;
    hook_calls = 0;
    f.heap->set_pressure_hook([](shard_heap&, size_t) {
        ++hook_calls;
        return false;
    });
    // Fill the heap with spans of every cached page count from 1 up, then free them all:
    // the cache holds the whole limit, scattered over many lists.
    std::vector<void*> v;
    for (size_t pages = 1;; pages = pages % shard_heap::cache_max_pages + 1) {
        void* p = f.heap->allocate(pages * 4096);
        if (!p) {
            break;
        }
        v.push_back(p);
    }
    EXPECT_EQ(hook_calls, 1) << "the heap really was full";
    hook_calls = 0;
    for (void* p : v) {
        f.heap->free_local(p);
    }
    size_t cached = f.heap->cached_bytes();
    EXPECT_GT(cached, limit * 3 / 4);
    // The whole limit as one block: only merging every cached span can form it, and it must
    // happen before the pressure hook or a failure.
    uint64_t failed = f.heap->counters().failed;
    void* all = f.heap->allocate(limit);
    ASSERT_NE(all, nullptr) << "the cache must be flushed before concluding there is no contiguous range";
    EXPECT_EQ(hook_calls, 0);
    EXPECT_EQ(f.heap->counters().failed, failed);
    EXPECT_GE(f.heap->counters().cache_flushes, 1u);
    EXPECT_EQ(f.heap->cached_bytes(), 0u);
    f.heap->free_local(all);

    // Same with a cached size that is simply not the one asked for, under the limit.
    std::vector<void*> w;
    while (void* p = f.heap->allocate(64 << 10)) {
        w.push_back(p);
    }
    EXPECT_EQ(hook_calls, 1);
    hook_calls = 0;
    for (void* p : w) {
        f.heap->free_local(p);
    }
    EXPECT_EQ(f.heap->cached_bytes(), limit);
    void* odd = f.heap->allocate(96 << 10);
    EXPECT_NE(odd, nullptr);
    EXPECT_EQ(hook_calls, 0);
    f.heap->free_local(odd);
    EXPECT_EQ(f.heap->largest_free_span_bytes(), limit);
}

TEST(shard_heap, failure_injection_bypasses_the_cache) {
    heap_fixture f(16 << 20);
    void* a = f.heap->allocate(64 << 10);
    f.heap->free_local(a);
    ASSERT_EQ(f.heap->cached_bytes(), size_t(64) << 10);
    f.heap->fail_nth(2);
    EXPECT_EQ(f.heap->cached_bytes(), 0u);
    void* b = f.heap->allocate(64 << 10);
    ASSERT_NE(b, nullptr);
    f.heap->free_local(b);
    EXPECT_EQ(f.heap->cached_bytes(), 0u) << "nothing is cached while armed";
    EXPECT_EQ(f.heap->allocate(64 << 10), nullptr) << "the second allocation fails, cache or not";
    void* c = f.heap->allocate(64 << 10);
    ASSERT_NE(c, nullptr);
    f.heap->free_local(c);
    EXPECT_EQ(f.heap->cached_bytes(), size_t(64) << 10) << "the cache works again once disarmed";
}

// ---- giving memory back --------------------------------------------------------------------

struct release_log {
    static std::vector<std::pair<char*, size_t>>& calls() {
        static std::vector<std::pair<char*, size_t>> v;
        return v;
    }
    static void hook(void* addr, size_t bytes) {
        calls().emplace_back(static_cast<char*>(addr), bytes);
        ::madvise(addr, bytes, MADV_DONTNEED);
    }
};

TEST(shard_heap, free_memory_is_given_back_lazily) {
    heap_fixture f(64 << 20);
    release_log::calls().clear();
    f.heap->set_release_hook(release_log::hook);
    f.heap->set_retain_bytes(2 << 20);
    f.heap->set_cache_limit(0);
    // Below the retain threshold, freed memory stays.
    auto* a = static_cast<char*>(f.heap->allocate(1 << 20));
    void* separator = f.heap->allocate(64 << 10); // keeps a's span apart from the rest
    std::memset(a, 0xab, 1 << 20);
    f.heap->free_local(a);
    EXPECT_TRUE(release_log::calls().empty());
    EXPECT_EQ(f.heap->resident_free_bytes(), size_t(1) << 20);
    // A long span freed above it goes back at once, exactly that span.
    auto* b = static_cast<char*>(f.heap->allocate(8 << 20));
    std::memset(b, 0xcd, 8 << 20);
    f.heap->free_local(b);
    ASSERT_EQ(release_log::calls().size(), 1u);
    EXPECT_EQ(release_log::calls()[0].first, b);
    EXPECT_EQ(release_log::calls()[0].second, size_t(8) << 20);
    EXPECT_EQ(f.heap->counters().released_bytes, size_t(8) << 20);
    EXPECT_EQ(f.heap->resident_free_bytes(), size_t(1) << 20);
    // Reused after the give-back: usable, and zero or the old contents, never garbage.
    auto* c = static_cast<char*>(f.heap->allocate(8 << 20));
    ASSERT_NE(c, nullptr);
    for (size_t i = 0; i < (size_t(8) << 20); i += 4096) {
        ASSERT_TRUE(c[i] == 0 || c[i] == char(0xcd)) << i;
    }
    std::memset(c, 1, 8 << 20);
    // Many short spans: none alone is long enough, the sweep gives them back once the
    // resident free memory has grown well past the threshold; a live block keeps its contents.
    std::vector<char*> v;
    for (int i = 0; i < 200; ++i) {
        v.push_back(static_cast<char*>(f.heap->allocate(64 << 10)));
        ASSERT_NE(v.back(), nullptr);
        std::memset(v.back(), 0x5a, 64 << 10);
    }
    size_t before = release_log::calls().size();
    for (int i = 0; i < 200; i += 2) {
        f.heap->free_local(v[i]); // every other one: 100 separate 64 KiB free spans
    }
    EXPECT_GT(release_log::calls().size(), before) << "swept";
    EXPECT_LE(f.heap->resident_free_bytes(), size_t(3) << 20) << "back near the threshold";
    for (auto& [addr, bytes] : release_log::calls()) {
        for (int i = 1; i < 200; i += 2) {
            ASSERT_TRUE(addr + bytes <= v[i] || addr >= v[i] + (64 << 10)) << "a live block was given back";
        }
    }
    for (int i = 1; i < 200; i += 2) {
        for (size_t k = 0; k < (64 << 10); k += 1024) {
            ASSERT_EQ(v[i][k], 0x5a);
        }
    }
    // Everything on request.
    EXPECT_GT(f.heap->release_free_memory(), 0u);
    EXPECT_EQ(f.heap->resident_free_bytes(), 0u);
    EXPECT_EQ(f.heap->release_free_memory(), 0u) << "nothing left to give back";
    for (int i = 1; i < 200; i += 2) {
        f.heap->free_local(v[i]);
    }
    f.heap->free_local(c);
    f.heap->free_local(separator);
    f.heap->release_free_memory();
    EXPECT_EQ(f.heap->resident_free_bytes(), 0u);
    EXPECT_EQ(f.heap->used_bytes(), 0u);
    EXPECT_EQ(f.heap->counters().releases, release_log::calls().size());
}

TEST(shard_heap, without_a_release_hook_nothing_is_given_back) {
    heap_fixture f(16 << 20);
    f.heap->set_retain_bytes(0);
    void* p = f.heap->allocate(4 << 20);
    f.heap->free_local(p);
    EXPECT_EQ(f.heap->release_free_memory(), 0u);
    EXPECT_EQ(f.heap->counters().released_bytes, 0u);
    EXPECT_EQ(f.heap->resident_free_bytes(), size_t(4) << 20);
}

} // namespace
} // namespace seastar::memory::internal
