#include "seastar/net/native-stack-registration.hh"

#include <mutex>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "seastar/core/network_stack_registry.hh"
#include "seastar/core/smp.hh"
#include "seastar/net/posix-stack.hh"
#include "seastar/net/tap-device.hh"

namespace seastar::net {

namespace bpo = boost::program_options;

namespace {

std::shared_ptr<bpo::options_description> native_options() {
    auto d = std::make_shared<bpo::options_description>("Native stack options");
    for (auto& o : native_stack_option_descriptions()) {
        d->add_options()(o.name, bpo::value<std::string>()->default_value(o.default_value), o.help);
    }
    return d;
}

native_stack_options options_from(const bpo::variables_map& vm) {
    native_stack_options opts;
    for (auto& o : native_stack_option_descriptions()) {
        if (auto it = vm.find(o.name); it != vm.end() && !it->second.empty()) {
            opts.set(o.name, it->second.as<std::string>());
        }
    }
    return opts;
}

// What the shards use, set on shard 0 before they start (read-only after).
struct native_choice {
    native_stack_options opts;
    std::function<std::pair<std::shared_ptr<device>, unsigned>()> make;
};

native_choice& choice() {
    static native_choice c;
    return c;
}

std::unique_ptr<network_stack> make_chosen_stack() {
    auto& c = choice();
    auto [dev, qid] = c.make();
    return make_native_stack(std::move(dev), c.opts, qid, smp::count);
}

void register_native_provider(std::string device_name, std::shared_ptr<bpo::options_description> options,
                              std::function<bool(const bpo::variables_map&)> selected,
                              std::function<void(const bpo::variables_map&)> configure,
                              std::function<std::pair<std::shared_ptr<device>, unsigned>()> make, int priority) {
    network_stack_registry::register_stack(network_stack_entry{
        .name = "native",
        .options = std::move(options),
        .configure =
            [selected = std::move(selected), configure = std::move(configure),
             make = std::move(make)](const bpo::variables_map& vm) {
                if (selected && !selected(vm)) {
                    return false;
                }
                auto opts = options_from(vm);
                if (configure) {
                    configure(vm);
                }
                choice() = native_choice{opts, make};
                register_default_network_stack(make_chosen_stack);
                return true;
            },
        .start = [] { return local_network_stack().initialize(); },
        .stop = [] { set_local_network_stack(nullptr); },
        .priority = priority,
    });
}

const bool registered = [] {
    network_stack_registry::register_stack(network_stack_entry{
        .name = "posix",
        .options = nullptr,
        .configure =
            [](const bpo::variables_map&) {
                register_default_network_stack([] { return std::make_unique<posix_network_stack>(); });
                return true;
            },
        .start = {},
        .stop = {},
    });
    // The TAP device: the fallback when no other device is selected. Its
    // one queue belongs to shard 0; the other shards send through it.
    register_native_provider(
        "tap", native_options(), {}, {},
        [] {
            static std::mutex m;
            static std::weak_ptr<device> shared;
            std::lock_guard lock(m);
            auto dev = shared.lock();
            if (!dev) {
                dev = make_tap_device(choice().opts.tap_device);
                shared = dev;
            }
            return std::pair{dev, 0u};
        },
        0);
    return true;
}();

} // namespace

void register_native_device_provider(native_device_provider p) {
    register_native_provider(p.name, p.options, p.selected, p.configure, p.make, p.priority);
}

} // namespace seastar::net
