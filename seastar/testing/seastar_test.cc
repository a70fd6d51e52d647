#include "seastar/testing/seastar_test.hh"

#include <cstdlib>
#include <exception>

#include "seastar/core/internal/reactor_backend_selector.hh"

namespace seastar::testing {

reactor_config default_test_config() {
    reactor_config cfg;
    if (auto b = std::getenv("SEASTAR_TEST_BACKEND")) {
        cfg.backend = b;
    } else if (auto b = std::getenv("SEASTAR_REACTOR_BACKEND")) {
        cfg.backend = b;
    }
    if (auto s = std::getenv("SEASTAR_SHUFFLE_TASKS"); s && std::string(s) == "1") {
        cfg.shuffle_tasks = true;
    }
    // A test process handles its own signals (gtest, sanitizers).
    cfg.handle_sigint_sigterm = false;
    return cfg;
}

int run_in_reactor(std::function<future<>()> body, reactor_config cfg) {
    reactor r(std::move(cfg));
    return r.run([body = std::move(body)]() -> future<int> {
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
}

std::vector<std::string> all_backends() {
    return internal::default_backend_order();
}

bool backend_available(const std::string& name, std::string* why) {
    try {
        internal::select_reactor_backend(name, {});
        return true;
    } catch (const std::exception& e) {
        if (why) {
            *why = e.what();
        }
        return false;
    }
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
