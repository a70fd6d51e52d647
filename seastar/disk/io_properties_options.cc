// Seastar's disk-model options in every app_template program that links the
// disk layer: --io-properties-file (a YAML file, as tools/iotune writes) and
// --io-properties (the same YAML given inline), and --io-latency-goal-ms. A
// bad file, text or goal stops the program before the shards start, with the
// parser's message.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "seastar/core/app_options_registry.hh"
#include "seastar/disk/io_properties.hh"

namespace seastar {
namespace {

namespace bpo = boost::program_options;

std::shared_ptr<bpo::options_description> io_properties_options() {
    auto desc = std::make_shared<bpo::options_description>("I/O scheduler options");
    // clang-format off
    desc->add_options()
        ("io-properties-file", bpo::value<std::string>(),
         "the disk model: a YAML file in io_properties format, as tools/iotune writes it")
        ("io-properties", bpo::value<std::string>(),
         "the disk model as YAML text, e.g. \"disks: [{mountpoint: /, read_iops: 1000, ...}]\"")
        ("io-latency-goal-ms", bpo::value<double>(),
         "max time (ms) I/O operations must take: the device time the scheduler lets the kernel queue hold "
         "(default: 1.5 x --task-quota-ms)");
    // clang-format on
    return desc;
}

void configure(const bpo::variables_map& vm) {
    // As in Seastar, the goal follows the task quota unless given.
    double goal_ms = 0;
    if (vm.count("io-latency-goal-ms")) {
        goal_ms = vm["io-latency-goal-ms"].as<double>();
        if (!(goal_ms > 0 && goal_ms <= 60'000)) {
            throw std::invalid_argument("--io-latency-goal-ms must be in (0, 60000]");
        }
    } else if (vm.count("task-quota-ms")) {
        goal_ms = 1.5 * vm["task-quota-ms"].as<double>();
    }
    if (goal_ms > 0) {
        configure_io_latency_goal(std::chrono::microseconds(std::max<int64_t>(1, int64_t(goal_ms * 1000))));
    }
    bool file = vm.count("io-properties-file") && !vm["io-properties-file"].as<std::string>().empty();
    bool text = vm.count("io-properties") && !vm["io-properties"].as<std::string>().empty();
    if (file && text) {
        throw std::invalid_argument("--io-properties-file and --io-properties are mutually exclusive");
    }
    if (file) {
        configure_io_properties_from_file(vm["io-properties-file"].as<std::string>());
    } else if (text) {
        try {
            configure_io_properties_from_string(vm["io-properties"].as<std::string>());
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(std::string("--io-properties: ") + e.what());
        }
    }
}

const app_options_registrator registration({
    .name = "disk",
    .options = io_properties_options(),
    .configure = configure,
});

} // namespace
} // namespace seastar
