#include "seastar/core/cacheline.hh"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace seastar {
namespace {

struct alignas(cache_line_size) padded_counter {
    std::atomic<long> v{0};
};

TEST(cacheline, separates_counters_written_by_different_threads) {
    static_assert(cache_line_size >= 64 && (cache_line_size & (cache_line_size - 1)) == 0);
    padded_counter c[2];
    EXPECT_GE(reinterpret_cast<char*>(&c[1]) - reinterpret_cast<char*>(&c[0]), long(cache_line_size));
    std::thread t([&] {
        for (int i = 0; i < 1000; ++i) {
            c[1].v.fetch_add(1, std::memory_order_relaxed);
        }
    });
    for (int i = 0; i < 1000; ++i) {
        c[0].v.fetch_add(1, std::memory_order_relaxed);
    }
    t.join();
    EXPECT_EQ(c[0].v.load() + c[1].v.load(), 2000);
}

} // namespace
} // namespace seastar
