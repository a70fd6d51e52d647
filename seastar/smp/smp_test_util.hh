// Test helper: runs a body on shard 0 of `n` freshly started shards and reports a failed
// body or start-up through googletest. Tests only.
//
//     seastar::testing::run_on_shards(2, false, [] () -> seastar::future<> { ... });
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>

#include "seastar/core/future.hh"
#include "seastar/core/smp.hh"

namespace seastar::testing {

// Returns smp::run's exit code (0 when the body succeeded).
inline int run_on_shards(unsigned n, bool overprovisioned, std::function<future<>()> body) {
    smp_options opts;
    opts.smp = n;
    opts.overprovisioned = overprovisioned;
    opts.memory = size_t(64) << 20;
    opts.reactor.handle_sigint_sigterm = false;
    try {
        return smp::run(opts, [&body]() -> future<int> {
            return futurize_invoke(body).then_wrapped([](future<> f) {
                if (f.failed()) {
                    try {
                        std::rethrow_exception(f.get_exception());
                    } catch (const std::exception& e) {
                        ADD_FAILURE() << "test body failed: " << e.what();
                    } catch (...) {
                        ADD_FAILURE() << "test body failed with an unknown exception";
                    }
                    return 1;
                }
                return 0;
            });
        });
    } catch (const std::exception& e) {
        ADD_FAILURE() << "smp::run failed: " << e.what();
        return -1;
    }
}

// Shard counts every test runs with: 2 pinned shards (this machine's CPUs) and 4
// overprovisioned ones, so that every pair path is taken with more shards than CPUs too.
struct shard_setup {
    unsigned shards;
    bool overprovisioned;
};

inline std::string shard_setup_name(const ::testing::TestParamInfo<shard_setup>& info) {
    return std::to_string(info.param.shards) + (info.param.overprovisioned ? "_overprovisioned" : "_pinned");
}

} // namespace seastar::testing
