#include "seastar/net/net_test_util.hh"

#include <stdexcept>

#include "seastar/net/byteorder.hh"
#include "seastar/net/ip_checksum.hh"

namespace seastar::net::testing {

class capture_qp final : public qp {
    std::shared_ptr<capture_device::shared> _s;

public:
    explicit capture_qp(std::shared_ptr<capture_device::shared> s) : _s(std::move(s)) { _s->q = this; }
    ~capture_qp() override { _s->q = nullptr; }
    void inject(std::string_view bytes) { deliver(frame{packet(bytes.data(), bytes.size()), {}}); }

protected:
    void send_batch(std::vector<frame>& batch) noexcept override {
        for (auto& f : batch) {
            _s->sent.push_back(flatten(f.p));
            _s->sent_oi.push_back(f.oi);
        }
    }
};

capture_device::capture_device(ethernet_address mac) : _mac(mac), _s(std::make_shared<shared>()) {}

std::unique_ptr<qp> capture_device::make_queue(unsigned qid) {
    if (qid != 0 || _s->q) {
        throw std::logic_error("capture_device: one queue");
    }
    return std::make_unique<capture_qp>(_s);
}

void capture_device::inject(std::string_view bytes) {
    if (!_s->q) {
        throw std::logic_error("capture_device: no queue");
    }
    _s->q->inject(bytes);
}

std::string flatten(const packet& p) {
    std::string s;
    for (auto& f : p.fragments()) {
        s.append(f.base, f.size);
    }
    return s;
}

namespace {
void put16(std::string& s, std::size_t at, uint16_t v) {
    write_be<uint16_t>(s.data() + at, v);
}
void put32(std::string& s, std::size_t at, uint32_t v) {
    write_be<uint32_t>(s.data() + at, v);
}
} // namespace

std::string eth_frame(ethernet_address dst, ethernet_address src, uint16_t type, std::string_view payload) {
    std::string s(14, '\0');
    eth_hdr{dst, src, type}.write(s.data());
    s.append(payload);
    return s;
}

std::string ipv4_packet(ipv4_address src, ipv4_address dst, uint8_t proto, std::string_view payload, uint16_t id,
                        uint16_t frag, uint8_t ttl) {
    std::string s(20, '\0');
    s[0] = 0x45;
    put16(s, 2, uint16_t(20 + payload.size()));
    put16(s, 4, id);
    put16(s, 6, frag);
    s[8] = char(ttl);
    s[9] = char(proto);
    put32(s, 12, src.ip);
    put32(s, 16, dst.ip);
    s.append(payload);
    fix_ipv4_csum(s);
    return s;
}

void fix_ipv4_csum(std::string& ip) {
    std::size_t hlen = (uint8_t(ip[0]) & 0xf) * 4u;
    put16(ip, 10, 0);
    put16(ip, 10, ip_checksum(ip.data(), std::min(hlen, ip.size())));
}

std::string udp_segment(ipv4_address src, ipv4_address dst, uint16_t sport, uint16_t dport, std::string_view payload) {
    std::string s(8, '\0');
    put16(s, 0, sport);
    put16(s, 2, dport);
    put16(s, 4, uint16_t(8 + payload.size()));
    s.append(payload);
    checksummer c;
    c.sum(src.ip);
    c.sum(dst.ip);
    c.sum(uint16_t(17));
    c.sum(uint16_t(s.size()));
    c.sum(s.data(), s.size());
    uint16_t cs = c.get();
    put16(s, 6, cs ? cs : 0xffff);
    return s;
}

std::string icmp_echo(uint8_t type, uint16_t id, uint16_t seq, std::string_view data) {
    std::string s(8, '\0');
    s[0] = char(type);
    put16(s, 4, id);
    put16(s, 6, seq);
    s.append(data);
    put16(s, 2, ip_checksum(s.data(), s.size()));
    return s;
}

std::string arp_packet(uint16_t op, ethernet_address sha, ipv4_address spa, ethernet_address tha, ipv4_address tpa) {
    std::string s(28, '\0');
    put16(s, 0, 1);
    put16(s, 2, 0x0800);
    s[4] = 6;
    s[5] = 4;
    put16(s, 6, op);
    std::copy(sha.mac.begin(), sha.mac.end(), s.begin() + 8);
    put32(s, 14, spa.ip);
    std::copy(tha.mac.begin(), tha.mac.end(), s.begin() + 18);
    put32(s, 24, tpa.ip);
    return s;
}

} // namespace seastar::net::testing
