// googletest integration: test bodies that are futures or coroutines, run
// inside a reactor on the test's thread.
//
//     SEASTAR_TEST_CASE(timer, fires) {          // a free test
//         co_await seastar::sleep(std::chrono::milliseconds(1));
//     }
//     SEASTAR_TEST_F(my_fixture, works) {        // with a googletest fixture
//         co_await use(member_of_fixture);
//     }
//
// Each test gets a fresh reactor (default_test_config()), runs the body to
// completion and fails (ADD_FAILURE, with the exception's message) if the
// body's future fails. gtest assertions work inside the body; a fatal one
// only returns from the enclosing function, so prefer EXPECT_* in coroutines.
//
// The backend comes from the environment: SEASTAR_TEST_BACKEND (or
// SEASTAR_REACTOR_BACKEND) = epoll | linux-aio | io_uring; unset: the default
// choice. SEASTAR_SHUFFLE_TASKS=1 runs ready tasks in random order.
//
// Contract: one reactor per test thread at a time; tests stop when their body
// resolves. Nothing here is for production code.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/reactor_config.hh"

namespace seastar::testing {

// A config with the backend and shuffle settings from the environment.
reactor_config default_test_config();

// Runs `body` in a new reactor made from `cfg`; reports a failed body through
// ADD_FAILURE. Returns the reactor's exit code (0 after a successful body).
int run_in_reactor(std::function<future<>()> body, reactor_config cfg = default_test_config());

// Backends that can be created on this machine (for parametrized suites).
std::vector<std::string> available_backends();
// All backend names, whether available or not.
std::vector<std::string> all_backends();
// True if `name` can be created here; `why` gets the reason when not.
bool backend_available(const std::string& name, std::string* why = nullptr);

} // namespace seastar::testing

#define SEASTAR_TEST_CASE(suite, name)                                                               \
    static ::seastar::future<> seastar_test_body_##suite##_##name();                                 \
    TEST(suite, name) { ::seastar::testing::run_in_reactor(&seastar_test_body_##suite##_##name); }   \
    static ::seastar::future<> seastar_test_body_##suite##_##name()

#define SEASTAR_TEST_F(fixture, name)                                                                \
    class fixture##_##name##_seastar_body : public fixture {                                         \
    protected:                                                                                       \
        ::seastar::future<> seastar_body();                                                          \
    };                                                                                               \
    GTEST_TEST_(fixture, name, fixture##_##name##_seastar_body, ::testing::internal::GetTypeId<fixture>()) { \
        ::seastar::testing::run_in_reactor([this] { return seastar_body(); });                       \
    }                                                                                                \
    ::seastar::future<> fixture##_##name##_seastar_body::seastar_body()
