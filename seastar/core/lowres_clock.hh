// lowres_clock: a steady clock that is cheap to read (one relaxed load).
//
// Its value is the steady_clock time sampled by the reactor: every loop turn
// of any shard updates it, so while a shard is busy it trails real time by at
// most about one task quota; a shard that sleeps updates it when it wakes.
// Use it for timeouts and ages measured in milliseconds or more, where a
// syscall-free read matters more than precision. Before any reactor ran, now()
// samples steady_clock itself.
//
// Contract: any thread may call now(); it never goes backwards; nothing
// allocates or throws. timer<lowres_clock> works like timer<> and is fired by
// the reactor's timer phase.
//
//     auto deadline = seastar::lowres_clock::now() + std::chrono::seconds(5);
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace seastar {

class lowres_clock {
public:
    using rep = int64_t;
    using period = std::nano;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<lowres_clock, duration>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept {
        auto v = _now.load(std::memory_order_relaxed);
        if (v == 0) [[unlikely]] {
            return time_point(std::chrono::duration_cast<duration>(
                    std::chrono::steady_clock::now().time_since_epoch()));
        }
        return time_point(duration(v));
    }

    // Called by the reactor with a fresh steady_clock sample; keeps the clock
    // monotonic when several shards update it.
    static void update(std::chrono::steady_clock::time_point sample) noexcept {
        rep v = std::chrono::duration_cast<duration>(sample.time_since_epoch()).count();
        rep cur = _now.load(std::memory_order_relaxed);
        while (cur < v && !_now.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
        }
    }

private:
    static inline constinit std::atomic<rep> _now{0};
};

} // namespace seastar
