// Checks on futures for tests of code over futures (no reactor needed).
//
// `failed_with<E>(f)`: true when `f` is ready and failed with an exception of
// type E (or derived from it). It retrieves the exception, so the failed
// future is not reported as abandoned. `test_error`: an exception type a test
// can throw and recognise.
//
//     auto f = sem.wait(as);
//     as.request_abort();
//     sched.run_until_idle();
//     EXPECT_TRUE(seastar::testing::failed_with<seastar::abort_requested_exception>(f));
#pragma once

#include <exception>
#include <stdexcept>

#include "seastar/core/future.hh"

namespace seastar::testing {

struct test_error : std::runtime_error {
    test_error() : std::runtime_error("custom") {}
};

template <typename E, typename T>
bool failed_with(future<T>& f) {
    if (!f.available() || !f.failed()) {
        return false;
    }
    try {
        std::rethrow_exception(f.get_exception());
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
}

} // namespace seastar::testing
