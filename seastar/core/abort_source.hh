#pragma once

// abort_source: tells fibers that the work they wait for is no longer wanted.
//
// Contract
// - Shard-local: an abort_source and its subscriptions are used on the thread that created
//   them; nothing here is synchronised.
// - subscribe() registers a noexcept callback and returns an engaged subscription, or
//   std::nullopt when an abort was already requested (then the callback never runs).
//   Destroying or resetting the subscription unregisters the callback. Small callbacks
//   (a lambda capturing up to three pointers) are stored inline: subscribing does not
//   allocate; larger ones allocate and subscribe() may throw std::bad_alloc.
// - request_abort() / request_abort_ex() run every registered callback inline, in
//   subscription order, each exactly once, then refuse new subscriptions. A callback may
//   destroy its own or any other subscription. Only the first request counts; later ones
//   are ignored.
// - Callbacks receive the exception given to request_abort_ex(), or a disengaged optional
//   after a plain request_abort(); each waiter then picks its own default (a semaphore
//   fails with semaphore_aborted, other waiters with abort_requested_exception).
// - check() throws the abort exception (abort_requested_exception by default) once an
//   abort was requested.
// - Destroying the abort_source first is allowed: its subscriptions become empty and their
//   callbacks never run.
//
// Example
//   seastar::abort_source as;
//   auto f = sem.wait(as, 2);      // fails with semaphore_aborted when...
//   as.request_abort();            // ...this runs; other waiters on `sem` are unaffected.
//
// Time-based aborts (abort_on_expiry) arrive with timers in the reactor; they are a timer
// whose callback calls request_abort_ex() on a source like this one.

