// with_timeout(): the outcome of a future, or timed_out_error if it is not
// ready by a deadline.
//
// On timeout the returned future fails with timed_out_error at once; the
// original operation keeps running and its eventual result is discarded
// (as in Seastar: the operation itself is not cancelled).
//
// Contract: one shard. Allocates one small object unless `f` is already
// available. The deadline's clock decides which timers fire it (see timer.hh).
//
//     auto f = seastar::with_timeout(seastar::steady_clock_type::now() + 1s, read_reply());
//     struct my_factory { static auto timeout() { return std::runtime_error("slow peer"); } };
//     auto g = seastar::with_timeout<my_factory>(deadline, read_reply());
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/timed_out_error.hh"
#include "seastar/core/timer.hh"

namespace seastar {

// Makes the exception a timeout fails with; with_timeout<Factory>() takes another one.
struct default_timeout_exception_factory {
    static auto timeout() { return timed_out_error(); }
};

template <typename ExceptionFactory = default_timeout_exception_factory, typename Clock, typename Duration, typename T>
future<T> with_timeout(std::chrono::time_point<Clock, Duration> deadline, future<T> f) {
    if (f.available()) {
        return f;
    }
    struct state {
        promise<T> pr;
        timer<Clock> tmr;
        bool done = false;
    };
    auto st = std::make_shared<state>();
    auto result = st->pr.get_future();
    st->tmr.set_callback([st = st.get()] {
        st->done = true;
        st->pr.set_exception(std::make_exception_ptr(ExceptionFactory::timeout()));
    });
    st->tmr.arm(std::chrono::time_point_cast<typename Clock::duration>(deadline));
    // The continuation owns the state: the timer lives until the operation ends.
    (void)f.then_wrapped([st](future<T> res) mutable {
        st->tmr.cancel();
        if (st->done) {
            res.ignore_ready_future();
        } else {
            res.forward_to(std::move(st->pr));
        }
    });
    return result;
}

} // namespace seastar
