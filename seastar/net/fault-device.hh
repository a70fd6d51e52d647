// fault_device: wraps any device and damages its traffic on purpose, from a
// seed, so tests of the layers above meet loss, duplication, reordering,
// delay and corruption that repeat exactly from run to run (this kernel has
// no netem, and netem is not deterministic anyway).
//
// Each direction (tx: frames the stack sends; rx: frames the inner device
// receives) has its own fault_config. For every frame, in order, one draw
// from the direction's generator decides: drop it, corrupt it (one bit of a
// copy flipped, never the sender's bytes; only IPv4 frames, after the
// Ethernet header, as a link's frame check sequence would catch the rest:
// the IP and L4 checksums must catch these), duplicate it, swap it with the
// next frame of the same burst (reorder), or hold it for `delay` (steady_clock
// timer) before passing it on. Shares are probabilities in [0, 1]; their sum
// must not exceed 1 (std::invalid_argument otherwise).
//
// Contract: queues as the inner device's (one shard); the same seed and the
// same traffic give the same faults. Statistics per direction in stats().
//
//     net::fault_options fo{.seed = 7, .tx = {.drop = 0.05, .duplicate = 0.05, .reorder = 0.05}};
//     auto dev = net::make_fault_device(inner, fo);
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "seastar/net/net.hh"

namespace seastar::net {

struct fault_config {
    double drop = 0;
    double corrupt = 0;
    double duplicate = 0;
    double reorder = 0;
    double delay = 0;
    std::chrono::nanoseconds delay_time = std::chrono::milliseconds(1);
};

struct fault_options {
    uint64_t seed = 1;
    fault_config tx;
    fault_config rx;
};

struct fault_stats {
    uint64_t frames = 0;
    uint64_t dropped = 0;
    uint64_t corrupted = 0;
    uint64_t duplicated = 0;
    uint64_t reordered = 0;
    uint64_t delayed = 0;
};

class fault_device : public device {
public:
    virtual const fault_stats& tx_stats() const noexcept = 0;
    virtual const fault_stats& rx_stats() const noexcept = 0;
};

// Throws std::invalid_argument for shares outside [0, 1] or summing above 1.
std::shared_ptr<fault_device> make_fault_device(std::shared_ptr<device> inner, fault_options opts);

} // namespace seastar::net
