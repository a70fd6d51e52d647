// UDP (RFC 768) for the native stack, and the udp_channel it gives
// applications (the same api.hh udp_channel the POSIX stack gives).
//
// Contract: one shard. make_channel() binds a port (0: a free ephemeral
// port from 49152) and throws std::system_error(EADDRINUSE) when it is taken.
// Received datagrams that are short, whose length field disagrees with the
// IP length, whose checksum is wrong (0 means "none"), for a port nobody
// bound, or for a channel whose queue is full (max_queued datagrams) are
// dropped and counted. send() to a non-IPv4 address or of more than
// 65507 bytes fails with std::system_error (EAFNOSUPPORT, EMSGSIZE). A
// channel outliving its udp fails its operations with ENOTCONN.
//
//     net::udp udp(ip);
//     auto ch = net::udp_channel(udp.make_channel(socket_address(ipv4_addr(5000))));
//     auto d = co_await ch.receive();
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "seastar/net/ip.hh"
#include "seastar/net/socket_defs.hh"
#include "seastar/net/stack.hh"

namespace seastar::net {

struct udp_stats {
    uint64_t rx_packets = 0;
    uint64_t rx_delivered = 0;
    uint64_t rx_dropped_short = 0;
    uint64_t rx_dropped_bad_length = 0;
    uint64_t rx_dropped_bad_csum = 0;
    uint64_t rx_dropped_no_port = 0;
    uint64_t rx_dropped_queue_full = 0;
    uint64_t tx_packets = 0;
};

// Which ports have a channel on which shard, for the udp of several shards
// of one stack: set_port_registry() makes a udp report its bindings and
// skip, when it picks an ephemeral port, those bound on another shard.
class udp_port_registry {
public:
    virtual void bound(uint16_t port) noexcept = 0;
    virtual void unbound(uint16_t port) noexcept = 0;
    virtual bool bound_elsewhere(uint16_t port) const noexcept = 0;

protected:
    ~udp_port_registry() = default;
};

class udp final : public ip_protocol {
public:
    static constexpr std::size_t header_size = 8;
    static constexpr std::size_t max_queued = 1024;
    static constexpr uint16_t first_ephemeral_port = 49152;

    explicit udp(ipv4& ip);
    ~udp() override;
    udp(const udp&) = delete;
    udp& operator=(const udp&) = delete;

    std::unique_ptr<udp_channel_impl> make_channel(const socket_address& local);
    // Sends payload p from our src_port to dst:dst_port.
    void send(uint16_t src_port, ipv4_address dst, uint16_t dst_port, packet p);
    void received(packet p, const ipv4_rx_info& info) noexcept override;

    const udp_stats& stats() const noexcept { return _stats; }
    ipv4& ip() noexcept { return _ip; }
    // Reports the ports bound from now on to `r` (which must outlive this
    // udp, or be replaced by nullptr first).
    void set_port_registry(udp_port_registry* r) noexcept { _registry = r; }

    struct channel_state;

private:
    friend class native_udp_channel;
    ipv4& _ip;
    udp_stats _stats;
    std::unordered_map<uint16_t, channel_state*> _ports;
    uint16_t _next_ephemeral = first_ephemeral_port;
    udp_port_registry* _registry = nullptr;
    // Channels reach their udp through this; cleared when the udp dies.
    std::shared_ptr<udp*> _self;
};

} // namespace seastar::net
