#include "seastar/core/app_options_registry.hh"

#include <mutex>
#include <vector>

namespace seastar {

namespace {

std::mutex registry_mutex;

std::vector<app_options_provider>& providers() {
    static std::vector<app_options_provider> v;
    return v;
}

} // namespace

void app_options_registry::register_provider(app_options_provider p) {
    std::lock_guard lock(registry_mutex);
    providers().push_back(std::move(p));
}

void internal::add_new_options(boost::program_options::options_description& desc,
                               const boost::program_options::options_description& from) {
    for (auto& o : from.options()) {
        if (!desc.find_nothrow(o->long_name(), false)) {
            desc.add(o);
        }
    }
}

void app_options_registry::add_options(boost::program_options::options_description& desc) {
    std::lock_guard lock(registry_mutex);
    for (auto& p : providers()) {
        if (p.options) {
            internal::add_new_options(desc, *p.options);
        }
    }
}

void app_options_registry::configure(const boost::program_options::variables_map& vm) {
    std::vector<std::function<void(const boost::program_options::variables_map&)>> fns;
    {
        std::lock_guard lock(registry_mutex);
        for (auto& p : providers()) {
            if (p.configure) {
                fns.push_back(p.configure);
            }
        }
    }
    for (auto& f : fns) {
        f(vm);
    }
}

} // namespace seastar
