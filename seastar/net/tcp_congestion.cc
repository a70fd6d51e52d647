#include "seastar/net/tcp_congestion.hh"

#include <algorithm>
#include <cmath>

namespace seastar::net {

namespace {

// RFC 5681 3.1: the initial window, min(4 * MSS, max(2 * MSS, 4380)).
uint32_t initial_window(uint32_t mss) noexcept {
    return std::min(4 * mss, std::max(2 * mss, 4380u));
}

class newreno final : public tcp_congestion_control {
    uint32_t _ca_acked = 0;

public:
    using tcp_congestion_control::tcp_congestion_control;

    void on_ack(uint32_t acked, uint32_t, std::chrono::nanoseconds, std::chrono::nanoseconds) noexcept override {
        if (in_slow_start()) {
            _cwnd += std::min(acked, _mss); // RFC 5681 (2), appropriate byte counting L = 1
        } else {
            // Byte counting (RFC 5681 3.1): one MSS per window of acknowledged bytes.
            _ca_acked += acked;
            if (_ca_acked >= _cwnd) {
                _ca_acked -= _cwnd;
                _cwnd = std::min(_cwnd + _mss, UINT32_MAX / 2);
            }
        }
    }
    void on_congestion_event(uint32_t flight, std::chrono::nanoseconds) noexcept override {
        _ssthresh = std::max(flight / 2, 2 * _mss);
        _ca_acked = 0;
    }
    void on_timeout(uint32_t flight, std::chrono::nanoseconds) noexcept override {
        _ssthresh = std::max(flight / 2, 2 * _mss);
        _ca_acked = 0;
        _cwnd = _mss;
    }
};

class cubic final : public tcp_congestion_control {
    static constexpr double c = 0.4;
    static constexpr double beta = 0.7;
    // Windows below are in segments (doubles), as RFC 9438 writes them.
    double _w_max = 0;
    double _w_est = 0;
    double _k = 0;
    double _cwnd_epoch = 0;
    bool _epoch_started = false;
    std::chrono::nanoseconds _epoch_start{0};

    double segs(uint32_t bytes) const noexcept { return double(bytes) / _mss; }

    void reduce(uint32_t, std::chrono::nanoseconds) noexcept {
        double cw = segs(_cwnd);
        // Fast convergence (RFC 9438 4.7).
        if (cw < _w_max) {
            _w_max = cw * (1 + beta) / 2;
        } else {
            _w_max = cw;
        }
        double ss = std::max(cw * beta, 2.0);
        _ssthresh = uint32_t(ss * _mss);
        _epoch_started = false;
    }

public:
    using tcp_congestion_control::tcp_congestion_control;

    void on_ack(uint32_t acked, uint32_t, std::chrono::nanoseconds now,
                std::chrono::nanoseconds srtt) noexcept override {
        if (in_slow_start()) {
            _cwnd += std::min(acked, _mss);
            return;
        }
        if (!_epoch_started) {
            _epoch_started = true;
            _epoch_start = now;
            _cwnd_epoch = segs(_cwnd);
            _w_est = _cwnd_epoch;
            if (_w_max <= _cwnd_epoch) {
                _k = 0;
                _w_max = _cwnd_epoch;
            } else {
                _k = std::cbrt((_w_max - _cwnd_epoch) / c); // RFC 9438 (2)
            }
        }
        double cw = segs(_cwnd);
        double t = std::chrono::duration<double>(now - _epoch_start + srtt).count();
        double target = c * std::pow(t - _k, 3) + _w_max; // W_cubic(t + RTT)
        target = std::clamp(target, cw, 1.5 * cw);
        // Reno-friendly estimate (RFC 9438 4.3), alpha = 3 (1 - beta) / (1 + beta).
        double alpha = _w_est < _w_max ? 3 * (1 - beta) / (1 + beta) : 1.0;
        double acked_segs = segs(acked);
        _w_est += alpha * acked_segs / cw;
        double next;
        if (_w_est > target) {
            next = _w_est;
        } else {
            next = cw + (target - cw) / cw * acked_segs;
        }
        next = std::min(next, 1e6);
        _cwnd = std::max(_cwnd, uint32_t(next * _mss));
    }
    void on_congestion_event(uint32_t flight, std::chrono::nanoseconds now) noexcept override { reduce(flight, now); }
    void on_timeout(uint32_t flight, std::chrono::nanoseconds now) noexcept override {
        reduce(flight, now);
        _cwnd = _mss;
    }
};

} // namespace

tcp_congestion_control::tcp_congestion_control(uint32_t mss) noexcept : _mss(mss), _cwnd(initial_window(mss)) {}

std::unique_ptr<tcp_congestion_control> make_tcp_congestion_control(tcp_congestion_algorithm a, uint32_t mss) {
    if (a == tcp_congestion_algorithm::cubic) {
        return std::make_unique<cubic>(mss);
    }
    return std::make_unique<newreno>(mss);
}

} // namespace seastar::net
