#include "seastar/util/alloc_failure_injector.hh"

#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace seastar::memory {
namespace {

// A container that keeps its invariant (size == items) only if it is exception safe.
struct journal {
    std::vector<int> items;
    size_t size = 0;
    void add(int v) {
        on_alloc_point();
        items.push_back(v); // allocation point above
        on_alloc_point();
        ++size;
    }
};

TEST(alloc_failure_injector, fails_each_point_in_turn) {
    int runs = 0;
    int failures_seen = 0;
    with_allocation_failures([&] {
        ++runs;
        journal j;
        try {
            j.add(1);
            j.add(2);
        } catch (const std::bad_alloc&) {
            ++failures_seen;
            throw;
        }
    });
    // 4 points: runs failing at 0..3, then one clean run.
    EXPECT_EQ(runs, 5);
    EXPECT_EQ(failures_seen, 4);
    EXPECT_FALSE(local_failure_injector().failed());
}

TEST(alloc_failure_injector, guards_and_critical_sections_suppress_failures) {
    auto& inj = local_failure_injector();
    inj.fail_after(0);
    {
        disable_failure_guard g;
        EXPECT_NO_THROW(on_alloc_point());
    }
    {
        scoped_critical_alloc_section c;
        EXPECT_TRUE(is_critical_alloc_section());
        EXPECT_NO_THROW(on_alloc_point());
    }
    EXPECT_FALSE(is_critical_alloc_section());
    EXPECT_THROW(on_alloc_point(), std::bad_alloc);
    EXPECT_TRUE(inj.failed());
    EXPECT_NO_THROW(on_alloc_point()); // fires once
}

TEST(alloc_failure_injector, callback_and_counting) {
    auto& inj = local_failure_injector();
    auto before = inj.alloc_count();
    on_alloc_point();
    on_alloc_point();
    EXPECT_EQ(inj.alloc_count(), before + 2);
    int called = 0;
    inj.fail_after(1);
    inj.run_with_callback([&] { ++called; },
                          [] {
                              on_alloc_point();
                              on_alloc_point(); // calls the callback instead of throwing
                              on_alloc_point();
                          });
    EXPECT_EQ(called, 1);
    // A bad_alloc that the injector did not cause propagates.
    EXPECT_THROW(with_allocation_failures([] { throw std::bad_alloc(); }), std::bad_alloc);
    EXPECT_THROW(with_allocation_failures([] { throw std::logic_error("x"); }), std::logic_error);
}

// On a shard thread the allocator's own allocations are allocation points too, counted
// through its fail-the-Nth-allocation hook.
TEST(alloc_failure_injector, allocations_on_a_shard_are_points) {
    static std::once_flag once;
    std::call_once(once, [] {
        if (!is_configured()) {
            configure(64 << 20, 1);
        }
    });
    std::thread shard([] {
        internal::init_shard(0);
        auto& inj = local_failure_injector();
        int runs = 0;
        int failures = 0;
        with_allocation_failures([&] {
            ++runs;
            void* a = allocate(64);
            if (!a) {
                ++failures;
                throw std::bad_alloc();
            }
            try {
                on_alloc_point();
            } catch (const std::bad_alloc&) {
                free(a);
                ++failures;
                throw;
            }
            void* b = allocate(100000); // a large allocation
            if (!b) {
                free(a);
                ++failures;
                throw std::bad_alloc();
            }
            free(a);
            free(b);
        });
        // Points: allocate, the marked point, allocate; then one clean run.
        EXPECT_EQ(runs, 4);
        EXPECT_EQ(failures, 3);

        // While a failure is armed, allocations count.
        inj.fail_after(1000);
        auto before = inj.alloc_count();
        for (int i = 0; i < 3; ++i) {
            free(allocate(32));
        }
        EXPECT_EQ(inj.alloc_count(), before + 3);

        // Critical sections and guards keep allocations from failing.
        inj.fail_after(0);
        {
            scoped_critical_alloc_section c;
            void* p = allocate(64);
            EXPECT_NE(p, nullptr);
            free(p);
        }
        {
            disable_failure_guard g;
            void* p = allocate(64);
            EXPECT_NE(p, nullptr);
            free(p);
        }
        EXPECT_FALSE(inj.failed());
        EXPECT_EQ(allocate(64), nullptr); // the armed point
        EXPECT_TRUE(inj.failed());
        void* p = allocate(64); // it fails once
        EXPECT_NE(p, nullptr);
        free(p);
        inj.cancel();
        internal::release_shard();
    });
    shard.join();
}

} // namespace
} // namespace seastar::memory
