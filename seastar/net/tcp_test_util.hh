// Test support for seastar/net/tcp.hh: an in-memory wire between TCP
// instances on manual_clock, with seeded loss, duplication and reordering,
// and a capturing lower layer for crafted-segment tests.
//
// Contract: one thread; the wire delivers only from step(), never from
// inside tcp_l3::send(), as tcp.hh requires.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/net/packet.hh"
#include "seastar/net/tcp.hh"

namespace seastar::net::testing {

using mtcp = basic_tcp<manual_clock>;

inline constexpr uint32_t ip_a = 0xc0000201; // 192.0.2.1
inline constexpr uint32_t ip_b = 0xc0000202; // 192.0.2.2

// A copy of a packet's bytes (the wire keeps its own copy, as a NIC would).
std::string bytes_of(const packet& p);

struct wire_faults {
    uint64_t seed = 1;
    double loss = 0;
    double duplicate = 0;
    double reorder = 0; // share of frames delayed by 1-4 extra ms
};

class wire {
public:
    struct frame {
        manual_clock::time_point due;
        uint64_t order;
        int to;
        uint32_t src, dst;
        std::string bytes;
    };

    class end final : public tcp_l3 {
        wire& _w;
        int _side;

    public:
        end(wire& w, int side) : _w(w), _side(side) {}
        void send(uint32_t local, uint32_t remote, packet segment) override;
        uint16_t mtu(uint32_t) const noexcept override { return _w.mtu; }
        uint32_t tso_max_segment() const noexcept override { return _w.tso_max; }
        // As a device with TSO would take it; delivered whole (as LRO would
        // merge it again), with the checksum filled here.
        void send_large(uint32_t local, uint32_t remote, packet segment, uint16_t mss) override;
    };

    explicit wire(wire_faults f = {});
    wire_faults faults;
    uint16_t mtu = 1500;
    // Segmentation offload below TCP: the largest segment send_large() takes.
    uint32_t tso_max = 0;
    // Segments that went through send_large(): (side, TCP payload bytes, mss).
    struct large_segment {
        int side;
        uint32_t payload;
        uint16_t mss;
    };
    std::vector<large_segment> large_segments;
    std::chrono::milliseconds latency{1};
    end a{*this, 0}, b{*this, 1};
    mtcp* tcp[2] = {nullptr, nullptr};
    uint64_t frames_sent = 0, frames_lost = 0, frames_duplicated = 0, frames_reordered = 0;
    // Optional tap: sees every frame as sent (side, bytes); return false to drop it.
    std::function<bool(int, const std::string&)> tap;

    // Delivers what is due, runs tasks; then moves the clock by `step`.
    void step(local_scheduler& sched, std::chrono::milliseconds step = std::chrono::milliseconds(1));
    // Steps until `done()` or `max_steps`; returns whether done() became true.
    bool run(local_scheduler& sched, const std::function<bool()>& done, unsigned max_steps);
    std::size_t queued() const noexcept { return _frames.size(); }

private:
    std::mt19937_64 _rng;
    std::uniform_real_distribution<double> _u{0, 1};
    uint64_t _order = 0;
    std::vector<frame> _frames;
    void push(int to, uint32_t src, uint32_t dst, std::string bytes, std::chrono::milliseconds delay);
};

} // namespace seastar::net::testing
