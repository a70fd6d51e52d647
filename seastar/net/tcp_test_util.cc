#include "seastar/net/tcp_test_util.hh"

#include <algorithm>

#include "seastar/net/ip_checksum.hh"

namespace seastar::net::testing {

std::string bytes_of(const packet& p) {
    std::string s;
    for (unsigned i = 0; i < p.nr_frags(); ++i) {
        auto f = p.frag(i);
        s.append(f.base, f.size);
    }
    return s;
}

wire::wire(wire_faults f) : faults(f), _rng(f.seed) {}

void wire::end::send_large(uint32_t local, uint32_t remote, packet segment, uint16_t mss) {
    char* h = segment.get_header(0, 20);
    if (!h) {
        return;
    }
    uint32_t hlen = (uint8_t(h[12]) >> 4) * 4u;
    _w.large_segments.push_back({_side, uint32_t(segment.len() - hlen), mss});
    h[16] = h[17] = 0; // it holds the pseudo-header sum for the device
    checksummer c;
    c.sum(local);
    c.sum(remote);
    c.sum(uint16_t(6));
    c.sum(uint16_t(segment.len()));
    c.sum(segment);
    uint16_t sum = c.get();
    h[16] = char(sum >> 8);
    h[17] = char(sum & 0xff);
    send(local, remote, std::move(segment));
}

void wire::end::send(uint32_t local, uint32_t remote, packet segment) {
    auto bytes = bytes_of(segment);
    ++_w.frames_sent;
    if (_w.tap && !_w.tap(_side, bytes)) {
        return;
    }
    auto& f = _w.faults;
    if (_w._u(_w._rng) < f.loss) {
        ++_w.frames_lost;
        return;
    }
    int to = 1 - _side;
    auto delay = _w.latency;
    if (_w._u(_w._rng) < f.reorder) {
        ++_w.frames_reordered;
        delay += std::chrono::milliseconds(1 + _w._rng() % 4);
    }
    if (_w._u(_w._rng) < f.duplicate) {
        ++_w.frames_duplicated;
        _w.push(to, local, remote, bytes, delay + std::chrono::milliseconds(_w._rng() % 3));
    }
    _w.push(to, local, remote, std::move(bytes), delay);
}

void wire::push(int to, uint32_t src, uint32_t dst, std::string bytes, std::chrono::milliseconds delay) {
    _frames.push_back(frame{manual_clock::now() + delay, _order++, to, src, dst, std::move(bytes)});
}

void wire::step(local_scheduler& sched, std::chrono::milliseconds d) {
    sched.run_until_idle();
    auto now = manual_clock::now();
    std::vector<frame> due, later;
    for (auto& f : _frames) {
        (f.due > now ? later : due).push_back(std::move(f));
    }
    _frames = std::move(later);
    std::sort(due.begin(), due.end(),
              [](const frame& x, const frame& y) { return x.due < y.due || (x.due == y.due && x.order < y.order); });
    for (auto& f : due) {
        if (tcp[f.to]) {
            tcp[f.to]->received(packet(f.bytes.data(), f.bytes.size()), f.src, f.dst);
        }
        sched.run_until_idle();
    }
    manual_clock::advance(d);
    sched.run_until_idle();
}

bool wire::run(local_scheduler& sched, const std::function<bool()>& done, unsigned max_steps) {
    for (unsigned i = 0; i < max_steps; ++i) {
        if (done()) {
            return true;
        }
        step(sched);
    }
    return done();
}

} // namespace seastar::net::testing
