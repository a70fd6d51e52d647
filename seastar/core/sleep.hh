// sleep(): a future that becomes ready after a duration of a clock.
//
// Contract: call on a shard with a running reactor (steady_clock, lowres_clock)
// or drive time with manual_clock::advance() (manual_clock). Allocates one
// small object (the timer and its promise); never fails except by
// std::bad_alloc. sleep() cannot be cancelled; sleep_abortable(dur, as) fails with
// sleep_aborted (or the exception given to request_abort_ex()) when `as` is aborted first,
// and at once when it already was.
//
//     co_await seastar::sleep(std::chrono::milliseconds(10));
//     co_await seastar::sleep<seastar::manual_clock>(std::chrono::seconds(1));
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>

#include "seastar/core/abort_source.hh"
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

class sleep_aborted : public abort_requested_exception {
public:
    const char* what() const noexcept override { return "Sleep is aborted"; }
};

template <typename Clock = steady_clock_type>
future<> sleep_abortable(typename Clock::duration dur, abort_source& as) {
    struct sleeper {
        promise<> done;
        timer<Clock> tmr;
        std::optional<abort_source::subscription> sub;
        explicit sleeper(typename Clock::duration d, abort_source& as)
            : tmr([this] {
                  sub.reset();
                  done.set_value();
              }) {
            sub = as.subscribe([this](const std::optional<std::exception_ptr>& ex) noexcept {
                tmr.cancel();
                done.set_exception(ex ? *ex : std::make_exception_ptr(sleep_aborted()));
            });
            if (!sub) {
                done.set_exception(std::make_exception_ptr(sleep_aborted()));
                return;
            }
            tmr.arm(d);
        }
    };
    auto s = std::make_unique<sleeper>(dur, as);
    auto f = s->done.get_future();
    return f.finally([s = std::move(s)] {});
}

} // namespace seastar
