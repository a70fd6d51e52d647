// abort_on_expiry<Clock>: an abort_source that aborts itself at a deadline, so one object
// gives every abortable wait of an operation the same time limit.
//
// At the deadline it calls request_abort_ex(timed_out_error()): waiters fail with
// timed_out_error (or their own exception type where the primitive has one). Destroying it
// cancels the deadline. It is not movable (the timer's callback points at it).
//
// Contract: shard-local; the deadline fires from the clock's timers (a reactor, or
// manual_clock::advance()).
//
//     seastar::abort_on_expiry<seastar::lowres_clock> deadline(seastar::lowres_clock::now() + 5s);
//     co_await sem.wait(deadline.abort_source());
#pragma once

#include "seastar/core/abort_source.hh"
#include "seastar/core/lowres_clock.hh"
#include "seastar/core/timed_out_error.hh"
#include "seastar/core/timer.hh"

namespace seastar {

template <typename Clock = lowres_clock>
class abort_on_expiry {
    timer<Clock> _tr;
    seastar::abort_source _as;

public:
    using clock = Clock;
    using time_point = typename Clock::time_point;

    explicit abort_on_expiry(time_point timeout) : _tr([this] { _as.request_abort_ex(timed_out_error()); }) {
        _tr.arm(timeout);
    }
    abort_on_expiry(abort_on_expiry&&) = delete;
    abort_on_expiry& operator=(abort_on_expiry&&) = delete;

    seastar::abort_source& abort_source() noexcept { return _as; }
};

} // namespace seastar
