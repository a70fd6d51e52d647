#pragma once

// condition_variable: wait for something to change, without a lock (a shard is single
// threaded, so the predicate cannot change between checking it and waiting).
//
// Contract
// - Shard-local, not thread-safe. Waiters are woken by fulfilling their promise, so their
//   continuations run later as tasks, never inside signal()/broadcast().
// - signal() wakes the longest waiting waiter. If nobody waits, the signal is remembered
//   (once; repeated signals do not accumulate) and the next wait() returns at once, as in
//   Seastar. broadcast() wakes every current waiter and is not remembered.
// - wait(pred) returns when pred() is true: at once if it already is, otherwise after a
//   wake-up that finds it true (a false check waits again, at the back of the queue). An
//   exception thrown by pred fails the returned future.
// - wait(abort_source&[, pred]) fails that waiter alone with abort_requested_exception
//   (or the abort's exception) when the source aborts.
// - broken() fails all current and later waits with broken_condition_variable (or the
//   given exception).
// - wait() allocates one waiter node when it has to wait; if that fails the future holds
//   std::bad_alloc. Destroying the variable with waiters fails them with broken_promise.
//
// - wait(time_point[, pred]) / wait(duration[, pred]) fail that waiter alone with
//   condition_variable_timed_out (a timed_out_error) if no wake-up (that finds pred true)
//   comes by the deadline; with a pred the deadline is one for the whole wait, not per
//   wake-up. A remembered signal, or a pred already true, wins over a deadline already
//   reached. The time_point may be of any clock timer<> supports; a duration counts on
//   steady_clock (as in Seastar). A waiter woken in time cancels its timer.
//
// Example
//   seastar::condition_variable cv;
//   bool ready = false;
//   auto f = cv.wait([&] { return ready; });
//   ready = true;
//   cv.signal();

