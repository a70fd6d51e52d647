#include "seastar/memory/memory.hh"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace seastar::memory {
namespace {

constexpr unsigned test_shards = 8;
constexpr size_t shard_limit = size_t(32) << 20;

void ensure_configured() {
    static std::once_flag once;
    std::call_once(once, [] { configure(shard_limit * test_shards, test_shards); });
}

// Runs fn on a new thread bound to `shard`, as seastar/smp will.
template <typename Fn>
void on_shard(unsigned shard, Fn fn) {
    ensure_configured();
    std::thread t([&] {
        internal::init_shard(shard);
        fn();
    });
    t.join();
}

TEST(memory, configuration_errors_are_reported) {
    ensure_configured();
    EXPECT_TRUE(is_configured());
    EXPECT_EQ(nr_shards(), test_shards);
    EXPECT_THROW(configure(1 << 30, 2), std::logic_error);
    EXPECT_EQ(internal::current_shard(), -1);
    std::thread([] { EXPECT_THROW(internal::init_shard(test_shards), std::logic_error); }).join();
    on_shard(0, [] {
        EXPECT_EQ(internal::current_shard(), 0);
        EXPECT_THROW(internal::init_shard(1), std::logic_error) << "already a shard";
        std::thread([] { EXPECT_THROW(internal::init_shard(0), std::logic_error) << "taken"; }).join();
    });
    // The binding ended with the thread: the shard can be taken again.
    on_shard(0, [] { EXPECT_EQ(internal::current_shard(), 0); });
    on_shard(0, [] {
        internal::release_shard();
        EXPECT_EQ(internal::current_shard(), -1);
        internal::init_shard(0);
        EXPECT_EQ(internal::current_shard(), 0);
    });
}

TEST(memory, entry_points_on_a_shard) {
    on_shard(1, [] {
        auto before = stats();
        EXPECT_EQ(before.total_memory(), shard_limit);
        void* p = allocate(100);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(owner_shard(p), 1);
        EXPECT_EQ(uintptr_t(p) % default_alignment, 0u);
        EXPECT_GE(usable_size(p), 100u);
        std::memset(p, 7, 100);
        void* big = allocate(3 << 20);
        ASSERT_NE(big, nullptr);
        EXPECT_EQ(owner_shard(big), 1);
        auto during = stats();
        EXPECT_EQ(during.mallocs(), before.mallocs() + 2);
        EXPECT_EQ(during.large_allocations(), before.large_allocations() + 1);
        EXPECT_GE(during.allocated_memory(), before.allocated_memory() + (3 << 20));
        EXPECT_EQ(during.free_memory(), during.total_memory() - during.allocated_memory());
        EXPECT_GE(during.size_classes().at(6).objects_in_use, 1u) << "100 bytes is the 112-byte class";
        EXPECT_EQ(during.size_classes().at(6).object_size, 112u);
        free(p);
        free(big, 3 << 20);
        free(nullptr);
        auto after = stats();
        EXPECT_EQ(after.frees(), before.frees() + 2);
        EXPECT_EQ(after.size_classes().at(6).objects_in_use, before.size_classes().at(6).objects_in_use);
        EXPECT_EQ(usable_size(nullptr), 0u);
        int local = 0;
        EXPECT_EQ(owner_shard(&local), -2);
    });
}

TEST(memory, aligned_allocation_of_any_power_of_two) {
    on_shard(2, [] {
        for (size_t align = 1; align <= (size_t(4) << 20); align *= 2) {
            for (size_t size : {size_t(0), size_t(1), size_t(100), align, size_t(70000)}) {
                void* p = allocate_aligned(align, size);
                ASSERT_NE(p, nullptr) << align << " " << size;
                EXPECT_EQ(uintptr_t(p) % align, 0u) << align << " " << size;
                EXPECT_GE(usable_size(p), size);
                std::memset(p, 0x5a, size);
                free(p);
            }
        }
        errno = 0;
        EXPECT_EQ(allocate_aligned(48, 10), nullptr);
        EXPECT_EQ(errno, EINVAL);
        EXPECT_EQ(allocate_aligned(0, 10), nullptr);
    });
}

TEST(memory, reallocate_grows_and_shrinks_keeping_contents) {
    on_shard(3, [] {
        auto* p = static_cast<unsigned char*>(reallocate(nullptr, 10));
        ASSERT_NE(p, nullptr);
        for (int i = 0; i < 10; ++i) {
            p[i] = (unsigned char)i;
        }
        size_t size = 10;
        for (size_t next : {size_t(100), size_t(5000), size_t(100000), size_t(3 << 20), size_t(50), size_t(7)}) {
            auto* q = static_cast<unsigned char*>(reallocate(p, next));
            ASSERT_NE(q, nullptr);
            EXPECT_GE(usable_size(q), next);
            for (size_t i = 0; i < std::min(size, next); ++i) {
                ASSERT_EQ(q[i], (unsigned char)i) << "byte " << i << " after resizing to " << next;
            }
            for (size_t i = size; i < next; ++i) {
                q[i] = (unsigned char)i;
            }
            p = q;
            size = next;
        }
        // A shrink that keeps most of the block stays in place.
        void* a = allocate(1000);
        EXPECT_EQ(reallocate(a, 900), a);
        // Failure leaves the block untouched.
        EXPECT_EQ(reallocate(a, size_t(1) << 40), nullptr);
        EXPECT_GE(usable_size(a), 900u);
        free(a);
        EXPECT_EQ(reallocate(p, 0), nullptr);
    });
}

TEST(memory, non_shard_threads_use_a_shared_thread_safe_heap) {
    ensure_configured();
    void* mine = allocate(64);
    ASSERT_NE(mine, nullptr);
    EXPECT_EQ(owner_shard(mine), -1);
    auto s = stats();
    EXPECT_GT(s.total_memory(), 0u);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t] {
            std::mt19937 rng(t);
            std::vector<std::pair<unsigned char*, size_t>> live;
            for (int i = 0; i < 3000; ++i) {
                if (live.size() < 100 && rng() % 2) {
                    size_t n = 1 + rng() % (rng() % 10 == 0 ? 100000 : 300);
                    auto* p = static_cast<unsigned char*>(allocate(n));
                    ASSERT_NE(p, nullptr);
                    EXPECT_EQ(owner_shard(p), -1);
                    std::memset(p, t + 1, n);
                    live.emplace_back(p, n);
                } else if (!live.empty()) {
                    auto [p, n] = live.back();
                    live.pop_back();
                    ASSERT_EQ(p[0], t + 1);
                    ASSERT_EQ(p[n - 1], t + 1);
                    free(p);
                }
            }
            for (auto [p, n] : live) {
                free(p);
            }
            drain_cross_shard_frees(); // a no-op here
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    // Memory of the shared heap may be freed by a shard, and a shard's by a non-shard thread.
    void* from_shard = nullptr;
    on_shard(4, [&] {
        free(mine);
        from_shard = allocate(200);
        EXPECT_EQ(stats().cross_cpu_frees(), 1u);
    });
    EXPECT_EQ(owner_shard(from_shard), 4);
    free(from_shard);
    on_shard(4, [] {
        // init_shard reclaimed what arrived while no thread was bound to the shard.
        EXPECT_EQ(stats().cross_cpu_frees_received(), 1u);
        EXPECT_EQ(stats().size_classes().at(11).objects_in_use, 0u);
    });
}

// A bounded hand-off queue between two test threads.
struct channel {
    std::mutex m;
    std::condition_variable cv;
    std::deque<void*> q;
    bool closed = false;
    void push(void* p) {
        std::lock_guard<std::mutex> g(m);
        q.push_back(p);
        cv.notify_one();
    }
    void close() {
        std::lock_guard<std::mutex> g(m);
        closed = true;
        cv.notify_one();
    }
    // Takes what is there; false once closed and empty.
    bool pop_all(std::deque<void*>& out) {
        std::unique_lock<std::mutex> g(m);
        cv.wait(g, [&] { return !q.empty() || closed; });
        out.swap(q);
        return !out.empty() || !closed;
    }
};

TEST(memory, cross_shard_frees_under_load_return_to_their_owner) {
    ensure_configured();
    constexpr unsigned n = 3; // shards 5, 6, 7: each sends to the next
    constexpr int per_shard = 20000;
    channel ch[n];
    std::atomic<unsigned> done{0};
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            internal::init_shard(5 + i);
            auto base = stats();
            channel& out = ch[(i + 1) % n];
            channel& in = ch[i];
            std::thread receiver_unused;
            std::mt19937 rng(i);
            // Produce, then consume what the previous shard sent until it is closed.
            for (int k = 0; k < per_shard; ++k) {
                size_t size = k % 100 == 0 ? 20000 + rng() % 50000 : 16 + rng() % 500;
                auto* p = static_cast<unsigned char*>(allocate(size));
                ASSERT_NE(p, nullptr);
                p[0] = (unsigned char)(5 + i);
                p[size - 1] = 0xee;
                out.push(p);
                if (k % 256 == 0) {
                    drain_cross_shard_frees();
                }
            }
            out.close();
            std::deque<void*> batch;
            size_t received = 0;
            while (in.pop_all(batch)) {
                for (void* p : batch) {
                    EXPECT_EQ(owner_shard(p), int(5 + (i + n - 1) % n));
                    EXPECT_EQ(*static_cast<unsigned char*>(p), (unsigned char)(5 + (i + n - 1) % n));
                    free(p);
                    ++received;
                }
                batch.clear();
                drain_cross_shard_frees();
            }
            EXPECT_EQ(received, size_t(per_shard));
            EXPECT_EQ(stats().cross_cpu_frees() - base.cross_cpu_frees(), size_t(per_shard));
            done.fetch_add(1);
            // Every shard has sent everything back once all are done freeing.
            while (done.load() < n) {
                std::this_thread::yield();
            }
            drain_cross_shard_frees();
            auto end = stats();
            EXPECT_EQ(end.cross_cpu_frees_received() - base.cross_cpu_frees_received(), size_t(per_shard));
            EXPECT_EQ(end.mallocs() - base.mallocs(), end.frees() - base.frees()) << "everything came home";
        });
    }
    for (auto& t : threads) {
        t.join();
    }
}

