// sleep(): a future that becomes ready after a duration of a clock.
//
// Contract: call on a shard with a running reactor (steady_clock, lowres_clock)
// or drive time with manual_clock::advance() (manual_clock). Allocates one
// small object (the timer and its promise); never fails except by
// std::bad_alloc. The sleep cannot be cancelled; use a timer for that.
//
//     co_await seastar::sleep(std::chrono::milliseconds(10));
//     co_await seastar::sleep<seastar::manual_clock>(std::chrono::seconds(1));
#pragma once

#include <chrono>
#include <memory>

#include "seastar/core/future.hh"
#include "seastar/core/timer.hh"

namespace seastar {

template <typename Clock = steady_clock_type, typename Rep, typename Period>
future<> sleep(std::chrono::duration<Rep, Period> dur) {
    struct sleeper {
        promise<> done;
        timer<Clock> tmr;
        explicit sleeper(typename Clock::duration d) : tmr([this] { done.set_value(); }) { tmr.arm(d); }
    };
    auto s = std::make_unique<sleeper>(std::chrono::duration_cast<typename Clock::duration>(dur));
    auto f = s->done.get_future();
    return f.finally([s = std::move(s)] {});
}

} // namespace seastar
