// The capacity of one device, shared by every shard that uses it.
//
// A lock-free rate limiter in "theoretical arrival time" form: the bucket
// remembers when the device will have finished everything granted so far
// (`tat`, in nanoseconds of a monotonic clock). A grab of `cost` nanoseconds
// of device time succeeds while that backlog is at most `burst` ahead of now,
// and pushes `tat` by `cost`. So over any interval the shards together are
// granted at most interval + burst of device time, and a busy shard can take
// what idle shards leave (nothing is reserved per shard).
//
// Contract: any thread; try_grab() is one atomic compare-and-swap loop, no
// allocation. A request costlier than the burst still passes when the
// backlog is empty, so nothing starves.
//
//     internal::shared_token_bucket b(1'500'000);   // 1.5 ms of queue
//     if (b.try_grab(cost_ns, now_ns)) { submit(); }
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <sys/types.h>

namespace seastar::internal {

class shared_token_bucket {
    std::atomic<int64_t> _tat{0};
    int64_t _burst;

public:
    explicit shared_token_bucket(int64_t burst_ns) noexcept : _burst(burst_ns) {}

    bool try_grab(int64_t cost, int64_t now) noexcept {
        auto tat = _tat.load(std::memory_order_relaxed);
        for (;;) {
            auto base = std::max(tat, now);
            if (base - now > _burst) {
                return false;
            }
            if (_tat.compare_exchange_weak(tat, base + cost, std::memory_order_relaxed)) {
                return true;
            }
        }
    }
    // Nanoseconds of granted work the device has not finished yet.
    int64_t backlog(int64_t now) const noexcept {
        return std::max<int64_t>(_tat.load(std::memory_order_relaxed) - now, 0);
    }
    int64_t burst() const noexcept { return _burst; }
    // When try_grab() will next succeed (unless another shard grabs first):
    // once the backlog is down to the burst.
    int64_t ready_at() const noexcept { return _tat.load(std::memory_order_relaxed) - _burst; }
};

// Keeps the device's queue short when the disk model promises more than the
// device does under the running mix (a model measured with one kind of
// request alone, say, or a device whose write cache fills): it watches how
// much longer requests take in the kernel than the model predicts, and
// scales the cost the queue charges to the bucket and to its in-flight
// capacity. The I/O queue reports as excess a request's kernel time minus
// the charged cost of everything that was in the kernel with it, itself
// included (what it would have taken on a device as fast as charged).
//
// Every `window` of completions (time, at least `min_samples` of them) the
// window's mean excess is compared with a floor: the device's own latency
// beyond the model, which a request has however short the queue is. The
// floor is the lowest of the last `history` window means (this one
// included) and of the last `probe_history` probes. A probe is one request
// that the queue sent alone into an empty kernel (it holds dispatch back
// until the kernel drained), due every `probe_interval` while the last
// window's mean was above `goal / 4` (below it, no floor could make the
// controller raise the scale, so there is nothing to learn); its excess is
// its kernel time minus its own charged cost. Without
// probes, a load that never lets up would set the floor itself: every
// window is as slow as the queue makes it, and nothing would be throttled.
// What the queue adds on top of the floor, above `goal / 4` in
// `slow_windows_to_raise` windows in a row, multiplies the scale by `raise`
// (again in each further such window), up to `max_scale`. A single slow
// window between fast ones is a stall, not a queue: a virtual machine
// whose host pauses it for 20-25 ms every 100 ms under heavy disk writes
// made one in ten windows slow, and raising on each drove the scale to its
// bound and the device to a sixtieth of its model. Below `goal / 8` it
// divides the
// scale by `lower`, down to 1 (the model as written). Between the two it
// holds. A quarter of the goal, because a model 1.5x above the device
// leaves requests in a full kernel half the capacity (the goal) later than
// charged: a threshold of the whole goal let such a model stand, and with
// it too many requests in the kernel for shares to decide. Charging more cannot make a lone request faster: a device
// whose every request takes longer than the model says (a virtual disk behind a busy host, say), alone or not, is not
// throttled for it, only for latency that grows with the queue. Shard-local (one per I/O queue); no allocation.
//
//     internal::io_flow_controller fc(750'000);
//     fc.on_completion(exec_ns - charged_ahead_ns, now_ns);
//     if (fc.probe_due(now_ns)) { /* drain, send one alone, then: */ fc.on_probe(exec_ns - cost_ns, now_ns); }
//     bucket.try_grab(int64_t(cost * fc.scale()), now_ns);
class io_flow_controller {
    int64_t _goal;
    double _scale = 1.0;
    int64_t _window_start = 0;
    int64_t _excess_sum = 0;
    uint64_t _samples = 0;

public:
    static constexpr int64_t window = 10'000'000; // ns
    static constexpr uint64_t min_samples = 8;
    static constexpr unsigned history = 64;
    static constexpr double raise = 1.25;
    static constexpr double lower = 1.05;
    static constexpr double max_scale = 64.0;
    static constexpr unsigned slow_windows_to_raise = 2;
    static constexpr int64_t probe_interval = 250'000'000; // ns
    static constexpr unsigned probe_history = 8;

