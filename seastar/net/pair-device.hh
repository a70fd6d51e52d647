// Two devices wired back to back in one process, like the two ends of a
// cable: a frame sent on one end's queue is received by the other end's
// queue. Used to run two native stacks against each other (with
// fault_device in between to make the cable bad).
//
// Contract: both ends' queues live on the same shard. Frames reach the peer
// in the flush task of the sender's queue (never inside send()); frames
// sent while the peer has no queue are dropped and counted in the sender's
// qp_stats::tx_dropped. Each end has one queue and no offloads.
//
//     auto [a, b] = net::make_device_pair();
//     auto qa = a->make_queue(0), qb = b->make_queue(0);
#pragma once

#include <memory>
#include <utility>

#include "seastar/net/ethernet.hh"
#include "seastar/net/net.hh"

namespace seastar::net {

// Ends with MAC addresses mac_a and mac_b.
std::pair<std::shared_ptr<device>, std::shared_ptr<device>>
make_device_pair(ethernet_address mac_a = ethernet_address{{0x02, 0, 0, 0, 0, 0x0a}},
                 ethernet_address mac_b = ethernet_address{{0x02, 0, 0, 0, 0, 0x0b}}, uint16_t mtu = 1500);

} // namespace seastar::net