TEST(memory, a_shard_sends_other_shards_memory_in_batches_flushed_by_its_poller) {
    ensure_configured();
    // Shard 4 owns the objects; a thread bound to shard 0 frees them.
    on_shard(4, [] {
        std::vector<void*> objs;
        for (int i = 0; i < 100; ++i) {
            objs.push_back(allocate(64));
        }
        auto received = [] {
            drain_cross_shard_frees();
            return stats().cross_cpu_frees_received();
        };
        size_t base = received();
        std::promise<void> freed_few, checked_few, flushed, checked_flush, freed_many, checked_many;
        std::thread sender([&] {
            internal::init_shard(0);
            for (int i = 0; i < 10; ++i) {
                free(objs[i]);
            }
            freed_few.set_value();
            checked_few.get_future().wait();
            drain_cross_shard_frees(); // the sender's poller sends its pending batch
            flushed.set_value();
            checked_flush.get_future().wait();
            for (int i = 10; i < 100; ++i) { // 90 more: two full batches leave on their own
                free(objs[i]);
            }
            freed_many.set_value();
            checked_many.get_future().wait();
            // The thread ends with 26 still pending: leaving the shard sends them.
        });
        freed_few.get_future().wait();
        EXPECT_EQ(received(), base) << "a partial batch waits for the sender's poller";
        checked_few.set_value();
        flushed.get_future().wait();
        EXPECT_EQ(received(), base + 10);
        checked_flush.set_value();
        freed_many.get_future().wait();
        EXPECT_EQ(received(), base + 10 + 64) << "full batches are sent at once";
        checked_many.set_value();
        sender.join();
        EXPECT_EQ(received(), base + 100) << "nothing stays behind with a thread that leaves its shard";
    });
}

