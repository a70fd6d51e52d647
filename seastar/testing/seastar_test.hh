// The test harness: googletest test bodies that are futures or coroutines, run
// inside a reactor on the test's thread (one shard) or on shard 0 of N shards.
//
//     SEASTAR_TEST_CASE(timer, fires) {          // a free test, one shard
//         co_await seastar::sleep(std::chrono::milliseconds(1));
//     }
//     SEASTAR_TEST_F(my_fixture, works) {        // with a googletest fixture
//         co_await use(member_of_fixture);
//     }
//     TEST(sharded, counts) {                    // N shards
//         EXPECT_EQ(seastar::testing::run_on_shards(2, [] () -> seastar::future<> {
//             co_await seastar::smp::invoke_on_all([] { ... });
//         }), 0);
//     }
//
// Each run gets fresh reactors (default_test_config() / smp_test_options()),
// runs the body to completion and fails the test (ADD_FAILURE, with the
// exception's message) if the body's future fails or the shards cannot start.
// gtest assertions work inside the body; a fatal one only returns from the
// enclosing function, so prefer EXPECT_* in coroutines.
//
// The backend comes from the environment: SEASTAR_TEST_BACKEND (or
// SEASTAR_REACTOR_BACKEND) = epoll | linux-aio | io_uring; unset: the default
// choice. Per-backend test targets (seastar_backend_tests() in
// tools/build_defs/backend_tests.bzl) set it. When it names a backend this
// machine cannot create (io_uring disabled in a container, say), every test of
// the binary is skipped with one message saying why (a global googletest
// environment installed by this library); a name that is not a backend at all
// fails. SEASTAR_SHUFFLE_TASKS=1 runs ready tasks in random order.
//
// Contract: one run per test thread at a time; a run stops when its body
// resolves. Nothing here is for production code.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/reactor_config.hh"
#include "seastar/core/smp.hh"

namespace seastar::testing {

// A config with the backend and shuffle settings from the environment.
reactor_config default_test_config();

// Runs `body` in a new reactor made from `cfg`; reports a failed body through
// ADD_FAILURE. Returns the reactor's exit code (0 after a successful body).
int run_in_reactor(std::function<future<>()> body, reactor_config cfg = default_test_config());

// Options for `shards` shards: every reactor as default_test_config() makes it,
// `memory` bytes for all shards together, shards not pinned and not spinning
// when `overprovisioned` (the machine is shared with other tests).
smp_options smp_test_options(unsigned shards, bool overprovisioned = true, size_t memory = size_t(64) << 20);

// Runs `body` on shard 0 of shards started from `opts` (smp::run); reports a
// failed body or a failed start through ADD_FAILURE. Returns smp::run's exit
// code (0 after a successful body; -1 when the shards could not start).
int run_on_shards(smp_options opts, std::function<future<>()> body);
int run_on_shards(unsigned shards, std::function<future<>()> body);
int run_on_shards(unsigned shards, bool overprovisioned, std::function<future<>()> body);

// Shard counts a parametrized suite runs with: 2 pinned shards (this machine's
// CPUs) and 4 overprovisioned ones, so that every pair path is also taken with
// more shards than CPUs.
struct shard_setup {
    unsigned shards;
    bool overprovisioned;
};
// shard_setup{2, false} and shard_setup{4, true}.
std::vector<shard_setup> default_shard_setups();
// "2_pinned", "4_overprovisioned": names for INSTANTIATE_TEST_SUITE_P.
std::string shard_setup_name(const ::testing::TestParamInfo<shard_setup>& info);

// The backend the environment asks for (SEASTAR_TEST_BACKEND, then
// SEASTAR_REACTOR_BACKEND); empty: the default choice.
std::string requested_backend();

// Backends that can be created on this machine (for parametrized suites).
std::vector<std::string> available_backends();
// All backend names linked in, whether available or not.
std::vector<std::string> all_backends();
// True if `name` can be created here; `why` gets the reason when not. Throws
// std::invalid_argument for a name that is not a linked-in backend.
bool backend_available(const std::string& name, std::string* why = nullptr);
// Why the requested backend cannot be used here (the skip message), or nothing
// when it can (or none was requested).
std::optional<std::string> requested_backend_unavailable();

} // namespace seastar::testing

#define SEASTAR_TEST_CASE(suite, name)                                                                                 \
    static ::seastar::future<> seastar_test_body_##suite##_##name();                                                   \
    TEST(suite, name) {                                                                                                \
        ::seastar::testing::run_in_reactor(&seastar_test_body_##suite##_##name);                                       \
    }                                                                                                                  \
    static ::seastar::future<> seastar_test_body_##suite##_##name()

#define SEASTAR_TEST_F(fixture, name)                                                                                  \
    class fixture##_##name##_seastar_body : public fixture {                                                           \
    protected:                                                                                                         \
        ::seastar::future<> seastar_body();                                                                            \
    };                                                                                                                 \
    GTEST_TEST_(fixture, name, fixture##_##name##_seastar_body, ::testing::internal::GetTypeId<fixture>()) {           \
        ::seastar::testing::run_in_reactor([this] { return seastar_body(); });                                         \
    }                                                                                                                  \
    ::seastar::future<> fixture##_##name##_seastar_body::seastar_body()
