// TCP congestion control: the window-growth algorithms a connection selects.
//
// A connection owns one tcp_congestion_control and tells it about newly
// acknowledged bytes outside recovery, congestion events (entering fast
// recovery, RFC 6582) and retransmission timeouts. Loss recovery itself
// (fast retransmit, NewReno partial acknowledgements, window inflation)
// stays in the connection; the algorithm decides ssthresh and how cwnd grows.
//   * newreno: slow start, then one MSS per RTT (RFC 5681), ssthresh = flight/2.
//   * cubic: RFC 9438 (C = 0.4, beta = 0.7, fast convergence, the
//     Reno-friendly region), windows kept in bytes.
// Times are durations since any fixed origin, so the caller's clock decides.
// Contract: one connection, one shard; no allocation after construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

namespace seastar::net {

enum class tcp_congestion_algorithm { newreno, cubic };

class tcp_congestion_control {
protected:
    uint32_t _mss;
    uint32_t _cwnd;
    uint32_t _ssthresh = UINT32_MAX;

public:
    explicit tcp_congestion_control(uint32_t mss) noexcept;
    virtual ~tcp_congestion_control() = default;

    uint32_t cwnd() const noexcept { return _cwnd; }
    uint32_t ssthresh() const noexcept { return _ssthresh; }
    uint32_t mss() const noexcept { return _mss; }
    bool in_slow_start() const noexcept { return _cwnd < _ssthresh; }
    // Used by the connection during fast recovery (inflation and deflation).
    void set_cwnd(uint32_t c) noexcept { _cwnd = c; }

    // `acked` new bytes acknowledged outside recovery; `flight` bytes were
    // outstanding before the ACK; `srtt` is the smoothed RTT (0 if unknown).
    virtual void on_ack(uint32_t acked, uint32_t flight, std::chrono::nanoseconds now,
                        std::chrono::nanoseconds srtt) noexcept = 0;
    // Three duplicate ACKs: sets ssthresh (the caller then inflates cwnd).
    virtual void on_congestion_event(uint32_t flight, std::chrono::nanoseconds now) noexcept = 0;
    // Retransmission timeout: ssthresh reduced, cwnd to one segment.
    virtual void on_timeout(uint32_t flight, std::chrono::nanoseconds now) noexcept = 0;
};

std::unique_ptr<tcp_congestion_control> make_tcp_congestion_control(tcp_congestion_algorithm a, uint32_t mss);

} // namespace seastar::net
