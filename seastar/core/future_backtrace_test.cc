// make_exception_future_with_backtrace (seastar/core/future.hh) with the backtrace
// machinery of seastar/util/backtrace.hh.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "seastar/core/future.hh"
#include "seastar/util/backtrace.hh"

namespace seastar {
namespace {

[[gnu::noinline]] future<int> fail_here() {
    return make_exception_future_with_backtrace<int>(std::invalid_argument("bad key"));
}

TEST(make_exception_future_with_backtrace, fails_with_the_exception_and_where_it_was_made) {
    auto f = fail_here();
    ASSERT_TRUE(f.failed());
    try {
        std::rethrow_exception(f.get_exception());
    } catch (const std::invalid_argument& e) { // still the caller's exception type
        std::string what = e.what();
        EXPECT_EQ(what.rfind("bad key", 0), 0u) << what;
        EXPECT_NE(what.find("Backtrace:"), std::string::npos) << what;
        // At least one frame line after the header.
        EXPECT_GT(what.size(), what.find("Backtrace:") + std::string("Backtrace:\n").size()) << what;
    }
}

TEST(make_exception_future_with_backtrace, future_void_by_default) {
    future<> f = make_exception_future_with_backtrace(std::runtime_error("stop"));
    ASSERT_TRUE(f.failed());
    EXPECT_THROW(std::rethrow_exception(f.get_exception()), std::runtime_error);
}

} // namespace
} // namespace seastar
