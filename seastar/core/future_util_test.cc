// The umbrella header compiles on its own and exposes the utilities.
#include "seastar/core/future-util.hh"

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(future_util, umbrella_exposes_everything) {
    auto f = do_with(1, [](int& v) {
        return when_all_succeed(make_ready_future<int>(v), make_ready_future<int>(2));
    });
    auto [a, b] = f.get();
    EXPECT_EQ(a + b, 3);
}

} // namespace
} // namespace seastar
