#include "seastar/core/memory.hh"

#include <cstdlib>

#include "gtest/gtest.h"

namespace seastar::memory {
namespace {

TEST(core_memory, free_memory_follows_allocations) {
    // On a thread that is not a shard, the shared heap serves seastar::memory::allocate.
    auto s = stats();
    EXPECT_EQ(s.free_memory(), s.total_memory() - s.allocated_memory());
    size_t before = free_memory();
    void* big = allocate(1 << 20);
    ASSERT_NE(big, nullptr);
    EXPECT_LE(free_memory() + (1 << 20), before);
    free(big);
}

TEST(core_memory, critical_sections_nest) {
    EXPECT_FALSE(is_critical_alloc_section());
    {
        scoped_critical_alloc_section a;
        {
            scoped_critical_alloc_section b;
            EXPECT_TRUE(is_critical_alloc_section());
        }
        EXPECT_TRUE(is_critical_alloc_section());
    }
    EXPECT_FALSE(is_critical_alloc_section());
}

} // namespace
} // namespace seastar::memory
