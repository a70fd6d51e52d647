// The harness on the backend its target names: a body on one shard and on N
// shards runs on that backend, and failures (of the body, of the start) reach
// googletest with their message.
#include "seastar/testing/seastar_test.hh"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"

namespace seastar {
namespace {

SEASTAR_TEST_CASE(harness, one_shard_runs_on_the_requested_backend) {
    EXPECT_EQ(smp::count, 1u);
    auto want = testing::requested_backend();
    if (!want.empty()) {
        EXPECT_EQ(engine().backend_name(), want);
    }
    co_return;
}

TEST(harness, n_shards_run_on_the_requested_backend) {
    std::atomic<unsigned> visited{0};
    EXPECT_EQ(testing::run_on_shards(3,
                                     [&visited]() -> future<> {
                                         EXPECT_EQ(this_shard_id(), 0u);
                                         EXPECT_EQ(smp::count, 3u);
                                         auto want = testing::requested_backend();
                                         co_await smp::invoke_on_all([&visited, want] {
                                             if (!want.empty()) {
                                                 EXPECT_EQ(engine().backend_name(), want);
                                             }
                                             ++visited;
                                         });
                                     }),
              0);
    EXPECT_EQ(visited.load(), 3u);
}

TEST(harness, a_failed_body_fails_the_test_with_its_message) {
    EXPECT_NONFATAL_FAILURE(testing::run_in_reactor([]() -> future<> {
                                throw std::runtime_error("one shard broke");
                                co_return;
                            }),
                            "test body failed: one shard broke");
    EXPECT_NONFATAL_FAILURE(
        testing::run_on_shards(
            2, []() -> future<> { return smp::submit_to(1, [] { throw std::runtime_error("shard 1 broke"); }); }),
        "test body failed: shard 1 broke");
}

TEST(harness, shards_that_cannot_start_fail_the_test) {
    EXPECT_NONFATAL_FAILURE(testing::run_on_shards(testing::smp_test_options(0), [] { return make_ready_future<>(); }),
                            "the shards did not start");
}

TEST(harness, unknown_backend_names_are_errors_not_skips) {
    EXPECT_THROW(testing::backend_available("no-such-backend"), std::invalid_argument);
    EXPECT_EQ(testing::all_backends().size(), 3u);
    EXPECT_FALSE(testing::available_backends().empty());
}

} // namespace
} // namespace seastar
