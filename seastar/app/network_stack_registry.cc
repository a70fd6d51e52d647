#include "seastar/core/network_stack_registry.hh"

#include "seastar/core/app_options_registry.hh"

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace seastar {

namespace {

std::mutex registry_mutex;

std::vector<network_stack_entry>& entries() {
    static std::vector<network_stack_entry> v;
    return v;
}

} // namespace

void network_stack_registry::register_stack(network_stack_entry e) {
    std::lock_guard lock(registry_mutex);
    auto& v = entries();
    // Highest priority first; equal priorities in registration order.
    auto pos = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.priority < e.priority; });
    v.insert(pos, std::move(e));
}

std::vector<std::string> network_stack_registry::list() {
    std::lock_guard lock(registry_mutex);
    std::set<std::string> names;
    for (auto& e : entries()) {
        names.insert(e.name);
    }
    return {names.begin(), names.end()};
}

void network_stack_registry::add_options(boost::program_options::options_description& desc) {
    std::lock_guard lock(registry_mutex);
    for (auto& e : entries()) {
        if (e.options) {
            internal::add_new_options(desc, *e.options);
        }
    }
}

const network_stack_entry* network_stack_registry::configure(const std::string& name,
                                                             const boost::program_options::variables_map& vm) {
    std::vector<const network_stack_entry*> candidates;
    {
        std::lock_guard lock(registry_mutex);
        for (auto& e : entries()) {
            if (e.name == name) {
                candidates.push_back(&e);
            }
        }
    }
    if (candidates.empty()) {
        if (name == "posix") {
            // Not registered: the network package's default stack (the POSIX
            // stack) stands.
            return nullptr;
        }
        auto names = list();
        if (std::find(names.begin(), names.end(), "posix") == names.end()) {
            names.insert(names.begin(), "posix");
        }
        throw std::invalid_argument(
            fmt::format("--network-stack: unknown network stack '{}' (available: {})", name, fmt::join(names, ", ")));
    }
    for (auto* e : candidates) {
        if (!e->configure || e->configure(vm)) {
            return e;
        }
    }
    throw std::invalid_argument(fmt::format("--network-stack {}: no provider accepts these options", name));
}

} // namespace seastar
