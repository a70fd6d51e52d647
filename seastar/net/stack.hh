// The network-stack interface: what a stack implements (the *_impl classes
// behind api.hh's sockets, and network_stack itself) and the current shard's
// stack, which the free functions in api.hh (seastar::listen, connect, ...)
// use. The POSIX stack (posix-stack.hh) is the default; the native stack
// implements the same interface, so applications do not change.
//
// Contract:
//   * Each shard has its own current stack (a thread_local), created on
//     first use from the registered default factory, or set explicitly with
//     set_local_network_stack() (tests, a different stack). A stack and its
//     sockets are used only on their shard.
//   * Implementations report errors as documented in api.hh.
//   * No reactor dependency here: only futures and streams.
//
//     class my_stack : public seastar::net::network_stack { ... };
//     seastar::net::set_local_network_stack(std::make_unique<my_stack>());
//     auto ss = seastar::listen(addr);   // my_stack::listen
#pragma once

#include <functional>
#include <memory>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/net/api.hh"
#include "seastar/net/socket_defs.hh"

namespace seastar::net {

class connected_socket_impl {
public:
    virtual ~connected_socket_impl() = default;
    virtual data_source source() = 0;
    virtual data_source source(connected_socket_input_stream_config csisc) { return source(); }
    virtual data_sink sink() = 0;
    virtual void shutdown_input() = 0;
    virtual void shutdown_output() = 0;
    virtual void set_nodelay(bool nodelay) = 0;
    virtual bool get_nodelay() const = 0;
    virtual void set_keepalive(bool keepalive) = 0;
    virtual bool get_keepalive() const = 0;
    virtual void set_keepalive_parameters(const keepalive_params&) = 0;
    virtual keepalive_params get_keepalive_parameters() const = 0;
    virtual void set_sockopt(int level, int optname, const void* data, size_t len) = 0;
    virtual int get_sockopt(int level, int optname, void* data, size_t len) const = 0;
    virtual socket_address local_address() const noexcept = 0;
    virtual socket_address remote_address() const noexcept = 0;
    virtual future<> wait_input_shutdown() = 0;
};

class socket_impl {
public:
    virtual ~socket_impl() = default;
    virtual future<connected_socket> connect(socket_address sa, socket_address local, transport proto) = 0;
    virtual void set_reuseaddr(bool reuseaddr) = 0;
    virtual bool get_reuseaddr() const = 0;
    virtual void shutdown() = 0;
};

class server_socket_impl {
public:
    virtual ~server_socket_impl() = default;
    virtual future<accept_result> accept() = 0;
    virtual void abort_accept() = 0;
    virtual socket_address local_address() const = 0;
};

class datagram_channel_impl {
public:
    virtual ~datagram_channel_impl() = default;
    virtual socket_address local_address() const = 0;
    virtual future<datagram> receive() = 0;
    virtual future<> send(const socket_address& dst, const char* msg) = 0;
    virtual future<> send(const socket_address& dst, packet p) = 0;
    virtual void shutdown_input() = 0;
    virtual void shutdown_output() = 0;
    virtual bool is_closed() const = 0;
    virtual void close() = 0;
};

class network_stack {
public:
    virtual ~network_stack() = default;
    virtual server_socket listen(socket_address sa, listen_options opts) = 0;
    virtual ::seastar::socket socket() = 0;
    virtual udp_channel make_udp_channel(const socket_address& local) = 0;
    // See make_unbound_datagram_channel() / make_bound_datagram_channel() in
    // api.hh. The defaults serve IPv4 and IPv6 through make_udp_channel().
    virtual datagram_channel make_unbound_datagram_channel(sa_family_t family);
    virtual datagram_channel make_bound_datagram_channel(const socket_address& local);
    // Connects through socket(); stacks may do better.
    virtual future<connected_socket> connect(socket_address sa, socket_address local = {},
                                             transport proto = transport::TCP);
    virtual future<> initialize() { return make_ready_future<>(); }
    // True when each shard has its own addresses (the native stack); false
    // when all shards share the kernel's (POSIX).
    virtual bool has_per_core_namespace() const = 0;
    virtual bool supports_ipv6() const { return false; }
};

// Reaches the implementation behind an API object (for stacks and tests).
class get_impl {
public:
    static connected_socket_impl* get(connected_socket& s) noexcept { return s._csi.get(); }
};

using network_stack_factory = std::function<std::unique_ptr<network_stack>()>;

// The factory a shard uses for its first stack when none was set. A stack
// implementation registers itself (the POSIX stack does, at static
// initialization). Call before any shard starts using the network.
void register_default_network_stack(network_stack_factory f);

// This shard's stack (created on first use); throws std::runtime_error if
// there is none and no default factory was registered.
network_stack& local_network_stack();
// Replaces this shard's stack; returns the previous one (possibly null).
std::unique_ptr<network_stack> set_local_network_stack(std::unique_ptr<network_stack> s);

} // namespace seastar::net
