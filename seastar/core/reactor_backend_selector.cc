#include "seastar/core/internal/reactor_backend_selector.hh"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace seastar::internal {

namespace {

bool simulated_unavailable(std::string_view name, const backend_options& opts) {
    if (std::find(opts.simulate_unavailable.begin(), opts.simulate_unavailable.end(), name) !=
        opts.simulate_unavailable.end()) {
        return true;
    }
    const char* env = std::getenv("SEASTAR_UNAVAILABLE_BACKENDS");
    if (!env) {
        return false;
    }
    std::string_view list(env);
    while (!list.empty()) {
        auto comma = list.find(',');
        if (list.substr(0, comma) == name) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::unique_ptr<reactor_backend> make(std::string_view name, const backend_options& opts) {
    if (simulated_unavailable(name, opts)) {
        throw backend_unavailable(std::string(name) + ": marked unavailable (simulated for testing)");
    }
    auto factory = find_reactor_backend(name);
    if (!factory) {
        throw std::logic_error("reactor backend '" + std::string(name) + "' is not registered");
    }
    return factory(opts);
}

std::string joined(const std::vector<std::string>& names) {
    std::string r;
    for (auto& n : names) {
        r += r.empty() ? n : ", " + n;
    }
    return r;
}

} // namespace

std::vector<std::string> default_backend_order() {
    // The backends' registrations set the order (reactor_backend_*.cc):
    // io_uring, linux-aio, epoll, as far as they are linked in.
    return registered_reactor_backends();
}

backend_selection select_reactor_backend(std::string_view requested, const backend_options& opts) {
    auto order = default_backend_order();
    if (order.empty()) {
        throw std::invalid_argument("no reactor backend is linked into this program: depend on "
                                    "//seastar/core:reactor_backends (or one of reactor_backend_epoll, "
                                    "reactor_backend_aio, reactor_backend_uring)");
    }
    if (!requested.empty()) {
        if (std::find(order.begin(), order.end(), requested) == order.end()) {
            throw std::invalid_argument("unknown reactor backend '" + std::string(requested) +
                                        "' (linked in: " + joined(order) + ")");
        }
        try {
            return {make(requested, opts), {}};
        } catch (const backend_unavailable& e) {
            throw std::runtime_error("requested reactor backend '" + std::string(requested) +
                                     "' cannot be used: " + e.what());
        }
    }
    std::string skipped;
    for (auto& name : order) {
        try {
            auto be = make(name, opts);
            std::string note;
            if (!skipped.empty()) {
                note = "reactor backend fallback: " + skipped + "; using " + name;
            }
            return {std::move(be), std::move(note)};
        } catch (const backend_unavailable& e) {
            if (!skipped.empty()) {
                skipped += "; ";
            }
            skipped += e.what();
        }
    }
    throw std::runtime_error("no reactor backend is available: " + skipped);
}

} // namespace seastar::internal
