// TCP inside the native stack: the adapter between the IPv4 layer (ip.hh)
// and the transport (tcp.hh), and the socket API over it.
//
// native_tcp registers itself with ipv4 for protocol 6 and implements
// tcp_l3 over it:
//   * send() hands segments to ipv4::send(); when the device completes L4
//     checksums (hw_features::tx_csum_l4_offload) TCP leaves the
//     pseudo-header sum and the device finishes it, otherwise TCP fills the
//     checksum in software;
//   * mtu() is the interface's MTU; with hw_features::tx_tso, segments
//     above the MSS go down whole, marked for the device to cut
//     (offload_info::tso_seg_size);
//   * rx_checksum_verified() is what the device said about the segment
//     being delivered (ipv4_rx_info::l4_csum_verified);
//   * segments that arrive while TCP is inside send() (a lower layer that
//     answers synchronously) are queued and delivered from a timer task, so
//     TCP is never re-entered (tcp.hh's contract).
// listen() and socket() hand out server_socket and socket objects that
// behave as the POSIX stack's (tcp_socket.hh).
//
// Contract: one shard; one native_tcp per ipv4 (per native stack). Sockets
// may outlive it: their operations then fail with ECONNABORTED.
//
//     net::native_tcp t(ip, {});
//     auto ss = t.listen(socket_address(ipv4_addr(80)), {});
//     auto ar = co_await ss.accept();
#pragma once

#include <deque>

#include "seastar/core/timer.hh"
#include "seastar/net/api.hh"
#include "seastar/net/ip.hh"
#include "seastar/net/tcp.hh"

namespace seastar::net {

class native_tcp final : public ip_protocol, public tcp_l3 {
public:
    native_tcp(ipv4& ip, tcp_config cfg);
    ~native_tcp() override;
    native_tcp(const native_tcp&) = delete;
    native_tcp& operator=(const native_tcp&) = delete;

    // Listens on sa (IPv4; address 0 or this host's; port 0 picks a free
    // port from the ephemeral range). Throws std::system_error: EAFNOSUPPORT
    // (not IPv4), EPROTONOSUPPORT (not TCP), EADDRNOTAVAIL (another host's
    // address), EADDRINUSE.
    server_socket listen(socket_address sa, listen_options opts);
    // A socket connecting from this host's address.
    ::seastar::socket socket();

    net::tcp& tcp() noexcept { return _tcp; }
    // Segments that arrived while TCP was inside send() and were handed
    // over later (the re-entry rule).
    uint64_t deferred_segments() const noexcept { return _deferred; }

    // ip_protocol
    void received(packet p, const ipv4_rx_info& info) noexcept override;
    // tcp_l3
    void send(uint32_t local, uint32_t remote, packet segment) override;
    uint16_t mtu(uint32_t remote) const noexcept override;
    // With hw_features::tx_tso: up to max_packet_len (and 64 KiB) per datagram.
    uint32_t tso_max_segment() const noexcept override;
    void send_large(uint32_t local, uint32_t remote, packet segment, uint16_t mss) override;
    bool tx_checksum_offload() const noexcept override;
    bool rx_checksum_verified() const noexcept override { return _rx_verified; }

private:
    struct pending {
        packet p;
        uint32_t src, dst;
        bool verified;
    };
    void deliver(packet p, uint32_t src, uint32_t dst, bool verified) noexcept;
    void send_segment(uint32_t local, uint32_t remote, packet segment, uint16_t tso_mss);
    void drain() noexcept;

    ipv4& _ip;
    bool _in_send = false;
    bool _rx_verified = false;
    uint64_t _deferred = 0;
    std::deque<pending> _pending;
    timer<> _drain_timer;
    // Last: its destructor may still send (RST) through this object.
    net::tcp _tcp;
};

} // namespace seastar::net
