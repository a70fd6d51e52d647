#include "seastar/util/alloc_failure_injector.hh"

#include <new>
#include <stdexcept>
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

} // namespace
} // namespace seastar::memory
