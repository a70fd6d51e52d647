#include "seastar/coroutine/lambda.hh"

#include <memory>

#include "seastar/core/coroutine.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(coroutine_lambda, keeps_the_lambda_and_its_captures_alive_across_suspension) {
    local_scheduler sched;
    auto co = []() -> future<int> {
        auto value = std::make_unique<int>(21);
        int r = co_await yield().then(coroutine::lambda([v = std::move(value)]() -> future<int> {
            co_await yield();
            co_return *v * 2; // the capture is still alive here
        }));
        co_return r;
    };
    EXPECT_EQ(sched.wait(co()), 42);
}

} // namespace
} // namespace seastar
