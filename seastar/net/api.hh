// The socket API applications use, whatever network stack is underneath
// (POSIX sockets today, the user-space native stack later): listen(),
// connect(), server_socket, connected_socket, socket (a connect that can be
// cancelled), datagram_channel (udp_channel) and listen_options. Names and
// semantics follow
// Seastar's seastar/net/api.hh.
//
// Contract:
//   * Shard-local: a socket object belongs to the shard that created (or
//     accepted) it and is used only there. With several shards, every shard
//     calls listen() on the same address; each accepted connection is handed
//     to one shard (listen_options::lba) and served entirely there.
//   * Errors travel in futures as std::system_error carrying the errno; the
//     message names the operation and the address ("connect to
//     127.0.0.1:1: Connection refused"). Setters of socket options throw
//     std::system_error synchronously.
//   * Ownership: input()/output() streams share the socket's descriptor; it
//     is closed when the connected_socket and both streams are gone. Close
//     both streams (and wait) before destroying a socket that was used.
//   * The member functions are defined by //seastar/net:stack (which every
//     stack implementation brings); this header declares no stack.
//
//     auto ss = seastar::listen(seastar::socket_address(seastar::ipv4_addr("127.0.0.1", 10000)));
//     auto ar = co_await ss.accept();
//     auto in = ar.connection.input();
//     auto out = ar.connection.output();
//     auto buf = co_await in.read();
//     co_await out.write(std::move(buf));
//     co_await out.close();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <variant>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/net/packet.hh"
#include "seastar/net/socket_defs.hh"

namespace seastar {

namespace net {

class connected_socket_impl;
class socket_impl;
class server_socket_impl;
class datagram_channel_impl;
using udp_channel_impl = datagram_channel_impl;
class get_impl;

struct tcp_keepalive_params {
    std::chrono::seconds idle;     // TCP_KEEPIDLE
    std::chrono::seconds interval; // TCP_KEEPINTVL
    unsigned count;                // TCP_KEEPCNT
};

struct sctp_keepalive_params {
    std::chrono::seconds interval;
    unsigned count;
};

using keepalive_params = std::variant<tcp_keepalive_params, sctp_keepalive_params>;

// A received datagram: where it came from, where it was sent, the payload.
class datagram_impl {
public:
    virtual ~datagram_impl() = default;
    virtual socket_address get_src() = 0;
    virtual socket_address get_dst() = 0;
    virtual uint16_t get_dst_port() = 0;
    virtual packet& get_data() = 0;
};

using udp_datagram_impl = datagram_impl;

class datagram final {
    std::unique_ptr<datagram_impl> _impl;

public:
    datagram(std::unique_ptr<datagram_impl>&& impl) noexcept : _impl(std::move(impl)) {}
    socket_address get_src() { return _impl->get_src(); }
    socket_address get_dst() { return _impl->get_dst(); }
    uint16_t get_dst_port() { return _impl->get_dst_port(); }
    packet& get_data() { return _impl->get_data(); }
};

using udp_datagram = datagram;

// A datagram socket (UDP over IPv4/IPv6, or a unix-domain SOCK_DGRAM socket
// on the POSIX stack). receive() waits for the next datagram; send() sends
// one to `dst`, which must be of the channel's family. At most one receive()
// and one send() pending at a time. shutdown_input() fails a pending
// receive() (EBADF) and every later one; close() fails a pending receive()
// with ECANCELED and releases the socket; sends after either fail with EBADF.
// A channel made by make_unbound_datagram_channel() has no local address of
// its own: it is for sending (the kernel binds a UDP one on first send).
class datagram_channel {
    std::unique_ptr<datagram_channel_impl> _impl;

public:
    datagram_channel() noexcept;
    datagram_channel(std::unique_ptr<datagram_channel_impl>) noexcept;
    ~datagram_channel();
    datagram_channel(datagram_channel&&) noexcept;
    datagram_channel& operator=(datagram_channel&&) noexcept;

    socket_address local_address() const;
    future<datagram> receive();
    future<> send(const socket_address& dst, const char* msg);
    future<> send(const socket_address& dst, packet p);
    bool is_closed() const;
    void shutdown_input();
    void shutdown_output();
    void close();
};

// Seastar's earlier name for the same channel.
using udp_channel = datagram_channel;

} // namespace net

// How input() buffers: reads start at buffer_size and adapt between the
// bounds (a read that fills its buffer doubles the next one).
struct connected_socket_input_stream_config final {
    unsigned buffer_size = 8192;
    unsigned min_buffer_size = 512;
    unsigned max_buffer_size = 128 * 1024;
};

class connected_socket {
    friend class net::get_impl;
    std::unique_ptr<net::connected_socket_impl> _csi;

public:
    connected_socket() noexcept;
    ~connected_socket();
    explicit connected_socket(std::unique_ptr<net::connected_socket_impl> csi) noexcept;
    connected_socket(connected_socket&& cs) noexcept;
    connected_socket& operator=(connected_socket&& cs) noexcept;

