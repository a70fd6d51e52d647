// A binary built for a backend this machine lacks (simulated through
// SEASTAR_UNAVAILABLE_BACKENDS by the BUILD rule) skips its tests with a
// message naming the backend: none of their bodies runs, and the run passes.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "seastar/core/future.hh"
#include "seastar/testing/seastar_test.hh"

namespace {

bool body_ran = false;

SEASTAR_TEST_CASE(unavailable_backend, body_never_runs) {
    body_ran = true;
    ADD_FAILURE() << "a test ran on a backend the machine lacks";
    return seastar::make_ready_future<>();
}

} // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    int code = RUN_ALL_TESTS();
    auto why = seastar::testing::requested_backend_unavailable();
    if (!why || why->find("backend 'io_uring' is not available") == std::string::npos) {
        std::fprintf(stderr, "expected a skip message naming io_uring, got: %s\n", why ? why->c_str() : "(none)");
        return 1;
    }
    if (body_ran) {
        return 1;
    }
    std::printf("skipped as expected: %s\n", why->c_str());
    return code;
}
