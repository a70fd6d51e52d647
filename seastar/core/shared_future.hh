// shared_future<T>: one result, many waiters. Each get_future() returns an
// independent future<T> that resolves with a copy of the value (or the same
// exception) once the original future does. shared_promise<T> is the
// matching producer.
//
// Contract: one thread. T must be copyable (void is fine). Copies of a
// shared_future share the same state (reference counted, not thread-safe).
// get_future() on an available shared_future returns a ready future without
// allocating; otherwise it queues one promise. A failure is reported as
// abandoned only if no future was ever taken from the shared_future.
// get_future(timeout) and get_future(abort_source&) give up on their own (timed_out_error,
// the abort's exception) without affecting the result or the other waiters.
//
//     seastar::shared_future<int> sf(compute());
//     auto a = sf.get_future();
//     auto b = sf.get_future();   // both get the same value
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "seastar/core/abort_source.hh"
#include "seastar/core/future.hh"
#include "seastar/core/task.hh"
#include "seastar/core/with_timeout.hh"

namespace seastar {

template <typename T = void>
class shared_future {
    using state_type = internal::future_state<T>;

    class shared_state final : public task {
    public:
        long _refs = 1;
        bool _observed = false;
        state_type _slot;
        std::vector<promise<T>> _peers;

        shared_state() noexcept { _slot.ignore(); }
        ~shared_state() {
            if (_observed) {
                _slot.ignore();
            }
        }
        void ref() noexcept { ++_refs; }
        void unref() noexcept {
            if (--_refs == 0) {
                delete this;
            }
        }
        future<T> ready_copy() noexcept {
            _observed = true;
            if (_slot.failed()) {
                return make_exception_future<T>(_slot.exception_ref());
            }
            if constexpr (std::is_void_v<T>) {
                return make_ready_future<>();
            } else {
                return make_ready_future<T>(_slot.value_ref());
            }
        }
        void run_and_dispose() noexcept override {
            auto peers = std::move(_peers);
            for (auto& pr : peers) {
                ready_copy().forward_to(std::move(pr));
            }
            unref();
        }
    };

    shared_state* _state = nullptr;

public:
    shared_future() noexcept = default;
    // Takes over `f`. Allocates the shared state (aborts if that fails, like a task).
    shared_future(future<T>&& f) noexcept : _state(new shared_state()) {
        if (f.available()) {
            _state->_slot = std::move(internal::future_access<T>::state(f));
        } else {
            _state->ref(); // held by the pending wake-up
            internal::future_access<T>::attach(f, &_state->_slot, _state);
        }
    }
    shared_future(const shared_future& o) noexcept : _state(o._state) {
        if (_state) {
            _state->ref();
        }
    }
    shared_future(shared_future&& o) noexcept : _state(std::exchange(o._state, nullptr)) {}
    shared_future& operator=(shared_future o) noexcept {
        std::swap(_state, o._state);
        return *this;
    }
    ~shared_future() {
        if (_state) {
            _state->unref();
        }
    }

    // A future of the shared result. May allocate (the waiter list grows).
    future<T> get_future() const noexcept {
        if (!_state) {
            return make_exception_future<T>(broken_promise());
        }
        if (_state->_slot.available() && _state->_peers.empty()) {
            return _state->ready_copy();
        }
        _state->_observed = true;
        _state->_peers.emplace_back();
        return _state->_peers.back().get_future();
    }
    // Like get_future(), failing with timed_out_error if the result is not there by
    // `timeout`; other waiters are unaffected.
    template <typename Clock, typename Duration>
    future<T> get_future(std::chrono::time_point<Clock, Duration> timeout) const noexcept {
        try {
            return with_timeout(timeout, get_future());
        } catch (...) {
            return current_exception_as_future<T>();
        }
    }

    // Like get_future(), failing with the abort's exception (abort_requested_exception
    // after a plain request_abort()) if `as` is aborted first; other waiters are unaffected.
    future<T> get_future(abort_source& as) const noexcept {
        if (as.abort_requested()) {
            return make_exception_future<T>(as.abort_requested_exception_ptr());
        }
        struct state {
            promise<T> pr;
            std::optional<abort_source::subscription> sub;
            bool done = false;
        };
        try {
            auto st = std::make_shared<state>();
            auto result = st->pr.get_future();
            st->sub = as.subscribe([s = st.get()](const std::optional<std::exception_ptr>& ex) noexcept {
                s->done = true;
                s->pr.set_exception(ex ? *ex : std::make_exception_ptr(abort_requested_exception()));
            });
            (void)get_future().then_wrapped([st](future<T> f) mutable {
                st->sub.reset();
                if (st->done) {
                    f.ignore_ready_future();
                } else {
                    f.forward_to(std::move(st->pr));
                }
            });
            return result;
        } catch (...) {
            return current_exception_as_future<T>();
        }
    }

    // True once the result is there and every earlier waiter was woken.
    bool available() const noexcept { return _state && _state->_slot.available() && _state->_peers.empty(); }
    bool failed() const noexcept { return available() && _state->_slot.failed(); }
    bool valid() const noexcept { return _state != nullptr; }
};

template <typename T = void>
class shared_promise {
    promise<T> _promise;
    shared_future<T> _shared;

public:
    shared_promise() noexcept : _shared(_promise.get_future()) {}
    future<T> get_shared_future() const noexcept { return _shared.get_future(); }
    template <typename... A>
    void set_value(A&&... a) noexcept {
        _promise.set_value(std::forward<A>(a)...);
    }
    void set_exception(std::exception_ptr ex) noexcept { _promise.set_exception(std::move(ex)); }
    template <typename Ex>
        requires(!std::is_same_v<std::decay_t<Ex>, std::exception_ptr>)
    void set_exception(Ex&& ex) noexcept {
        _promise.set_exception(std::make_exception_ptr(std::forward<Ex>(ex)));
    }
    bool available() const noexcept { return _shared.available(); }
};

} // namespace seastar