#include "seastar/core/abort_source.hh"
#include "seastar/core/expiring_fifo.hh"
#include "seastar/core/future.hh"
#include "seastar/core/timed_out_error.hh"
#include "seastar/core/timer.hh"

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace seastar {

class broken_condition_variable : public std::exception {
public:
    const char* what() const noexcept override { return "Condition variable is broken"; }
};

/// The exception of a timed-out wait. (Seastar derives it from std::exception only; deriving
/// from timed_out_error keeps that and lets one handler catch every timeout.)
class condition_variable_timed_out : public timed_out_error {
public:
    const char* what() const noexcept override { return "Condition variable timed out"; }
};

class condition_variable {
    struct expiry_handler {
        void operator()(promise<>& pr, const std::optional<std::exception_ptr>& reason) noexcept {
            pr.set_exception(reason ? *reason : std::make_exception_ptr(abort_requested_exception()));
        }
        void operator()(promise<>& pr, expired_by_timeout) noexcept {
            pr.set_exception(std::make_exception_ptr(condition_variable_timed_out()));
        }
    };

    expiring_fifo<promise<>, expiry_handler> _waiters;
    std::exception_ptr _ex;
    bool _signalled = false; // signalled while nobody waited

    // `expiry`: nothing, an abort_source& or a time_point (see expiring_fifo::push_back).
    template <typename... Expiry>
    future<> do_wait(Expiry&&... expiry) noexcept {
        if (_ex) {
            return make_exception_future<>(_ex);
        }
        if (std::exchange(_signalled, false)) {
            return make_ready_future<>();
        }
        try {
            promise<> pr;
            auto f = pr.get_future();
            _waiters.push_back(std::move(pr), std::forward<Expiry>(expiry)...);
            return f;
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
    }

    // Checks pred, and waits (through wait_once) until a wake-up finds it true.
    template <typename Pred, typename WaitOnce>
    future<> do_wait_pred(Pred&& pred, WaitOnce wait_once) noexcept {
        try {
            if (pred()) {
                return make_ready_future<>();
            }
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
        return wait_once().then([this, pred = std::forward<Pred>(pred), wait_once]() mutable {
            return do_wait_pred(std::move(pred), std::move(wait_once));
        });
    }

public:
    condition_variable() noexcept = default;
    // Waiters are queued in the object: it stays where it was made.
    condition_variable(const condition_variable&) = delete;
    condition_variable& operator=(const condition_variable&) = delete;

    /// Waits for a signal; may return without the awaited condition being true.
    future<> wait() noexcept { return do_wait(); }

    /// Waits for a signal or an abort of `as`.
    future<> wait(abort_source& as) noexcept {
        if (as.abort_requested()) {
            return make_exception_future<>(as.abort_requested_exception_ptr());
        }
        return do_wait(as);
    }

    /// Waits until pred() is true, re-checking after each wake-up.
    template <typename Pred>
        requires std::is_invocable_r_v<bool, Pred&>
    future<> wait(Pred&& pred) noexcept {
        return do_wait_pred(std::forward<Pred>(pred), [this] { return do_wait(); });
    }

    /// Waits until pred() is true or `as` aborts.
    template <typename Pred>
        requires std::is_invocable_r_v<bool, Pred&>
    future<> wait(abort_source& as, Pred&& pred) noexcept {
        if (as.abort_requested()) {
            return make_exception_future<>(as.abort_requested_exception_ptr());
        }
        return do_wait_pred(std::forward<Pred>(pred), [this, &as] { return do_wait(as); });
    }

    /// Waits for a signal until `timeout`, then fails with condition_variable_timed_out.
    template <typename Clock = steady_clock_type, typename Duration = typename Clock::duration>
    future<> wait(std::chrono::time_point<Clock, Duration> timeout) noexcept {
        return do_wait(timeout);
    }

    /// wait(steady_clock::now() + timeout).
    template <typename Rep, typename Period>
    future<> wait(std::chrono::duration<Rep, Period> timeout) noexcept {
        return wait(steady_clock_type::now() + timeout);
    }

    /// Waits until pred() is true; fails with condition_variable_timed_out if it is still
    /// false (or no wake-up came) at `timeout`.
    template <typename Clock, typename Duration, typename Pred>
        requires std::is_invocable_r_v<bool, Pred&>
    future<> wait(std::chrono::time_point<Clock, Duration> timeout, Pred&& pred) noexcept {
        return do_wait_pred(std::forward<Pred>(pred), [this, timeout] { return do_wait(timeout); });
    }

    /// wait(steady_clock::now() + timeout, pred).
    template <typename Rep, typename Period, typename Pred>
        requires std::is_invocable_r_v<bool, Pred&>
    future<> wait(std::chrono::duration<Rep, Period> timeout, Pred&& pred) noexcept {
        return wait(steady_clock_type::now() + timeout, std::forward<Pred>(pred));
    }

    /// For coroutines: `co_await cv.when(...)` takes the arguments of wait() (nothing, a
    /// predicate, an abort_source, a timeout, or a timeout and a predicate) and waits the
    /// same way, resuming the coroutine when wait()'s future would resolve.
    template <typename... Args>
    future<> when(Args&&... args) noexcept {
        return wait(std::forward<Args>(args)...);
    }

    /// Wakes the longest waiting waiter, or remembers the signal if nobody waits.
    void signal() noexcept {
        if (_waiters.empty()) {
            _signalled = true;
            return;
        }
        _waiters.front().set_value();
        _waiters.pop_front();
    }

    /// Wakes every current waiter.
    void broadcast() noexcept {
        while (!_waiters.empty()) {
            _waiters.front().set_value();
            _waiters.pop_front();
        }
    }

    /// Fails current and later waits with broken_condition_variable.
    void broken() noexcept { broken(std::make_exception_ptr(broken_condition_variable())); }

    /// Fails current and later waits with `ex`.
    void broken(std::exception_ptr ex) noexcept {
        _ex = std::move(ex);
        while (!_waiters.empty()) {
            _waiters.front().set_exception(_ex);
            _waiters.pop_front();
        }
    }

    bool has_waiters() const noexcept { return !_waiters.empty(); }
};

} // namespace seastar