TEST(memory, exhausting_the_limit_fails_allocations_then_recovers) {
    on_shard(1, [] {
        ASSERT_TRUE(internal::set_shard_limit(8 << 20));
        auto base = stats();
        std::vector<void*> v;
        size_t bytes = 0;
        // Large blocks until they no longer fit, then smaller ones into what is left.
        for (size_t size : {size_t(200000), size_t(3000), size_t(100)}) {
            for (int i = 0; i < 200000; ++i) {
                void* p = allocate(size);
                if (!p) {
                    break;
                }
                bytes += size;
                v.push_back(p);
            }
        }
        EXPECT_GT(bytes, size_t(6) << 20);
        EXPECT_EQ(allocate(1 << 20), nullptr);
        EXPECT_EQ(allocate(100), nullptr);
        EXPECT_EQ(allocate_aligned(4096, 100000), nullptr);
        EXPECT_GE(stats().failed_allocations(), base.failed_allocations() + 3);
        EXPECT_LT(stats().largest_free_span(), size_t(1) << 20);
        for (void* p : v) {
            free(p);
        }
        void* big = allocate(7 << 20);
        EXPECT_NE(big, nullptr) << "freed memory merges back into contiguous space";
        free(big);
        EXPECT_TRUE(internal::set_shard_limit(shard_limit));
        EXPECT_FALSE(internal::set_shard_limit(shard_limit * 2));
    });
}

