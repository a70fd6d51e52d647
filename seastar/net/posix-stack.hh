// The POSIX network stack: TCP, UDP and unix-domain sockets of the kernel,
// driven by the shard's reactor backend (epoll, linux-aio or io_uring)
// through pollable_fd. It is the default stack: linking
// //seastar/net:posix_stack registers it, so seastar::listen()/connect() use
// it unless a shard set another (net::set_local_network_stack()).
//
// Several shards: every shard calls listen() on the same address. Without
// listen_options::reuse_port, shard 0 owns the kernel socket; each
// connection it accepts goes to the shard the load-balancing algorithm
// names (connection_distribution, port, fixed) and is served entirely there
// (the descriptor moves; nothing else is shared). Shard 0's accept() loop
// must be running for the others to receive connections, as in Seastar.
// With reuse_port, each shard binds its own SO_REUSEPORT socket and the
// kernel spreads connections.
//
// connect() with no local port picks one with port % smp::count ==
// this_shard_id() (so a port-balanced server on the same shard count serves
// it on the same shard number), falling back to the kernel's choice.
//
// Contract: as api.hh and stack.hh. Objects are used on the shard that made
// them; errors are std::system_error with errno and address. Allocates per
// socket and per received buffer.
//
//     seastar::net::set_local_network_stack(std::make_unique<seastar::net::posix_network_stack>());
#pragma once

#include <cstdint>
#include <memory>

#include "seastar/net/api.hh"
#include "seastar/net/stack.hh"

namespace seastar::net {

class posix_network_stack final : public network_stack {
public:
    server_socket listen(socket_address sa, listen_options opts) override;
    ::seastar::socket socket() override;
    udp_channel make_udp_channel(const socket_address& local) override;
    // Also AF_UNIX (SOCK_DGRAM unix-domain sockets).
    datagram_channel make_unbound_datagram_channel(sa_family_t family) override;
    datagram_channel make_bound_datagram_channel(const socket_address& local) override;
    bool has_per_core_namespace() const override { return false; }
    bool supports_ipv6() const override { return true; }
};

namespace internal {

// Per-shard counters, for tests and diagnostics.
struct posix_stack_stats {
    // sendmsg()/write() calls made by connected sockets' sinks.
    uint64_t send_calls = 0;
    // read() calls made by connected sockets' sources.
    uint64_t recv_calls = 0;
    // Connections accepted by this shard's kernel socket(s).
    uint64_t accepted = 0;
    // Connections this shard received from the accepting shard.
    uint64_t received_from_other_shards = 0;
};
posix_stack_stats& posix_stats() noexcept;

// Binds socket `fd` to `local` (an IPv4/IPv6 address, port 0) with a port p
// such that p % shard_count == shard, trying a bounded number of free ports
// of the kernel's ephemeral range. Returns the port, or 0 when it bound
// nothing (shard_count <= 1, or no candidate was free): the kernel then
// picks. Throws std::system_error for errors other than EADDRINUSE.
uint16_t bind_to_shard_port(int fd, const socket_address& local, unsigned shard_count, unsigned shard);

} // namespace internal

} // namespace seastar::net
