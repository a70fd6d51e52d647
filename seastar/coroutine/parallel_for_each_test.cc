#include "seastar/coroutine/parallel_for_each.hh"

#include <stdexcept>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(coroutine_parallel_for_each, runs_all_at_once) {
    local_scheduler sched;
    auto co = []() -> future<int> {
        std::vector<int> v{1, 2, 3, 4};
        int started = 0, sum = 0;
        co_await coroutine::parallel_for_each(v, [&](int x) {
            ++started;
            return yield().then([&, x] {
                EXPECT_EQ(started, 4); // every call started before any finished
                sum += x;
            });
        });
        co_await coroutine::parallel_for_each(v.begin(), v.begin() + 2, [&](int x) { sum += x; });
        co_return sum;
    };
    EXPECT_EQ(sched.wait(co()), 13);
    auto failing = []() -> future<> {
        std::vector<int> v{1, 2};
        co_await coroutine::parallel_for_each(v, [](int x) {
            return x == 2 ? make_exception_future<>(std::runtime_error("two")) : make_ready_future<>();
        });
    };
    EXPECT_THROW(sched.wait(failing()), std::runtime_error);
}

} // namespace
} // namespace seastar
