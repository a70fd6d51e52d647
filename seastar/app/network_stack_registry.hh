// network_stack_registry: the stacks a program can pick with --network-stack.
//
// app_template sits below the network package, so it knows no stack: each
// stack registers itself here (from a static initializer in a target the
// program links, as the reactor backends do), with its command-line options
// and two hooks. app_template declares every registered option, and for the
// stack the command line names calls configure() on the thread that becomes
// shard 0 before the shards start, then start() on every shard before the
// program's function (which creates and initializes that shard's stack, so
// a stack that cannot start stops the program with one clear message), and
// stops the stack on every shard when the program ends (at_final_exit: after
// the exit functions of every shard, so that connections a shard closes at
// exit can still leave through a device queue another shard drives).
//
// Several providers may register under one name (the native stack over TAP
// and over DPDK): they are asked in decreasing priority, and the first whose
// configure() returns true is used. "posix", when no provider registered it,
// keeps the stack the network package installs by default.
//
// Contract: register before main() (static initialization) or before
// app_template is constructed; configure() throws std::invalid_argument for
// bad option values; start() and stop() run on each shard.
//
//     const seastar::network_stack_registrator reg({
//         .name = "mine",
//         .options = my_options(),
//         .configure = [](const auto& vm) { use_my_stack(vm); return true; },
//         .start = [] { return my_stack_start(); },
//         .stop = [] { my_stack_stop(); },
//     });
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "seastar/core/future.hh"

namespace seastar {

struct network_stack_entry {
    std::string name;
    // Options this provider reads (declared once each by app_template).
    std::shared_ptr<boost::program_options::options_description> options;
    // Arranges for each shard's stack to be this one; false when these
    // options are not for this provider.
    std::function<bool(const boost::program_options::variables_map&)> configure;
    // On every shard once the shards run, before the program's function.
    std::function<future<>()> start;
    // On every shard at exit, after the program's own exit functions.
    std::function<void()> stop;
    int priority = 0;
};

class network_stack_registry {
public:
    static void register_stack(network_stack_entry e);
    // The registered names, sorted, without duplicates.
    static std::vector<std::string> list();
    // Adds every provider's options to `desc` (each option name once).
    static void add_options(boost::program_options::options_description& desc);
    // Configures the stack `name`; returns the chosen provider (null for
    // "posix" when no provider has that name). Throws
    // std::invalid_argument for an unknown name or when no provider of that
    // name accepts the options.
    static const network_stack_entry* configure(const std::string& name,
                                                const boost::program_options::variables_map& vm);
};

struct network_stack_registrator {
    explicit network_stack_registrator(network_stack_entry e) { network_stack_registry::register_stack(std::move(e)); }
};

} // namespace seastar
