// manual_clock: a clock that moves only when told to, for deterministic tests.
//
// now() starts at the epoch and changes only through advance(). Timers on it
// (timer<manual_clock>, sleep<manual_clock>, with_timeout at manual_clock
// time points) fire when advance() moves time past their expiry: advance()
// schedules one urgent task on the calling thread that fires them, so their
// callbacks run after the caller yields (e.g. `co_await yield()`), just as in
// Seastar. Without an installed task scheduler they fire inside advance().
//
// Contract: the time is global (any thread may read it); advance() fires
// only the calling thread's timers (one shard until the smp layer extends it).
// advance() allocates one task; it aborts if that allocation fails.
//
//     seastar::timer<seastar::manual_clock> t([&] { fired = true; });
//     t.arm(std::chrono::seconds(10));
//     seastar::manual_clock::advance(std::chrono::seconds(10));   // fires soon after
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "seastar/core/task.hh"
#include "seastar/core/timer.hh"

namespace seastar {

class manual_clock {
public:
    using rep = int64_t;
    using period = std::nano;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<manual_clock, duration>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept { return time_point(duration(_now.load(std::memory_order_relaxed))); }

    static void advance(duration d) noexcept {
        _now.fetch_add(d.count(), std::memory_order_relaxed);
        if (!internal::current_task_scheduler()) {
            expire_timers();
            return;
        }
        schedule_urgent(new expire_task());
    }

    // Fires this thread's manual_clock timers that are due now.
    static void expire_timers() noexcept { internal::local_timer_set<manual_clock>().expire(now()); }

private:
    struct expire_task final : task {
        void run_and_dispose() noexcept override {
            expire_timers();
            delete this;
        }
    };
    static inline constinit std::atomic<rep> _now{0};
};

} // namespace seastar
