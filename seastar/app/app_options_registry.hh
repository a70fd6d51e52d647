// app_options_registry: command-line options that a layer above app_template
// adds to every program that links it.
//
// app_template sits below the disk and network packages, so it cannot name
// their options. A package registers them here from a static initializer in a
// target the program links (as the network stacks and reactor backends do):
// app_template lists them in --help with its own, and before the shards start
// (on the thread that becomes shard 0) calls each provider's configure() with
// the parsed command line. The disk layer's --io-properties-file and
// --io-properties come this way (//seastar/disk:io_properties_options).
//
// Contract: register before main() (static initialization) or before
// app_template is constructed. configure() throws std::invalid_argument for a
// bad value: app_template prints it and the program exits with status 1
// before any shard runs. An option name registered twice is declared once.
//
//     const seastar::app_options_registrator reg({
//         .name = "disk",
//         .options = my_options(),
//         .configure = [](const boost::program_options::variables_map& vm) { ... },
//     });
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/program_options.hpp>

namespace seastar {

struct app_options_provider {
    // Who provides them (for messages).
    std::string name;
    std::shared_ptr<boost::program_options::options_description> options;
    // Applies the parsed command line; before the shards start.
    std::function<void(const boost::program_options::variables_map&)> configure;
};

class app_options_registry {
public:
    static void register_provider(app_options_provider p);
    // Adds every provider's options to `desc` (each option name once).
    static void add_options(boost::program_options::options_description& desc);
    // Calls every provider's configure(), in registration order.
    static void configure(const boost::program_options::variables_map& vm);
};

namespace internal {

// Adds each option of `from` to `desc` unless `desc` already has one of that
// name (a provider's options are declared once however often it registers).
void add_new_options(boost::program_options::options_description& desc,
                     const boost::program_options::options_description& from);

} // namespace internal

struct app_options_registrator {
    explicit app_options_registrator(app_options_provider p) { app_options_registry::register_provider(std::move(p)); }
};

} // namespace seastar
