// `--network-stack native --dpdk-pmd`: the native stack over a DPDK port,
// for app_template programs that link //seastar/net:dpdk. Options (Seastar's
// names, plus a pass-through for EAL):
//   --dpdk-pmd              run the native stack over DPDK instead of TAP
//   --dpdk-port-index N     the port (0)
//   --hugepages DIR         a hugetlbfs mount for EAL (--huge-dir)
//   --dpdk-eal-args "..."   more EAL arguments, e.g.
//                           --dpdk-eal-args="--no-huge -m 512 --no-pci --vdev=net_tap0,iface=dtap0"
// EAL starts on shard 0 before the shards do. Every shard runs a stack over
// the one port: shard s takes queue s when the port has one (the port is
// configured with a queue per shard, up to what it offers), and sends
// through another shard's queue otherwise (see native-stack.hh).
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

#include "seastar/core/smp.hh"
#include "seastar/net/dpdk.hh"
#include "seastar/net/native-stack-registration.hh"

namespace seastar::net {

namespace {

namespace bpo = boost::program_options;

struct dpdk_choice {
    uint16_t port = 0;
    std::mutex m;
    std::weak_ptr<device> dev;
};

dpdk_choice& choice() {
    static dpdk_choice c;
    return c;
}

const bool registered = [] {
    auto opts = std::make_shared<bpo::options_description>("DPDK options");
    // clang-format off
    opts->add_options()
        ("dpdk-pmd", bpo::bool_switch(), "use a DPDK poll-mode driver (with --network-stack native)")
        ("dpdk-port-index", bpo::value<unsigned>()->default_value(0), "the DPDK port the native stack uses")
        ("hugepages", bpo::value<std::string>(), "a hugetlbfs mount for DPDK's memory")
        ("dpdk-eal-args", bpo::value<std::string>()->default_value(""),
         "more DPDK EAL arguments, white-space separated (use the = form: --dpdk-eal-args=\"--no-huge -m 512\")");
    // clang-format on
    register_native_device_provider(native_device_provider{
        .name = "dpdk",
        .options = opts,
        .selected = [](const bpo::variables_map& vm) { return vm.count("dpdk-pmd") && vm["dpdk-pmd"].as<bool>(); },
        .configure =
            [](const bpo::variables_map& vm) {
                unsigned port = vm["dpdk-port-index"].as<unsigned>();
                if (port > 0xffff) {
                    throw std::invalid_argument(fmt::format("--dpdk-port-index: {} is not a port number", port));
                }
                dpdk::eal_config cfg;
                if (vm.count("hugepages")) {
                    cfg.hugepages = vm["hugepages"].as<std::string>();
                }
                cfg.extra_args = dpdk::split_args(vm["dpdk-eal-args"].as<std::string>());
                dpdk::eal_init(cfg);
                if (port >= dpdk::port_count()) {
                    throw std::invalid_argument(
                        fmt::format("--dpdk-port-index {}: no such DPDK port ({} port(s): add devices with --vdev in "
                                    "--dpdk-eal-args, or bind a NIC to a DPDK driver)",
                                    port, dpdk::port_count()));
                }
                choice().port = uint16_t(port);
            },
        .make =
            [] {
                auto& c = choice();
                std::lock_guard lock(c.m);
                auto dev = c.dev.lock();
                if (!dev) {
                    dev = create_dpdk_net_device(c.port, uint16_t(smp::count));
                    c.dev = dev;
                }
                return std::pair{dev, unsigned(this_shard_id())};
            },
        .priority = 1,
    });
    return true;
}();

} // namespace

} // namespace seastar::net
