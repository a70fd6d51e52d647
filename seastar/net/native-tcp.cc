#include "seastar/net/native-tcp.hh"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "seastar/net/tcp_socket.hh"

namespace seastar::net {

namespace {

constexpr uint16_t tcp_csum_offset = 16;
constexpr uint8_t tcp_min_header = 20;
constexpr uint32_t ethernet_hdr_len = eth_hdr::size;

std::system_error listen_error(int err, const char* what) {
    return std::system_error(err, std::system_category(), what);
}

} // namespace

native_tcp::native_tcp(ipv4& ip, tcp_config cfg) : _ip(ip), _tcp(*this, std::move(cfg)) {
    _drain_timer.set_callback([this] { drain(); });
    _ip.register_l4(uint8_t(ip_protocol_num::tcp), *this);
}

native_tcp::~native_tcp() {
    _ip.unregister_l4(uint8_t(ip_protocol_num::tcp));
}

void native_tcp::received(packet p, const ipv4_rx_info& info) noexcept {
    if (_in_send || !_pending.empty()) {
        // Keep the order of what is already waiting.
        try {
            _pending.push_back(pending{std::move(p), info.src.ip, info.dst.ip, info.l4_csum_verified});
            ++_deferred;
        } catch (const std::bad_alloc&) {
            return; // dropped, as a full NIC ring would
        }
        if (!_drain_timer.armed()) {
            _drain_timer.arm(timer<>::clock::now());
        }
        return;
    }
    deliver(std::move(p), info.src.ip, info.dst.ip, info.l4_csum_verified);
}

void native_tcp::deliver(packet p, uint32_t src, uint32_t dst, bool verified) noexcept {
    _rx_verified = verified;
    try {
        _tcp.received(std::move(p), src, dst);
    } catch (...) {
        _tcp.drop(tcp_drop_reason::no_buffer); // out of memory inside TCP
    }
    _rx_verified = false;
}

void native_tcp::drain() noexcept {
    // Only what was queued before this turn: segments queued by the
    // deliveries below wait for the next one.
    auto n = _pending.size();
    while (n-- && !_pending.empty() && !_in_send) {
        auto s = std::move(_pending.front());
        _pending.pop_front();
        deliver(std::move(s.p), s.src, s.dst, s.verified);
    }
    if (!_pending.empty() && !_drain_timer.armed()) {
        _drain_timer.arm(timer<>::clock::now());
    }
}

void native_tcp::send(uint32_t local, uint32_t remote, packet segment) {
    send_segment(local, remote, std::move(segment), 0);
}

void native_tcp::send_large(uint32_t local, uint32_t remote, packet segment, uint16_t mss) {
    send_segment(local, remote, std::move(segment), mss);
}

void native_tcp::send_segment(uint32_t local, uint32_t remote, packet segment, uint16_t tso_mss) {
    l4_checksum_info csum{tx_checksum_offload() || tso_mss != 0, tcp_csum_offset, tcp_min_header};
    // The device needs the real header length (options included) to cut it.
    if (const char* h = segment.get_header(0, tcp_min_header)) {
        csum.l4_hdr_len = uint8_t((uint8_t(h[12]) >> 4) * 4);
    }
    csum.tso_seg_size = tso_mss;
    _in_send = true;
    try {
        _ip.send(ipv4_l4_send{ipv4_address(local), ipv4_address(remote), uint8_t(ip_protocol_num::tcp),
                              std::move(segment), csum});
    } catch (...) {
        _in_send = false;
        throw;
    }
    _in_send = false;
}

uint16_t native_tcp::mtu(uint32_t) const noexcept {
    return _ip.hw_features().mtu;
}

uint32_t native_tcp::tso_max_segment() const noexcept {
    auto& hw = _ip.hw_features();
    if (!hw.tx_tso || hw.max_packet_len <= ethernet_hdr_len + ipv4_hdr::min_size) {
        return 0;
    }
    // An IPv4 datagram's total length is 16 bits.
    return std::min<uint32_t>(hw.max_packet_len - ethernet_hdr_len, 65535) - ipv4_hdr::min_size;
}

bool native_tcp::tx_checksum_offload() const noexcept {
    return _ip.hw_features().tx_csum_l4_offload;
}

server_socket native_tcp::listen(socket_address sa, listen_options opts) {
    if (opts.proto != transport::TCP) {
        throw listen_error(EPROTONOSUPPORT, "native stack listen: only TCP");
    }
    if (!sa.is_unspecified() && sa.family() != AF_INET) {
        throw listen_error(EAFNOSUPPORT, "native stack listen: IPv4 only");
    }
    ipv4_addr a = sa.is_unspecified() ? ipv4_addr() : ipv4_addr(sa.as_posix_sockaddr_in());
    if (a.ip != 0 && a.ip != _ip.host_address().ip) {
        throw listen_error(EADDRNOTAVAIL, "native stack listen: not this host's address");
    }
    unsigned backlog = opts.listen_backlog > 0 ? unsigned(opts.listen_backlog) : 1u;
    if (a.port != 0) {
        return server_socket(make_tcp_server_socket_impl<steady_clock_type>(_tcp.listen(a.ip, a.port, backlog)));
    }
    auto& cfg = _tcp.config();
    for (unsigned port = cfg.ephemeral_low; port <= cfg.ephemeral_high; ++port) {
        try {
            return server_socket(
                make_tcp_server_socket_impl<steady_clock_type>(_tcp.listen(a.ip, uint16_t(port), backlog)));
        } catch (const std::system_error& e) {
            if (e.code().value() != EADDRINUSE) {
                throw;
            }
        }
    }
    throw listen_error(EADDRINUSE, "native stack listen: no free port");
}

::seastar::socket native_tcp::socket() {
    return ::seastar::socket(make_tcp_socket_impl<steady_clock_type>(_tcp, _ip.host_address().ip));
}

} // namespace seastar::net
