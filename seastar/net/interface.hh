// net::interface: the Ethernet layer of the native stack. It owns one device
// queue, checks and strips the Ethernet header of each received frame and
// hands the payload to the L3 protocol registered for its EtherType (ARP,
// IPv4); on transmit it prepends the header and queues the frame.
//
// Contract: one shard (the queue's). Received frames that are too short, not
// addressed to this interface (unicast to another MAC; multicast other than
// broadcast) or of an unregistered EtherType are dropped and counted in
// stats(). An L3 handler runs synchronously inside the receive path; it must
// not destroy the interface. send() never fails.
//
//     net::interface iface(dev->make_queue(0), dev->hw_address(), dev->hw_features());
//     iface.register_l3(net::eth_protocol_num::arp, [&] (packet p, net::ethernet_address from, const
//     net::offload_info&) { ... }); iface.send(net::eth_protocol_num::arp, net::ethernet_address::broadcast(),
//     std::move(p));
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>

#include "seastar/net/ethernet.hh"
#include "seastar/net/net.hh"
#include "seastar/net/packet.hh"

namespace seastar::net {

struct l2_stats {
    uint64_t rx_frames = 0;
    uint64_t tx_frames = 0;
    uint64_t rx_dropped_short = 0;         // shorter than the Ethernet header
    uint64_t rx_dropped_not_for_us = 0;    // another unicast MAC, or multicast
    uint64_t rx_dropped_unknown_proto = 0; // no L3 protocol for its EtherType
};

class interface {
public:
    using l3_handler = std::function<void(packet p, ethernet_address from, const offload_info& oi)>;

    interface(std::unique_ptr<qp> q, ethernet_address mac, const hw_features& hw);
    interface(const interface&) = delete;
    interface& operator=(const interface&) = delete;

    // Replaces the handler of `proto` (an empty handler unregisters it).
    void register_l3(eth_protocol_num proto, l3_handler h);
    // Sends payload p to `dst` with Ethernet type `proto`.
    void send(eth_protocol_num proto, ethernet_address dst, packet p, const offload_info& oi = {});
    // The receive path (also what tests and fuzzers feed crafted frames to).
    void received(frame f) noexcept;

    ethernet_address hw_address() const noexcept { return _mac; }
    const net::hw_features& hw_features() const noexcept { return _hw; }
    const l2_stats& stats() const noexcept { return _stats; }
    net::qp& queue() noexcept { return *_qp; }
    const net::qp& queue() const noexcept { return *_qp; }

private:
    std::unique_ptr<qp> _qp;
    ethernet_address _mac;
    net::hw_features _hw;
    l2_stats _stats;
    l3_handler _arp;
    l3_handler _ipv4;
};

} // namespace seastar::net