TEST(memory, reclaimers_run_before_an_allocation_fails) {
    on_shard(2, [] {
        ASSERT_TRUE(internal::set_shard_limit(4 << 20));
        std::vector<void*> cache;
        for (int i = 0; i < 30; ++i) {
            cache.push_back(allocate(100 << 10));
        }
        int calls = 0;
        size_t asked = 0;
        {
            reclaimer r([&](reclaimer::request req) {
                ++calls;
                asked = req.bytes_to_reclaim;
                if (cache.empty()) {
                    return reclaiming_result::reclaimed_nothing;
                }
                for (int i = 0; i < 4 && !cache.empty(); ++i) {
                    free(cache.back());
                    cache.pop_back();
                }
                return reclaiming_result::reclaimed_something;
            });
            int nothing_calls = 0;
            reclaimer idle([&] {
                ++nothing_calls;
                return reclaiming_result::reclaimed_nothing;
            });
            void* p = allocate(2 << 20);
            EXPECT_NE(p, nullptr);
            EXPECT_GE(calls, 1);
            EXPECT_GE(nothing_calls, 1);
            EXPECT_GE(asked, size_t(4096));
            EXPECT_GE(stats().reclaims(), 1u);
            free(p);
            // With nothing left to reclaim, the allocation fails rather than looping.
            void* q = allocate(8 << 20);
            EXPECT_EQ(q, nullptr);
        }
        // Unregistered: not called again.
        int before = calls;
        EXPECT_EQ(allocate(8 << 20), nullptr);
        EXPECT_EQ(calls, before);
        for (void* p : cache) {
            free(p);
        }
        EXPECT_TRUE(internal::set_shard_limit(shard_limit));
    });
}

TEST(memory, failure_injection_fails_the_nth_allocation) {
    on_shard(3, [] {
        auto base = stats().failed_allocations();
        internal::fail_nth_allocation(2);
        void* a = allocate(10);
        void* b = allocate(10);
        void* c = allocate(10);
        EXPECT_NE(a, nullptr);
        EXPECT_EQ(b, nullptr);
        EXPECT_NE(c, nullptr);
        EXPECT_EQ(stats().failed_allocations(), base + 1);
        free(a);
        free(c);
    });
    // And on the shared heap.
    ensure_configured();
    internal::fail_nth_allocation(1);
    EXPECT_EQ(allocate(10), nullptr);
    void* d = allocate(10);
    EXPECT_NE(d, nullptr);
    free(d);
}

TEST(memory, randomized_stress_with_shadow_contents) {
    on_shard(0, [] {
        std::mt19937_64 rng(99);
        struct block {
            unsigned char* p;
            size_t size;
            unsigned char fill;
        };
        std::vector<block> live;
        auto check = [](const block& b) {
            for (size_t i = 0; i < b.size; i += 1 + b.size / 32) {
                ASSERT_EQ(b.p[i], b.fill);
            }
            ASSERT_EQ(b.p[b.size - 1], b.fill);
        };
        for (int step = 0; step < 30000; ++step) {
            unsigned op = rng() % 10;
            if (live.empty() || (op < 5 && live.size() < 600)) {
                size_t size = 1 + (rng() % 20 == 0 ? rng() % (300 << 10) : rng() % 2000);
                auto* p = static_cast<unsigned char*>(
                    rng() % 10 == 0 ? allocate_aligned(size_t(64) << (rng() % 8), size) : allocate(size));
                ASSERT_NE(p, nullptr) << size << " bytes; in use " << stats().allocated_memory() << ", largest free "
                                      << stats().largest_free_span();
                auto fill = (unsigned char)rng();
                std::memset(p, fill, size);
                live.push_back({p, size, fill});
            } else if (op < 7) {
                size_t i = rng() % live.size();
                check(live[i]);
                size_t size = 1 + rng() % 40000;
                auto* q = static_cast<unsigned char*>(reallocate(live[i].p, size));
                ASSERT_NE(q, nullptr);
                for (size_t k = 0; k < std::min(size, live[i].size); k += 97) {
                    ASSERT_EQ(q[k], live[i].fill);
                }
                std::memset(q, live[i].fill, size);
                live[i].p = q;
                live[i].size = size;
            } else {
                size_t i = rng() % live.size();
                check(live[i]);
                free(live[i].p);
                live[i] = live.back();
                live.pop_back();
            }
        }
        for (auto& b : live) {
            check(b);
            free(b.p);
        }
    });
}

