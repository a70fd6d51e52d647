#include "seastar/coroutine/all.hh"

#include <stdexcept>
#include <string>
#include <tuple>

#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(coroutine_all, waits_for_every_callable_and_returns_their_values) {
    local_scheduler sched;
    int side = 0;
    auto co = [&]() -> future<int> {
        auto [a, b] = co_await coroutine::all([] { return yield().then([] { return 1; }); },
                                              [&] { side = 7; }, // void: left out of the tuple
                                              [] { return make_ready_future<std::string>("two"); });
        co_return a + int(b.size());
    };
    EXPECT_EQ(sched.wait(co()), 4);
    EXPECT_EQ(side, 7);
    auto failing = [&]() -> future<> {
        bool slow_done = false;
        try {
            co_await coroutine::all([] { return make_exception_future<>(std::runtime_error("fast")); },
                                    [&] { return yield().then([&] { slow_done = true; }); });
        } catch (const std::runtime_error&) {
            EXPECT_TRUE(slow_done); // thrown only after all finished
            throw;
        }
    };
    EXPECT_THROW(sched.wait(failing()), std::runtime_error);
}

} // namespace
} // namespace seastar
