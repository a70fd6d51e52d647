// Seastar's disk-model options in every app_template program that links the
// disk layer: --io-properties-file (a YAML file, as tools/iotune writes) and
// --io-properties (the same YAML given inline). A bad file or text stops the
// program before the shards start, with the parser's message.
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
         "the disk model as YAML text, e.g. \"disks: [{mountpoint: /, read_iops: 1000, ...}]\"");
    // clang-format on
    return desc;
}

void configure(const bpo::variables_map& vm) {
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
