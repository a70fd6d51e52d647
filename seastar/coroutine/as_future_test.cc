#include "seastar/coroutine/as_future.hh"

#include <stdexcept>

#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(as_future, hands_back_the_future_without_throwing) {
    local_scheduler sched;
    auto co = []() -> future<int> {
        auto ok = co_await coroutine::as_future(yield().then([] { return 5; }));
        EXPECT_TRUE(ok.available());
        int v = ok.get();
        auto bad = co_await coroutine::as_future(make_exception_future<int>(std::runtime_error("no")));
        EXPECT_TRUE(bad.failed());
        auto ex = bad.get_exception();
        try {
            std::rethrow_exception(ex);
        } catch (const std::runtime_error& e) {
            v += 10;
        }
        auto v2 = co_await coroutine::as_future_without_preemption_check(make_ready_future<>());
        EXPECT_TRUE(v2.available());
        v2.get();
        co_return v;
    };
    EXPECT_EQ(sched.wait(co()), 15);
}

} // namespace
} // namespace seastar