size_t resident_bytes() {
    FILE* f = std::fopen("/proc/self/statm", "r");
    size_t size = 0, resident = 0;
    if (!f || std::fscanf(f, "%zu %zu", &size, &resident) != 2) {
        ADD_FAILURE() << "cannot read /proc/self/statm";
    }
    if (f) {
        std::fclose(f);
    }
    return resident * size_t(::sysconf(_SC_PAGESIZE));
}

TEST(memory, large_blocks_are_reused_and_free_memory_goes_back_to_the_os) {
    on_shard(3, [] {
        auto base = stats();
        void* a = allocate(64 << 10);
        ASSERT_NE(a, nullptr);
        free(a);
        EXPECT_EQ(allocate(64 << 10), a) << "served by the large-block cache";
        EXPECT_EQ(stats().large_cache_hits(), base.large_cache_hits() + 1);
        EXPECT_EQ(stats().large_allocations(), base.large_allocations() + 2);
        free(a);

        constexpr size_t big = size_t(24) << 20;
        size_t rss0 = resident_bytes();
        auto* p = static_cast<unsigned char*>(allocate(big));
        ASSERT_NE(p, nullptr);
        std::memset(p, 0xab, big);
        size_t rss1 = resident_bytes();
        EXPECT_GE(rss1, rss0 + big * 3 / 4) << "the block was touched";
        size_t released = stats().released_memory();
        free(p);
        size_t rss2 = resident_bytes();
        EXPECT_LE(rss2 + big * 3 / 4, rss1) << "freeing a large block gave it back";
        EXPECT_GE(stats().released_memory(), released + big);
        // Memory handed out again after a give-back reads as zero, and is usable. (Other
        // pages of the new block may hold anything earlier tests left: contents are
        // unspecified, as with malloc.)
        auto* q = static_cast<unsigned char*>(allocate(big));
        ASSERT_NE(q, nullptr);
        size_t overlap = 0;
        for (size_t i = 0; i < big; i += 4096) {
            if (q + i >= p && q + i < p + big) {
                ASSERT_EQ(q[i], 0) << i;
                ++overlap;
            }
        }
        EXPECT_GT(overlap, 0u) << "the block reuses the range given back";
        std::memset(q, 1, big);
        free(q);
        release_free_memory();
        EXPECT_EQ(stats().resident_free_memory(), 0u);
        EXPECT_EQ(stats().large_cache_hits(), base.large_cache_hits() + 1);
    });
}

TEST(memory, stats_reads_without_flushing_the_large_block_cache) {
    on_shard(6, [] {
        constexpr size_t size = 96 << 10;
        release_free_memory(); // an empty cache, whatever earlier tests sent this shard
        void* a = allocate(size);
        ASSERT_NE(a, nullptr);
        free(a); // waits in the cache
        auto before = stats();
        auto again = stats();
        EXPECT_EQ(again.large_cache_flushes(), before.large_cache_flushes()) << "stats() flushed the cache";
        EXPECT_EQ(again.large_cache_hits(), before.large_cache_hits());
        EXPECT_EQ(again.allocated_memory(), before.allocated_memory());
        EXPECT_EQ(again.resident_free_memory(), before.resident_free_memory());
        EXPECT_GE(again.resident_free_memory(), size) << "the cached block is free and resident";
        EXPECT_GE(again.largest_free_span(), size) << "the cached block counts as free";
        EXPECT_EQ(again.largest_free_span(), before.largest_free_span());
        EXPECT_EQ(allocate(size), a) << "the block stayed in the cache";
        auto after = stats();
        EXPECT_EQ(after.large_cache_hits(), before.large_cache_hits() + 1);
        EXPECT_EQ(after.large_cache_flushes(), before.large_cache_flushes());
        EXPECT_EQ(after.allocated_memory(), before.allocated_memory() + size);
        free(a);
    });
}

} // namespace
} // namespace seastar::memory
