#include "seastar/testing/seastar_test.hh"

#include <cstdlib>
#include <exception>
#include <stdexcept>

#include "seastar/core/internal/reactor_backend_selector.hh"
#include "seastar/core/internal/syscall_pool.hh"

namespace seastar::testing {

namespace {

// 0 after a successful body; a failed one is reported to googletest and gives 1.
int report_body(future<> f) {
    if (!f.failed()) {
        return 0;
    }
    try {
        std::rethrow_exception(f.get_exception());
    } catch (const std::exception& e) {
        ADD_FAILURE() << "test body failed: " << e.what();
    } catch (...) {
        ADD_FAILURE() << "test body failed with an unknown exception";
    }
    return 1;
}

// Skips the whole binary when it was built for a backend this machine lacks.
class backend_environment : public ::testing::Environment {
public:
    void SetUp() override {
        std::optional<std::string> why;
        try {
            why = requested_backend_unavailable();
        } catch (const std::exception& e) {
            FAIL() << "SEASTAR_TEST_BACKEND: " << e.what();
        }
        if (why) {
            GTEST_SKIP() << *why;
        }
    }
};

[[maybe_unused]] ::testing::Environment* const installed = ::testing::AddGlobalTestEnvironment(new backend_environment);

} // namespace

std::string requested_backend() {
    for (auto var : {"SEASTAR_TEST_BACKEND", "SEASTAR_REACTOR_BACKEND"}) {
        if (auto b = std::getenv(var); b && *b) {
            return b;
        }
    }
    return {};
}

reactor_config default_test_config() {
    reactor_config cfg;
    cfg.backend = requested_backend();
    if (auto s = std::getenv("SEASTAR_SHUFFLE_TASKS"); s && std::string(s) == "1") {
        cfg.shuffle_tasks = true;
    }
    // A test process handles its own signals (gtest, sanitizers).
    cfg.handle_sigint_sigterm = false;
    return cfg;
}

int run_in_reactor(std::function<future<>()> body, reactor_config cfg) {
    reactor r(std::move(cfg));
    return r.run([body = std::move(body)]() -> future<int> { return futurize_invoke(body).then_wrapped(report_body); });
}

smp_options smp_test_options(unsigned shards, bool overprovisioned, size_t memory) {
    smp_options opts;
    opts.smp = shards;
    opts.overprovisioned = overprovisioned;
    opts.memory = memory;
    opts.reactor = default_test_config();
    return opts;
}

int run_on_shards(smp_options opts, std::function<future<>()> body) {
    try {
        return smp::run(opts, [&body]() -> future<int> { return futurize_invoke(body).then_wrapped(report_body); });
    } catch (const std::exception& e) {
        ADD_FAILURE() << "the shards did not start: " << e.what();
        return -1;
    }
}

int run_on_shards(unsigned shards, std::function<future<>()> body) {
    return run_on_shards(smp_test_options(shards), std::move(body));
}

int run_on_shards(unsigned shards, bool overprovisioned, std::function<future<>()> body) {
    return run_on_shards(smp_test_options(shards, overprovisioned), std::move(body));
}

std::vector<shard_setup> default_shard_setups() {
    return {shard_setup{2, false}, shard_setup{4, true}};
}

std::string shard_setup_name(const ::testing::TestParamInfo<shard_setup>& info) {
    return std::to_string(info.param.shards) + (info.param.overprovisioned ? "_overprovisioned" : "_pinned");
}

std::vector<std::string> all_backends() {
    return internal::default_backend_order();
}

bool backend_available(const std::string& name, std::string* why) {
    try {
        // A backend is made as the reactor makes it, with its blocking-I/O thread.
        internal::syscall_pool blocking([] {});
        internal::backend_options opts;
        opts.blocking = &blocking;
        internal::select_reactor_backend(name, opts);
        return true;
    } catch (const std::runtime_error& e) {
        if (why) {
            *why = e.what();
        }
        return false;
    }
}

std::optional<std::string> requested_backend_unavailable() {
    auto name = requested_backend();
    std::string why;
    if (name.empty() || backend_available(name, &why)) {
        return std::nullopt;
    }
    return "skipping every test: the reactor backend '" + name + "' is not available on this machine (" + why + ")";
}

std::vector<std::string> available_backends() {
    std::vector<std::string> r;
    for (auto& b : all_backends()) {
        if (backend_available(b)) {
            r.push_back(b);
        }
    }
    return r;
}

} // namespace seastar::testing
