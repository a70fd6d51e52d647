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
// Timeouts: wait(time_point[, pred]) / wait(duration[, pred]) need timers and arrive with
// the reactor; they expire a waiter through the same expiring_fifo path as an abort,
// with condition_variable_timed_out.
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

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace seastar {

class broken_condition_variable : public std::exception {
public:
    const char* what() const noexcept override { return "Condition variable is broken"; }
};

/// The exception a timed-out wait will see (timed waits arrive with the reactor).
class condition_variable_timed_out : public std::exception {
public:
    const char* what() const noexcept override { return "Condition variable timed out"; }
};

class condition_variable {
    struct expiry_handler {
        void operator()(promise<>& pr, const std::optional<std::exception_ptr>& reason) noexcept {
            pr.set_exception(reason ? *reason : std::make_exception_ptr(abort_requested_exception()));
        }
    };

    expiring_fifo<promise<>, expiry_handler> _waiters;
    std::exception_ptr _ex;
    bool _signalled = false; // signalled while nobody waited

    template <typename... AbortSource>
    future<> do_wait(AbortSource&... as) noexcept {
        if (_ex) {
            return make_exception_future<>(_ex);
        }
        if (std::exchange(_signalled, false)) {
            return make_ready_future<>();
        }
        try {
            promise<> pr;
            auto f = pr.get_future();
            _waiters.push_back(std::move(pr), as...);
            return f;
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
    }

    template <typename Pred, typename... AbortSource>
    future<> do_wait_pred(Pred&& pred, AbortSource&... as) noexcept {
        try {
            if (pred()) {
                return make_ready_future<>();
            }
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
        return do_wait(as...).then(
            [this, pred = std::forward<Pred>(pred), &as...]() mutable { return do_wait_pred(std::move(pred), as...); });
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
        return do_wait_pred(std::forward<Pred>(pred));
    }

    /// Waits until pred() is true or `as` aborts.
    template <typename Pred>
        requires std::is_invocable_r_v<bool, Pred&>
    future<> wait(abort_source& as, Pred&& pred) noexcept {
        if (as.abort_requested()) {
            return make_exception_future<>(as.abort_requested_exception_ptr());
        }
        return do_wait_pred(std::forward<Pred>(pred), as);
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
