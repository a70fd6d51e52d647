#include "seastar/net/arp.hh"

#include <cstring>
#include <vector>

#include "seastar/net/byteorder.hh"

namespace seastar::net {

namespace {
constexpr uint16_t htype_ethernet = 1;
constexpr uint16_t op_request = 1;
constexpr uint16_t op_reply = 2;
} // namespace

now_function steady_now() {
    return [] { return std::chrono::nanoseconds(std::chrono::steady_clock::now().time_since_epoch()); };
}

arp::arp(interface& iface, arp_config cfg) : _iface(iface), _cfg(std::move(cfg)) {
    if (!_cfg.now) {
        _cfg.now = steady_now();
    }
    _iface.register_l3(eth_protocol_num::arp,
                       [this](packet p, ethernet_address from, const offload_info&) { received(std::move(p), from); });
}

std::optional<ethernet_address> arp::lookup(ipv4_address a) const {
    auto it = _cache.find(a);
    if (it == _cache.end() || it->second.expiry <= _cfg.now()) {
        return std::nullopt;
    }
    return it->second.mac;
}

void arp::send(ipv4_address next_hop, packet p, const offload_info& oi) {
    if (next_hop == ipv4_address::broadcast_address()) {
        _iface.send(eth_protocol_num::ipv4, ethernet_address::broadcast(), std::move(p), oi);
        return;
    }
    if (auto mac = lookup(next_hop)) {
        _iface.send(eth_protocol_num::ipv4, *mac, std::move(p), oi);
        return;
    }
    if (!_waiting.contains(next_hop) && _waiting.size() >= _cfg.max_entries) {
        _stats.queue_dropped++;
        return;
    }
    auto [it, inserted] = _waiting.try_emplace(next_hop);
    auto& w = it->second;
    if (w.packets.size() >= _cfg.max_waiting_per_address) {
        // Keep the newest: the oldest is the likeliest to be retransmitted anyway.
        w.packets.pop_front();
        _stats.queue_dropped++;
    }
    w.packets.push_back(frame{std::move(p), oi});
    if (inserted) {
        send_request(next_hop);
        w.requests_sent = 1;
        w.next_request = _cfg.now() + _cfg.retry_interval;
    }
}

void arp::send_request(ipv4_address target) {
    send_arp(op_request, ethernet_address::broadcast(), ethernet_address{}, target);
    _stats.requests_sent++;
}

void arp::send_gratuitous() {
    send_arp(op_request, ethernet_address::broadcast(), ethernet_address{}, _self);
    _stats.requests_sent++;
}

void arp::send_arp(uint16_t op, ethernet_address dst_mac, ethernet_address tha, ipv4_address tpa) {
    packet p;
    char* b = p.prepend_uninitialized_header(packet_size);
    write_be<uint16_t>(b, htype_ethernet);
    write_be<uint16_t>(b + 2, uint16_t(eth_protocol_num::ipv4));
    b[4] = 6;
    b[5] = 4;
    write_be<uint16_t>(b + 6, op);
    auto mac = _iface.hw_address();
    std::memcpy(b + 8, mac.mac.data(), 6);
    write_be<uint32_t>(b + 14, _self.ip);
    std::memcpy(b + 18, tha.mac.data(), 6);
    write_be<uint32_t>(b + 24, tpa.ip);
    _iface.send(eth_protocol_num::arp, dst_mac, std::move(p));
}

void arp::learn(ipv4_address a, ethernet_address mac) {
    auto it = _cache.find(a);
    if (it == _cache.end() && _cache.size() >= _cfg.max_entries) {
        expire();
        if (_cache.size() >= _cfg.max_entries) {
            _stats.cache_full_dropped++;
            return;
        }
    }
    _cache[a] = entry{mac, _cfg.now() + _cfg.entry_ttl};
    _stats.learned++;
    auto w = _waiting.find(a);
    if (w != _waiting.end()) {
        auto packets = std::move(w->second.packets);
        _waiting.erase(w);
        for (auto& f : packets) {
            _iface.send(eth_protocol_num::ipv4, mac, std::move(f.p), f.oi);
        }
    }
}

void arp::expire() {
    auto now = _cfg.now();
    std::erase_if(_cache, [&](const auto& kv) {
        if (kv.second.expiry <= now) {
            _stats.expired++;
            return true;
        }
        return false;
    });
    std::vector<ipv4_address> retry;
    for (auto it = _waiting.begin(); it != _waiting.end();) {
        auto& w = it->second;
        if (w.next_request > now) {
            ++it;
            continue;
        }
        if (w.requests_sent >= _cfg.max_requests) {
            _stats.unresolved_dropped += w.packets.size();
            it = _waiting.erase(it);
            continue;
        }
        retry.push_back(it->first);
        w.requests_sent++;
        w.next_request = now + _cfg.retry_interval;
        ++it;
    }
    for (auto a : retry) {
        send_request(a);
    }
}

void arp::received(packet p, ethernet_address) noexcept {
    process(p, true);
}

void arp::learn_from(packet p) noexcept {
    process(p, false);
}

void arp::process(packet& p, bool answer) noexcept {
    _stats.rx_packets++;
    char* b = nullptr;
    try {
        b = p.get_header(0, packet_size);
    } catch (const std::bad_alloc&) {
    }
    if (!b) {
        _stats.rx_dropped_short++;
        return;
    }
    uint16_t htype = read_be<uint16_t>(b);
    uint16_t ptype = read_be<uint16_t>(b + 2);
    uint16_t op = read_be<uint16_t>(b + 6);
    if (htype != htype_ethernet || ptype != uint16_t(eth_protocol_num::ipv4) || b[4] != 6 || b[5] != 4 ||
        (op != op_request && op != op_reply)) {
        _stats.rx_dropped_malformed++;
        return;
    }
    ethernet_address sha;
    std::memcpy(sha.mac.data(), b + 8, 6);
    ipv4_address spa(read_be<uint32_t>(b + 14));
    ipv4_address tpa(read_be<uint32_t>(b + 24));
    if (sha.is_multicast() || spa == ipv4_address::broadcast_address()) {
        _stats.rx_dropped_malformed++;
        return;
    }
    try {
        // RFC 826: refresh a known sender; learn a new one only when the
        // packet is for us (a gratuitous announcement refreshes known ones).
        bool for_us = !_self.is_unspecified() && tpa == _self;
        if (!spa.is_unspecified() && (for_us || _cache.contains(spa) || _waiting.contains(spa))) {
            learn(spa, sha);
        }
        if (answer && op == op_request && for_us && spa != _self) {
            send_arp(op_reply, sha, sha, spa);
            _stats.replies_sent++;
        }
    } catch (const std::bad_alloc&) {
        _stats.rx_dropped_malformed++;
    }
}

} // namespace seastar::net
