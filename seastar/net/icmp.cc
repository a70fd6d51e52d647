#include "seastar/net/icmp.hh"

#include "seastar/net/byteorder.hh"
#include "seastar/net/ip_checksum.hh"

namespace seastar::net {

icmp::icmp(ipv4& ip) : _ip(ip) {
    _ip.register_l4(uint8_t(ip_protocol_num::icmp), *this);
}

icmp::~icmp() {
    _ip.unregister_l4(uint8_t(ip_protocol_num::icmp));
}

void icmp::received(packet p, const ipv4_rx_info& info) noexcept {
    _stats.rx_packets++;
    try {
        char* h = p.get_header(0, 8);
        if (!h) {
            _stats.rx_dropped_short++;
            return;
        }
        if (!info.l4_csum_verified) {
            checksummer c;
            c.sum(p);
            if (c.get() != 0) {
                _stats.rx_dropped_bad_csum++;
                return;
            }
        }
        if (uint8_t(h[0]) != echo_request || info.dst != _ip.host_address()) {
            _stats.rx_ignored++;
            return;
        }
        _stats.echo_requests++;
        // The reply is the request with another type and checksum. The
        // packet may share the device's buffer: copy it before writing.
        p.linearize();
        packet reply(p.frag(0).base, p.len());
        char* r = reply.get_header(0, 8);
        r[0] = char(echo_reply);
        r[1] = 0;
        write_be<uint16_t>(r + 2, 0);
        write_be<uint16_t>(r + 2, [&] {
            checksummer c;
            c.sum(reply);
            return c.get();
        }());
        _ip.send(ipv4_l4_send{_ip.host_address(), info.src, uint8_t(ip_protocol_num::icmp), std::move(reply), {}});
        _stats.echo_replies_sent++;
    } catch (const std::bad_alloc&) {
        _stats.rx_dropped_short++;
    }
}

} // namespace seastar::net
