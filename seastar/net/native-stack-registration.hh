// The native stack (and the POSIX stack) in app_template's stack registry,
// so any app_template program that links //seastar/net:stack_registration
// runs on either with `--network-stack posix|native` and the native stack's
// options (--tap-device, --host-ipv4-addr, --gw-ipv4-addr,
// --netmask-ipv4-addr, --dhcp).
//
// Devices other than TAP plug in here: a native device provider (the DPDK
// device registers one) adds its own options and, when the command line asks
// for it, gives the device each shard's stack runs over. Without one that
// accepts the options, the native stack runs over the TAP device.
//
// Contract: register providers from static initializers; make() runs on
// each shard once the shards start (it may throw: the program then stops
// with the message) and returns the same device on every shard: each shard
// runs a stack over it (native_stack_config::shards = smp::count), taking
// its own queue when the device has one and sending through another
// shard's otherwise.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/program_options.hpp>

#include "seastar/net/native-stack.hh"

namespace seastar::net {

struct native_device_provider {
    std::string name; // shown in errors, e.g. "dpdk"
    std::shared_ptr<boost::program_options::options_description> options;
    // True when the command line selects this device (e.g. --dpdk-pmd).
    std::function<bool(const boost::program_options::variables_map&)> selected;
    // Called once on shard 0 before the shards start, when selected; throws
    // std::invalid_argument for bad options.
    std::function<void(const boost::program_options::variables_map&)> configure;
    // On each shard: the device and the queue this shard takes.
    std::function<std::pair<std::shared_ptr<device>, unsigned>()> make;
    int priority = 1;
};

void register_native_device_provider(native_device_provider p);

} // namespace seastar::net
