// The DPDK device: a DPDK ethdev port as a native-stack device, so the
// native stack runs over a NIC's poll-mode driver (or a virtual device:
// net_tap, net_ring, net_null, net_memif) instead of a TAP interface.
//
// This header names no DPDK type; only //seastar/net:dpdk (and the programs
// that ask for it) link DPDK.
//
//   * dpdk::eal_init() starts DPDK's Environment Abstraction Layer once per
//     process, from the calling thread (which becomes EAL's main lcore; its
//     CPU affinity is restored afterwards, so the shards keep their own
//     pinning). Arguments: --huge-dir from `hugepages`, then `extra_args`
//     as given (e.g. --no-huge -m 256 --no-pci --vdev=net_tap0,iface=dtap0
//     --file-prefix=t1). Without -l/--lcores/-c in them, EAL gets one lcore
//     on the CPUs the calling thread may use.
//   * create_dpdk_net_device(port, queues) configures and starts the port
//     with min(queues, what the port has) receive/transmit queue pairs, one
//     mempool per queue (on the port's NUMA node), RSS with the Toeplitz key
//     of <seastar/net/toeplitz.hh> when there is more than one queue, and the
//     checksum offloads the port advertises (the stack computes the rest in
//     software). Queue i is then taken by make_queue(i) on the shard that
//     drives it: a reactor poller receives bursts there (zero copy: each
//     packet's deleter returns its mbufs to their pool, from any shard) and
//     transmits the batches the stack queues.
//   * Transmit copies a frame's headers and its small fragments into mbufs;
//     fragments of 512 bytes and more are attached to mbufs as external
//     buffers (zero copy) when the port takes chains of mbufs and can reach
//     the memory (any virtual device; a NIC only for memory DPDK mapped, else
//     they are copied). The packet is held until the driver frees the last
//     mbuf pointing into it, and destroyed on the queue's shard then.
//   * TSO when the port offers it with checksum offloads and multi-segment
//     frames: hw_features::tx_tso, and max_packet_len up to a 64 KiB IPv4
//     datagram, so the native stack's TCP hands over segments of many MSS
//     that the port cuts. Without it TCP segments in software (at the MSS).
//   * LRO (use_lro) when the port offers it with scatter: merged segments
//     arrive as chains of mbufs, received as one packet of several fragments.
//
// Errors: std::runtime_error with one line naming the cause (EAL could not
// start, and why; a port that does not exist; a port that refuses its
// configuration). A second eal_init() after a failure throws the same error
// (EAL cannot be restarted).
//
// Shards beyond the port's queue count send through another shard's queue
// and get their flows forwarded (the native stack does so, see
// native-stack.hh).
//
// With RSS, the port's redirection table is written round robin (entry i ->
// queue i % queues) or, if the port refuses, read back; hash2qid() follows
// it, so the stack's software hash names the queue the port picks (a port
// that allows neither costs forwarding, not correctness).
//
//     seastar::dpdk::eal_init({.extra_args = {"--no-huge", "-m", "256", "--no-pci",
//                                             "--vdev=net_tap0,iface=dtap0", "--file-prefix=t"}});
//     auto dev = seastar::create_dpdk_net_device(0, 1);
//     auto stack = seastar::net::make_native_stack(dev, opts);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "seastar/net/net.hh"

namespace seastar {

namespace dpdk {

struct eal_config {
    // Directory of a hugetlbfs mount (EAL's --huge-dir).
    std::optional<std::string> hugepages;
    // Passed to EAL as they are.
    std::vector<std::string> extra_args;
};

void eal_init(const eal_config& cfg);
bool eal_initialized() noexcept;

// Splits a command-line string on white space (no quoting).
std::vector<std::string> split_args(std::string_view s);

// Ports EAL found (from its devices and --vdev arguments).
unsigned port_count();

struct link_status {
    bool up = false;
    uint32_t speed_mbps = 0;
    bool full_duplex = false;
};
// Throws std::runtime_error for a port that does not exist.
link_status port_link_status(uint16_t port);
// The port's extended statistics (name, value), as the driver reports them.
std::vector<std::pair<std::string, uint64_t>> port_xstats(uint16_t port);

} // namespace dpdk

// Seastar's name and arguments (flow control is not used yet).
std::shared_ptr<net::device> create_dpdk_net_device(uint16_t port_idx = 0, uint16_t num_queues = 1, bool use_lro = true,
                                                    bool enable_fc = true);

} // namespace seastar