    explicit io_flow_controller(int64_t goal_ns) noexcept : _goal(goal_ns) {}

    void on_completion(int64_t excess_ns, int64_t now) noexcept {
        if (!_started) {
            // The first probe comes an interval after the first completion.
            _started = true;
            _last_probe = now;
        }
        if (_samples == 0) {
            _window_start = now;
        }
        _excess_sum += std::max<int64_t>(excess_ns, 0);
        ++_samples;
        if (now - _window_start < window || _samples < min_samples) {
            return;
        }
        auto mean = _excess_sum / int64_t(_samples);
        _last_mean = mean;
        _means[_next] = mean;
        _next = (_next + 1) % history;
        _filled = std::min(_filled + 1, history);
        auto floor = *std::min_element(_means.begin(), _means.begin() + _filled);
        if (_probes_filled) {
            floor = std::min(floor, *std::min_element(_probes.begin(), _probes.begin() + _probes_filled));
        }
        auto queued = mean - floor;
        if (queued > _goal / 4) {
            // A window alone proves nothing: a stall that holds every
            // request at once (a host pausing the machine) makes one.
            if (++_slow_windows >= slow_windows_to_raise) {
                _scale = std::min(_scale * raise, max_scale);
            }
        } else {
            _slow_windows = 0;
            if (queued < _goal / 8) {
                _scale = std::max(_scale / lower, 1.0);
            }
        }
        _excess_sum = 0;
        _samples = 0;
    }
    // Whether the queue should measure the device alone now: the last
    // window was slow enough for the floor to matter, and an interval has
    // passed since the last probe (or the first completion).
    bool probe_due(int64_t now) const noexcept {
        return _started && _last_mean > _goal / 4 && now - _last_probe >= probe_interval;
    }
    // A probe's kernel time minus its own charged cost; restarts the interval.
    void on_probe(int64_t excess_ns, int64_t now) noexcept {
        _probes[_next_probe] = std::max<int64_t>(excess_ns, 0);
        _next_probe = (_next_probe + 1) % probe_history;
        _probes_filled = std::min(_probes_filled + 1, probe_history);
        _last_probe = now;
    }
    // What the model's costs are multiplied by before they are charged.
    double scale() const noexcept { return _scale; }

private:
    std::array<int64_t, history> _means{};
    unsigned _filled = 0;
    unsigned _next = 0;
    std::array<int64_t, probe_history> _probes{};
    unsigned _probes_filled = 0;
    unsigned _next_probe = 0;
    bool _started = false;
    int64_t _last_probe = 0;
    int64_t _last_mean = 0;
    unsigned _slow_windows = 0;
};

// The process-wide bucket of device `dev` (made on first use with `burst_ns`).
std::shared_ptr<shared_token_bucket> device_token_bucket(dev_t dev, int64_t burst_ns);

} // namespace seastar::internal
