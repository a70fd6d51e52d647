#include "seastar/net/interface.hh"

namespace seastar::net {

interface::interface(std::unique_ptr<qp> q, ethernet_address mac, const net::hw_features& hw)
    : _qp(std::move(q)), _mac(mac), _hw(hw) {
    _qp->receive([this](frame f) { received(std::move(f)); });
}

void interface::register_l3(eth_protocol_num proto, l3_handler h) {
    switch (proto) {
    case eth_protocol_num::arp:
        _arp = std::move(h);
        break;
    case eth_protocol_num::ipv4:
        _ipv4 = std::move(h);
        break;
    default:
        throw std::invalid_argument("interface: no L3 slot for this EtherType");
    }
}

void interface::send(eth_protocol_num proto, ethernet_address dst, packet p, const offload_info& oi) {
    eth_hdr h{dst, _mac, uint16_t(proto)};
    h.write(p.prepend_uninitialized_header(eth_hdr::size));
    _stats.tx_frames++;
    _qp->send(frame{std::move(p), oi});
}

void interface::received(frame f) noexcept {
    _stats.rx_frames++;
    std::optional<eth_hdr> h;
    try {
        h = eth_hdr::read(f.p);
    } catch (const std::bad_alloc&) {
        _stats.rx_dropped_short++;
        return;
    }
    if (!h) {
        _stats.rx_dropped_short++;
        return;
    }
    if (h->dst != _mac && !h->dst.is_broadcast()) {
        _stats.rx_dropped_not_for_us++;
        return;
    }
    l3_handler* handler = nullptr;
    switch (eth_protocol_num(h->eth_proto)) {
    case eth_protocol_num::arp:
        handler = &_arp;
        break;
    case eth_protocol_num::ipv4:
        handler = &_ipv4;
        break;
    default:
        break;
    }
    if (!handler || !*handler) {
        _stats.rx_dropped_unknown_proto++;
        return;
    }
    f.p.trim_front(eth_hdr::size);
    (*handler)(std::move(f.p), h->src, f.oi);
}

} // namespace seastar::net
