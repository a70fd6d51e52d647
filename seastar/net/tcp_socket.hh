// The socket API over the native TCP (seastar/net/tcp.hh): connected_socket,
// server_socket, data_source and data_sink implementations, so a network
// stack built on basic_tcp hands out the same objects as the POSIX stack.
//
// Contract:
//   * One shard, like the basic_tcp the handles come from.
//   * The socket, its input stream's source and its output stream's sink
//     share the connection; it is closed (as basic_tcp::connection::close())
//     when the last of them is gone.
//   * The source yields the bytes in order (buffers shared with the
//     received segments, no copy) and an empty buffer at end of stream; it
//     fails with the connection's error (ECONNRESET, ETIMEDOUT, ...).
//   * The sink's put() waits while the send buffer is full; close() sends
//     FIN after the queued data (shutdown_output).
//   * make_tcp_socket_impl() gives the `socket` a stack's socket() returns.
//   * set_sockopt/get_sockopt throw std::system_error(ENOPROTOOPT): the
//     native stack has no kernel socket options.
//
//     auto c = co_await tcp.connect(my_ip, peer_ip, 80);
//     seastar::connected_socket s(seastar::net::make_tcp_connected_socket_impl<Clock>(std::move(c)));
//     auto out = s.output();
#pragma once

#include <memory>

#include "seastar/net/stack.hh"
#include "seastar/net/tcp.hh"

namespace seastar::net {

template <typename Clock>
std::unique_ptr<connected_socket_impl> make_tcp_connected_socket_impl(typename basic_tcp<Clock>::connection c);

template <typename Clock>
std::unique_ptr<server_socket_impl> make_tcp_server_socket_impl(typename basic_tcp<Clock>::listener l);

// A socket whose connect() opens from `local_ip` (host order) unless the
// local address given to connect() names one; shutdown() aborts a connect in
// progress (it fails with ECONNABORTED). Only transport::TCP over IPv4:
// others fail with EPROTONOSUPPORT / EAFNOSUPPORT. `tcp` must outlive it.
template <typename Clock>
std::unique_ptr<socket_impl> make_tcp_socket_impl(basic_tcp<Clock>& tcp, uint32_t local_ip);

} // namespace seastar::net
