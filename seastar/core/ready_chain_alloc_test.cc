// Proves that a chain of then() on ready futures allocates nothing, by
// counting every operator new in this test binary (a replaced global
// operator new; under TSan, whose runtime owns operator new, the sanitizer's
// allocation hooks).
#include <atomic>
#include <cstdlib>
#include <new>

#include "gtest/gtest.h"
#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/loop.hh"
#include "seastar/core/when_all.hh"

namespace {
std::atomic<long> allocations{0};
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SEASTAR_COUNT_WITH_SANITIZER_HOOKS 1
#endif
#endif

#ifdef SEASTAR_COUNT_WITH_SANITIZER_HOOKS
// TSan's runtime owns operator new (it cannot be replaced), so count through
// its allocator hooks, which see every operator new and malloc.
#include <sanitizer/allocator_interface.h>

namespace {
void count_malloc(const volatile void*, std::size_t) {
    allocations.fetch_add(1, std::memory_order_relaxed);
}
void ignore_free(const volatile void*) {}
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
} // namespace
#else
void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
#endif

namespace seastar {
namespace {

long allocations_during(auto&& fn) {
    long before = allocations.load();
    fn();
    return allocations.load() - before;
}

TEST(ready_chain, counter_sees_allocations) {
    EXPECT_GE(allocations_during([] { delete new int(1); }), 1);
}

TEST(ready_chain, then_on_ready_futures_allocates_nothing) {
    int result = 0;
    auto n = allocations_during([&] {
        result = make_ready_future<int>(1)
                         .then([](int v) { return v + 1; })
                         .then([](int v) { return make_ready_future<int>(v * 2); })
                         .then_wrapped([](future<int> f) { return f.get() + 1; })
                         .finally([] {})
                         .handle_exception([](std::exception_ptr) { return 0; })
                         .then([](int v) { return v; })
                         .get();
    });
    EXPECT_EQ(result, 5);
    EXPECT_EQ(n, 0);
}

TEST(ready_chain, promise_set_before_then_allocates_nothing) {
    auto n = allocations_during([] {
        promise<int> p;
        auto f = p.get_future();
        p.set_value(3);
        EXPECT_EQ(std::move(f).then([](int v) { return v + 1; }).get(), 4);
    });
    EXPECT_EQ(n, 0);
}

TEST(ready_chain, ready_repeat_and_when_all_allocate_nothing) {
    auto n = allocations_during([] {
        int i = 0;
        repeat([&i] { return ++i == 100 ? stop_iteration::yes : stop_iteration::no; }).get();
        auto t = when_all(make_ready_future<int>(1), make_ready_future<>()).get();
        std::get<0>(t).get();
        std::get<1>(t).get();
    });
    EXPECT_EQ(n, 0);
}

future<int> ready_coroutine_body() {
    int a = co_await make_ready_future<int>(1);
    co_return a + 1;
}

TEST(ready_chain, awaiting_ready_futures_allocates_only_the_frame) {
    auto n = allocations_during([] { EXPECT_EQ(ready_coroutine_body().get(), 2); });
    EXPECT_LE(n, 1);
}

} // namespace
} // namespace seastar
