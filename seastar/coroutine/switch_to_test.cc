#include "seastar/coroutine/switch_to.hh"

#include "seastar/core/local_scheduler.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(switch_to, continues_in_the_group_and_returns_the_previous_one) {
    local_scheduler sched;
    unsigned index = internal::allocate_scheduling_group("background", 100);
    auto bg = internal::scheduling_group_from_index(index);
    auto co = [bg]() -> future<> {
        auto main = current_scheduling_group();
        auto prev = co_await coroutine::switch_to(bg);
        EXPECT_EQ(prev, main);
        EXPECT_EQ(current_scheduling_group(), bg);
        auto same = co_await coroutine::switch_to(bg); // already there: no suspension
        EXPECT_EQ(same, bg);
        co_await coroutine::switch_to(prev);
        EXPECT_EQ(current_scheduling_group(), main);
    };
    sched.wait(co());
    internal::release_scheduling_group(index);
}

} // namespace
} // namespace seastar