#include "seastar/core/internal/abort_source_callback.hh"

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace seastar {

/// Thrown by abort_source::check() (and used by waiters as the default failure) once an
/// abort was requested without a specific exception.
class abort_requested_exception : public std::exception {
public:
    const char* what() const noexcept override { return "abort requested"; }
};

class abort_source {
public:
    /// A registered callback. Movable; unregisters itself when destroyed.
    class subscription {
        friend class abort_source;

        abort_source* _as = nullptr; // non-null while linked into _as's list
        subscription* _prev = nullptr;
        subscription* _next = nullptr;
        internal::abort_source_callback _cb;

        subscription(abort_source& as, internal::abort_source_callback cb) noexcept : _cb(std::move(cb)) {
            as.link(*this);
        }

        // Takes `o`'s place in its source's list.
        void take_place_of(subscription& o) noexcept {
            _as = std::exchange(o._as, nullptr);
            _prev = std::exchange(o._prev, nullptr);
            _next = std::exchange(o._next, nullptr);
            if (!_as) {
                return;
            }
            (_prev ? _prev->_next : _as->_head) = this;
            (_next ? _next->_prev : _as->_tail) = this;
        }

    public:
        subscription() noexcept = default;
        subscription(subscription&& o) noexcept : _cb(std::move(o._cb)) { take_place_of(o); }
        subscription& operator=(subscription&& o) noexcept {
            if (this != &o) {
                unlink();
                _cb = std::move(o._cb);
                take_place_of(o);
            }
            return *this;
        }
        subscription(const subscription&) = delete;
        subscription& operator=(const subscription&) = delete;
        ~subscription() { unlink(); }

        /// True while the callback is registered and has not run.
        explicit operator bool() const noexcept { return _as != nullptr; }

        /// Unregisters the callback (no-op if it already ran or was unregistered).
        void unlink() noexcept {
            if (_as) {
                _as->unlink(*this);
            }
        }
    };

private:
    subscription* _head = nullptr;
    subscription* _tail = nullptr;
    bool _aborted = false;
    std::exception_ptr _ex;
    std::optional<std::exception_ptr> _reason; // what the callbacks were given

    void link(subscription& s) noexcept {
        s._as = this;
        s._prev = _tail;
        s._next = nullptr;
        (_tail ? _tail->_next : _head) = &s;
        _tail = &s;
    }

    void unlink(subscription& s) noexcept {
        (s._prev ? s._prev->_next : _head) = s._next;
        (s._next ? s._next->_prev : _tail) = s._prev;
        s._as = nullptr;
        s._prev = s._next = nullptr;
    }

    void detach_all() noexcept {
        while (_head) {
            unlink(*_head);
        }
    }

    void take_list_of(abort_source& o) noexcept {
        _head = std::exchange(o._head, nullptr);
        _tail = std::exchange(o._tail, nullptr);
        for (auto* s = _head; s; s = s->_next) {
            s->_as = this;
        }
    }

    void do_request_abort(std::optional<std::exception_ptr> ex) noexcept {
        if (_aborted) {
            return;
        }
        _aborted = true;
        _ex = ex ? *ex : get_default_exception();
        _reason = ex;
        while (_head) {
            subscription& s = *_head;
            unlink(s);
            // Run a moved-out copy: the callback may destroy `s` (e.g. by dequeuing the
            // waiter that owns it) while it runs.
            auto cb = std::move(s._cb);
            cb(ex);
        }
    }

public:
    abort_source() noexcept = default;
    abort_source(abort_source&& o) noexcept
        : _aborted(std::exchange(o._aborted, false)), _ex(std::move(o._ex)), _reason(std::exchange(o._reason, {})) {
        take_list_of(o);
    }
    abort_source& operator=(abort_source&& o) noexcept {
        if (this != &o) {
            detach_all();
            _aborted = std::exchange(o._aborted, false);
            _ex = std::move(o._ex);
            _reason = std::exchange(o._reason, {});
            take_list_of(o);
        }
        return *this;
    }
    abort_source(const abort_source&) = delete;
    abort_source& operator=(const abort_source&) = delete;
    virtual ~abort_source() { detach_all(); }

    /// Registers `f` (callable as `f(const std::optional<std::exception_ptr>&) noexcept` or
    /// `f() noexcept`) to run when an abort is requested. Returns std::nullopt, without
    /// registering, if an abort was already requested.
    template <typename Func>
        requires(std::is_nothrow_invocable_r_v<void, Func&, const std::optional<std::exception_ptr>&> ||
                 std::is_nothrow_invocable_r_v<void, Func&>)
    [[nodiscard]] std::optional<subscription> subscribe(Func&& f) {
        if (_aborted) {
            return std::nullopt;
        }
        return std::optional<subscription>(subscription(*this, internal::abort_source_callback(std::forward<Func>(f))));
    }

    /// Aborts with the default exception; callbacks see a disengaged optional.
    void request_abort() noexcept { do_request_abort(std::nullopt); }

    /// Aborts with `ex`; callbacks see it.
    void request_abort_ex(std::exception_ptr ex) noexcept { do_request_abort(std::move(ex)); }

    template <typename Exception>
        requires(!std::is_same_v<std::decay_t<Exception>, std::exception_ptr>)
    void request_abort_ex(Exception&& e) noexcept {
        do_request_abort(std::make_exception_ptr(std::forward<Exception>(e)));
    }

    bool abort_requested() const noexcept { return _aborted; }

    /// Throws the abort exception if an abort was requested.
    void check() const {
        if (_aborted) {
            std::rethrow_exception(_ex);
        }
    }

    /// The exception the abort was requested with (the default one after request_abort()),
    /// or null if no abort was requested.
    const std::exception_ptr& abort_requested_exception_ptr() const noexcept { return _ex; }

    /// What the callbacks were (or would have been) given: the request_abort_ex() exception,
    /// or a disengaged optional after request_abort() or before any abort. Lets a waiter that
    /// arrives after the abort fail exactly as one that was already waiting.
    const std::optional<std::exception_ptr>& abort_reason() const noexcept { return _reason; }

    /// The exception a plain request_abort() stands for; derived sources may override it.
    virtual std::exception_ptr get_default_exception() const noexcept {
        return std::make_exception_ptr(abort_requested_exception());
    }
};

} // namespace seastar