    // Streams over the connection; call each at most once.
    input_stream<char> input(connected_socket_input_stream_config csisc = {});
    // Batches writes into buffers of `buffer_size` bytes; flushes are merged
    // (output_stream_options::batch_flushes).
    output_stream<char> output(size_t buffer_size = 8192);

    void set_nodelay(bool nodelay);
    bool get_nodelay() const;
    void set_keepalive(bool keepalive);
    bool get_keepalive() const;
    void set_keepalive_parameters(const net::keepalive_params& p);
    net::keepalive_params get_keepalive_parameters() const;
    // setsockopt/getsockopt; throw std::system_error. get_sockopt returns the
    // length the kernel filled in.
    void set_sockopt(int level, int optname, const void* data, size_t len);
    int get_sockopt(int level, int optname, void* data, size_t len) const;
    socket_address local_address() const noexcept;
    socket_address remote_address() const noexcept;

    // Half-close: the peer reads end of stream (output), or our reads end
    // (input); the other direction keeps working.
    void shutdown_output();
    void shutdown_input();
    // Resolves when the peer closed its side or input was shut down.
    future<> wait_input_shutdown();

    explicit operator bool() const noexcept { return bool(_csi); }
};

// A client socket whose connect can be cancelled with shutdown().
class socket {
    std::unique_ptr<net::socket_impl> _si;

public:
    socket() noexcept = default;
    ~socket();
    explicit socket(std::unique_ptr<net::socket_impl> si) noexcept;
    socket(socket&&) noexcept;
    socket& operator=(socket&&) noexcept;

    // Connects to `sa`, from `local` when given (an IP address with port 0
    // lets the stack pick a port, see seastar::connect()).
    future<connected_socket> connect(socket_address sa, socket_address local = {}, transport proto = transport::TCP);
    void set_reuseaddr(bool reuseaddr);
    bool get_reuseaddr() const;
    // Aborts a connect in progress (it fails with ECONNABORTED).
    void shutdown();
};

struct accept_result {
    connected_socket connection;
    socket_address remote_address;
};

class server_socket {
    std::unique_ptr<net::server_socket_impl> _ssi;
    bool _aborted = false;

public:
    enum class load_balancing_algorithm {
        // The shard with the fewest live connections (from this listener).
        connection_distribution,
        // The remote port modulo the number of shards.
        port,
        // listen_options::fixed_cpu.
        fixed,
        default_ = connection_distribution,
    };

    server_socket() noexcept;
    explicit server_socket(std::unique_ptr<net::server_socket_impl> ssi) noexcept;
    server_socket(server_socket&& ss) noexcept;
    ~server_socket();
    server_socket& operator=(server_socket&& cs) noexcept;

    // The next connection this shard gets. Fails with ECONNABORTED after
    // abort_accept().
    future<accept_result> accept();
    // Fails a pending accept() and every later one; the listening socket is closed.
    void abort_accept();
    socket_address local_address() const noexcept;
    explicit operator bool() const noexcept { return bool(_ssi); }
};

struct listen_options {
    bool reuse_address = false;
    server_socket::load_balancing_algorithm lba = server_socket::load_balancing_algorithm::default_;
    transport proto = transport::TCP;
    int listen_backlog = 100;
    unsigned fixed_cpu = 0u;
    // Every shard binds its own socket with SO_REUSEPORT and the kernel
    // spreads connections (lba is then not used).
    bool reuse_port = false;

    void set_fixed_cpu(unsigned cpu) noexcept {
        lba = server_socket::load_balancing_algorithm::fixed;
        fixed_cpu = cpu;
    }
};

// ---- free functions: the current shard's network stack ----

// Listens on `sa` (TCP or a unix path). See server_socket and listen_options.
server_socket listen(socket_address sa);
server_socket listen(socket_address sa, listen_options opts);
// Connects to `sa`. With no local address (or an IP one with port 0), the
// POSIX stack picks a local port p with p % smp::count == this_shard_id(), so
// that a server using load_balancing_algorithm::port serves the connection
// on the same shard number; when none is free, the kernel picks.
future<connected_socket> connect(socket_address sa);
future<connected_socket> connect(socket_address sa, socket_address local, transport proto = transport::TCP);
socket make_socket();
// A UDP channel bound to `local` (unspecified: any address, a free port).
// Seastar now spells these make_bound_datagram_channel() and
// make_unbound_datagram_channel().
net::udp_channel make_udp_channel();
net::udp_channel make_udp_channel(const socket_address& local);
// A datagram channel of `family` (AF_INET, AF_INET6; AF_UNIX on the POSIX
// stack) bound to no address: for sending. Throws std::system_error when the
// stack cannot make a socket of that family.
net::datagram_channel make_unbound_datagram_channel(sa_family_t family);
// A datagram channel bound to `local` (an IP address and port, port 0 for a
// free one, or a unix-domain path on the POSIX stack), for sending and
// receiving. Throws std::system_error when the bind fails.
net::datagram_channel make_bound_datagram_channel(const socket_address& local);

} // namespace seastar
