#include "seastar/net/ip.hh"

#include <algorithm>
#include <cstring>
#include <vector>

#include "seastar/net/byteorder.hh"
#include "seastar/net/ip_checksum.hh"
#include "seastar/net/toeplitz.hh"

namespace seastar::net {

namespace {
// The largest IPv4 payload: 65535 minus the smallest header.
constexpr uint32_t max_payload = 65535 - ipv4_hdr::min_size;
} // namespace

ipv4_hdr ipv4_hdr::read(const char* b) noexcept {
    ipv4_hdr h;
    h.ihl = uint8_t(b[0]) & 0xf;
    h.dscp_ecn = uint8_t(b[1]);
    h.total_len = read_be<uint16_t>(b + 2);
    h.id = read_be<uint16_t>(b + 4);
    h.frag = read_be<uint16_t>(b + 6);
    h.ttl = uint8_t(b[8]);
    h.proto = uint8_t(b[9]);
    h.csum = read_be<uint16_t>(b + 10);
    h.src = ipv4_address(read_be<uint32_t>(b + 12));
    h.dst = ipv4_address(read_be<uint32_t>(b + 16));
    return h;
}

void ipv4_hdr::write(char* out, bool with_csum) const noexcept {
    out[0] = char(0x40 | (ihl & 0xf));
    out[1] = char(dscp_ecn);
    write_be<uint16_t>(out + 2, total_len);
    write_be<uint16_t>(out + 4, id);
    write_be<uint16_t>(out + 6, frag);
    out[8] = char(ttl);
    out[9] = char(proto);
    write_be<uint16_t>(out + 10, 0);
    write_be<uint32_t>(out + 12, src.ip);
    write_be<uint32_t>(out + 16, dst.ip);
    if (with_csum) {
        write_be<uint16_t>(out + 10, ip_checksum(out, min_size));
    }
}

size_t ipv4::frag_key_hash::operator()(const frag_key& k) const noexcept {
    uint64_t h = (uint64_t(k.src) << 32) ^ k.dst ^ (uint64_t(k.id) << 16) ^ k.proto;
    return std::hash<uint64_t>()(h * 0x9e3779b97f4a7c15ull);
}

ipv4::ipv4(interface& iface, arp& arp, ipv4_config cfg) : _iface(iface), _arp(arp), _cfg(std::move(cfg)) {
    if (!_cfg.now) {
        _cfg.now = steady_now();
    }
    _arp.set_self_addr(_cfg.host);
    _iface.register_l3(eth_protocol_num::ipv4, [this](packet p, ethernet_address from, const offload_info& oi) {
        received(std::move(p), from, oi);
    });
}

void ipv4::set_host_address(ipv4_address a) noexcept {
    _cfg.host = a;
    _arp.set_self_addr(a);
}

void ipv4::register_l4(uint8_t proto, ip_protocol& handler) {
    _l4[proto] = &handler;
}

void ipv4::unregister_l4(uint8_t proto) noexcept {
    _l4[proto] = nullptr;
}

void ipv4::pseudo_header_checksum(checksummer& c, ipv4_address src, ipv4_address dst, uint8_t proto,
                                  uint16_t l4_len) noexcept {
    c.sum(src.ip);
    c.sum(dst.ip);
    c.sum(uint16_t(proto));
    c.sum(l4_len);
}

bool ipv4::for_us(ipv4_address dst) const noexcept {
    if (dst == _cfg.host || dst == ipv4_address::broadcast_address()) {
        return true;
    }
    // The subnet's broadcast address.
    uint32_t mask = _cfg.netmask.ip;
    return !_cfg.host.is_unspecified() && mask != 0xffffffff && (dst.ip & mask) == (_cfg.host.ip & mask) &&
           (dst.ip | mask) == 0xffffffff;
}

void ipv4::send(ipv4_l4_send s) {
    if (s.src.is_unspecified()) {
        s.src = _cfg.host;
    }
    uint32_t len = s.p.len();
    if (len > max_payload) {
        _stats.tx_dropped_too_big++;
        return;
    }
    if (s.dst.is_unspecified()) {
        _stats.tx_dropped_no_route++;
        return;
    }
    auto& hw = _iface.hw_features();
    offload_info oi;
    oi.protocol = s.proto;
    oi.l4_hdr_len = s.csum.l4_hdr_len;
    oi.l4_csum_offset = s.csum.csum_offset;
    // Cut by the device whenever the payload exceeds the segment size (the
    // peer's MSS binds even when the datagram would fit the MTU).
    uint32_t l4_payload = len > s.csum.l4_hdr_len ? len - s.csum.l4_hdr_len : 0;
    bool tso = s.csum.tso_seg_size != 0 && l4_payload > s.csum.tso_seg_size;
    if (tso) {
        // Segmentation offload: the device cuts it, so it must be able to and
        // the datagram must fit what it accepts.
        if (!hw.tx_tso || !hw.tx_csum_ip_offload || !hw.tx_csum_l4_offload || !s.csum.needs_csum ||
            len + ipv4_hdr::min_size + eth_hdr::size > hw.max_packet_len) {
            _stats.tx_dropped_too_big++;
            return;
        }
        oi.tso_seg_size = s.csum.tso_seg_size;
    }
    bool fragmented = !tso && len > max_l4_unfragmented();
    if (s.csum.needs_csum) {
        if (s.csum.csum_offset + 2u > len) {
            _stats.tx_dropped_too_big++;
            return;
        }
        checksummer c;
        pseudo_header_checksum(c, s.src, s.dst, s.proto, uint16_t(len));
        char* field = s.p.get_header(s.csum.csum_offset, 2);
        write_be<uint16_t>(field, 0);
        if (hw.tx_csum_l4_offload && !fragmented) {
            // The device adds the L4 bytes to the pseudo-header sum we leave.
            write_be<uint16_t>(field, uint16_t(~c.get()));
            oi.needs_csum = true;
        } else {
            c.sum(s.p);
            uint16_t csum = c.get();
            if (csum == 0 && s.proto == uint8_t(ip_protocol_num::udp)) {
                csum = 0xffff; // 0 means "no checksum" in UDP
            }
            write_be<uint16_t>(s.p.get_header(s.csum.csum_offset, 2), csum);
        }
    }
    ipv4_address next_hop = s.dst;
    uint32_t mask = _cfg.netmask.ip;
    if (s.dst != ipv4_address::broadcast_address() && !_cfg.gateway.is_unspecified() &&
        (s.dst.ip & mask) != (_cfg.host.ip & mask)) {
        next_hop = _cfg.gateway;
    }
    ipv4_hdr h;
    h.ttl = _cfg.ttl;
    h.proto = s.proto;
    h.src = s.src;
    h.dst = s.dst;
    h.id = _next_id++;
    if (!fragmented) {
        h.total_len = uint16_t(len + ipv4_hdr::min_size);
        send_one(next_hop, h, std::move(s.p), oi);
        return;
    }
    oi.needs_csum = false;
    uint32_t chunk = max_l4_unfragmented() & ~7u;
    for (uint32_t off = 0; off < len; off += chunk) {
        uint32_t n = std::min(chunk, len - off);
        h.frag = uint16_t(off / 8) | (off + n < len ? ipv4_hdr::flag_mf : 0);
        h.total_len = uint16_t(n + ipv4_hdr::min_size);
        send_one(next_hop, h, s.p.share(off, n), oi);
        _stats.tx_fragments++;
    }
}

void ipv4::send_one(ipv4_address next_hop, const ipv4_hdr& h, packet p, const offload_info& oi_in) {
    offload_info oi = oi_in;
    bool hw_ip_csum = _iface.hw_features().tx_csum_ip_offload;
    oi.needs_ip_csum = hw_ip_csum;
    oi.ip_hdr_len = ipv4_hdr::min_size;
    h.write(p.prepend_uninitialized_header(ipv4_hdr::min_size), !hw_ip_csum);
    _stats.tx_packets++;
    _arp.send(next_hop, std::move(p), oi);
}

void ipv4::received(packet p, ethernet_address from, const offload_info& oi) noexcept {
    _stats.rx_packets++;
    try {
        char* b = p.get_header(0, ipv4_hdr::min_size);
        if (!b) {
            _stats.rx_dropped_short++;
            return;
        }
        if ((uint8_t(b[0]) >> 4) != 4) {
            _stats.rx_dropped_bad_version++;
            return;
        }
        auto h = ipv4_hdr::read(b);
        std::size_t hlen = std::size_t(h.ihl) * 4;
        if (hlen < ipv4_hdr::min_size) {
            _stats.rx_dropped_bad_header_len++;
            return;
        }
        b = p.get_header(0, hlen);
        if (!b) {
            _stats.rx_dropped_short++;
            return;
        }
        if (h.total_len < hlen || h.total_len > p.len()) {
            _stats.rx_dropped_bad_length++;
            return;
        }
        if (ip_checksum(b, hlen) != 0) {
            _stats.rx_dropped_bad_csum++;
            return;
        }
        if (h.ttl == 0) {
            _stats.rx_dropped_ttl++;
            return;
        }
        if (h.src == ipv4_address::broadcast_address() || (h.src.ip >> 28) == 0xe) {
            _stats.rx_dropped_bad_src++;
            return;
        }
        if (!for_us(h.dst)) {
            _stats.rx_dropped_not_for_us++;
            return;
        }
        // Ethernet pads short frames: keep the datagram only.
        p.trim_back(p.len() - h.total_len);
        p.trim_front(hlen);
        ipv4_rx_info info{h.src, h.dst, h.proto, oi.rx_csum_good, oi.rss_hash};
        if (h.mf() || h.offset() != 0) {
            // A NIC hashes fragments by their addresses only; so do we.
            if (_steering.owner && forwarded(flow_hash(h.src, h.dst, nullptr), p, info, h)) {
                return;
            }
            handle_fragment(std::move(p), h, info);
            return;
        }
        // Steering places by the hash computed here even when the device
        // gave one: a device's hash may use another key or other fields, and
        // every shard (connect()'s port choice, reassembled datagrams) must
        // agree on where a flow lives.
        if (!info.rss_hash || _steering.owner) {
            info.rss_hash = software_rss_hash(p, info);
        }
        if (_steering.owner && forwarded(*info.rss_hash, p, info, std::nullopt)) {
            return;
        }
        deliver(std::move(p), info);
    } catch (const std::bad_alloc&) {
        _stats.rx_dropped_short++;
    }
}

uint32_t ipv4::flow_hash(ipv4_address src, ipv4_address dst, const char* ports) noexcept {
    uint8_t in[12];
    write_be<uint32_t>(in, src.ip);
    write_be<uint32_t>(in + 4, dst.ip);
    std::size_t n = 8;
    if (ports) {
        std::memcpy(in + 8, ports, 4);
        n = 12;
    }
    return toeplitz_hash(default_rsskey_40bytes, std::span<const uint8_t>(in, n));
}

uint32_t ipv4::software_rss_hash(packet& l4, const ipv4_rx_info& info) {
    // What an RSS NIC hashes: addresses, and the ports of TCP and UDP.
    const char* ports = nullptr;
    if (info.proto == uint8_t(ip_protocol_num::tcp) || info.proto == uint8_t(ip_protocol_num::udp)) {
        ports = l4.get_header(0, 4);
    }
    return flow_hash(info.src, info.dst, ports);
}

bool ipv4::forwarded(uint32_t hash, packet& p, const ipv4_rx_info& info, const std::optional<ipv4_hdr>& frag) noexcept {
    unsigned owner = _steering.owner(hash);
    if (!frag && info.proto == uint8_t(ip_protocol_num::udp) && _steering.udp_owner) {
        try {
            if (char* h = p.get_header(0, 4)) {
                owner = _steering.udp_owner(owner, read_be<uint16_t>(h + 2));
            }
        } catch (const std::bad_alloc&) {
            // placed by its hash alone
        }
    }
    if (owner == _steering.self) {
        return false;
    }
    _stats.rx_forwarded++;
    _steering.forward(owner, ipv4_forwarded{std::move(p), info, frag});
    return true;
}

void ipv4::accept_forwarded(ipv4_forwarded f) noexcept {
    _stats.rx_accepted_forwarded++;
    try {
        if (f.frag) {
            handle_fragment(std::move(f.p), *f.frag, f.info);
        } else {
            deliver(std::move(f.p), f.info);
        }
    } catch (const std::bad_alloc&) {
        _stats.rx_dropped_short++;
    }
}

void ipv4::deliver(packet p, const ipv4_rx_info& info) noexcept {
    auto handler = _l4[info.proto];
    if (!handler) {
        _stats.rx_dropped_unknown_proto++;
        return;
    }
    _stats.rx_delivered++;
    handler->received(std::move(p), info);
}

void ipv4::drop_reassembly(std::unordered_map<frag_key, reassembly, frag_key_hash>::iterator it) noexcept {
    _frag_mem -= it->second.bytes;
    _frags.erase(it);
}

void ipv4::handle_fragment(packet p, const ipv4_hdr& h, const ipv4_rx_info& info) {
    _stats.frags_received++;
    uint32_t start = h.offset();
    uint32_t len = p.len();
    uint32_t end = start + len;
    // A non-final fragment carries a multiple of 8 bytes (RFC 791); nothing
    // may reach beyond the largest datagram.
    if ((h.mf() && (len == 0 || len % 8 != 0)) || end > max_payload) {
        _stats.frags_malformed++;
        return;
    }
    frag_key key{h.src.ip, h.dst.ip, h.id, h.proto};
    auto it = _frags.find(key);
    if (it == _frags.end()) {
        it = _frags.emplace(key, reassembly{}).first;
        it->second.deadline = _cfg.now() + _cfg.reassembly_timeout;
        it->second.seq = _frag_seq++;
        it->second.info = info;
    }
    auto& r = it->second;
    // Contradictions: two different ends, or bytes beyond the end.
    uint32_t held_end = r.pieces.empty() ? 0 : r.pieces.rbegin()->first + r.pieces.rbegin()->second.len();
    if (!h.mf()) {
        if ((r.total && *r.total != end) || held_end > end) {
            _stats.reassembly_conflicts++;
            drop_reassembly(it);
            return;
        }
        r.total = end;
    } else if (r.total && end > *r.total) {
        _stats.reassembly_conflicts++;
        drop_reassembly(it);
        return;
    }
    // Keep only the bytes not held yet (the first copy of a byte wins).
    std::vector<std::pair<uint32_t, uint32_t>> gaps; // [from, to)
    uint32_t cursor = start;
    auto pi = r.pieces.upper_bound(start);
    if (pi != r.pieces.begin()) {
        --pi;
    }
    for (; pi != r.pieces.end() && pi->first < end; ++pi) {
        uint32_t ps = pi->first;
        uint32_t pe = ps + pi->second.len();
        if (pe <= cursor) {
            continue;
        }
        if (ps > cursor) {
            gaps.emplace_back(cursor, ps);
        }
        cursor = std::max(cursor, pe);
    }
    if (cursor < end) {
        gaps.emplace_back(cursor, end);
    }
    uint32_t new_bytes = 0;
    for (auto& g : gaps) {
        new_bytes += g.second - g.first;
    }
    _stats.frags_duplicate_bytes += len - new_bytes;
    // Stay under the memory limit: a datagram that cannot fit alone goes;
    // otherwise the oldest other datagrams make room.
    if (r.bytes + new_bytes > _cfg.reassembly_memory_limit) {
        _stats.reassembly_evicted++;
        drop_reassembly(it);
        return;
    }
    while (_frag_mem + new_bytes > _cfg.reassembly_memory_limit) {
        auto oldest = _frags.end();
        for (auto i = _frags.begin(); i != _frags.end(); ++i) {
            if (i != it && (oldest == _frags.end() || i->second.seq < oldest->second.seq)) {
                oldest = i;
            }
        }
        if (oldest == _frags.end()) {
            _stats.reassembly_evicted++;
            drop_reassembly(it);
            return;
        }
        _stats.reassembly_evicted++;
        drop_reassembly(oldest);
    }
    for (auto& g : gaps) {
        r.pieces.emplace(g.first, p.share(g.first - start, g.second - g.first));
    }
    r.bytes += new_bytes;
    _frag_mem += new_bytes;
    if (!r.total) {
        return;
    }
    uint32_t expect = 0;
    for (auto& [off, piece] : r.pieces) {
        if (off != expect) {
            return;
        }
        expect += piece.len();
    }
    if (expect != *r.total) {
        return;
    }
    packet whole;
    for (auto& [off, piece] : r.pieces) {
        whole.append(std::move(piece));
    }
    auto rinfo = r.info;
    drop_reassembly(it);
    // The flow's hash (a device's hash of a fragment covers the addresses only).
    rinfo.rss_hash = software_rss_hash(whole, rinfo);
    _stats.reassembled++;
    if (_steering.owner && forwarded(*rinfo.rss_hash, whole, rinfo, std::nullopt)) {
        return;
    }
    deliver(std::move(whole), rinfo);
}

void ipv4::expire() {
    auto now = _cfg.now();
    for (auto it = _frags.begin(); it != _frags.end();) {
        if (it->second.deadline <= now) {
            _stats.reassembly_timeouts++;
            _frag_mem -= it->second.bytes;
            it = _frags.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace seastar::net
