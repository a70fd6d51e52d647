#pragma once

// queue<T>: a bounded FIFO between producers and consumers on one shard.
//
// Contract
// - Shard-local, not thread-safe. Waiters are woken by fulfilling their promise; their
//   continuations run later as tasks.
// - push() never waits: it returns false (and leaves `data` untouched) when the queue is
//   full. pop() never waits: the queue must not be empty (asserted).
// - pop_eventually() / push_eventually() wait for an item / for room. Several consumers
//   (or producers) may wait at once, a superset of Seastar's single-consumer contract:
//   they are served strictly in FIFO order, and an item pushed while consumers wait is
//   handed to the first of them directly (so with max_size() == 0 the queue is a
//   rendezvous). The _eventually forms and not_empty()/not_full() are noexcept: failures
//   come back in the future.
// - not_empty() / not_full() resolve once the condition holds (at once if it does); every
//   current waiter is woken when it starts to hold.
// - abort(ex) destroys the queued items and fails every waiter, and every later
//   pop_eventually(), push_eventually(), not_empty(), not_full() and consume(), with `ex`.
//   As in Seastar, push()/pop() do not check for it.
// - The _eventually forms taking an abort_source fail that waiter alone (with
//   abort_requested_exception or the abort's exception); an abandoned push_eventually()
//   drops its item.
// - No timed forms (Seastar's queue has none either). To give up waiting at a deadline,
//   pass an abort_source that a timer aborts, so the waiter leaves the queue:
//       abort_source as;
//       timer<> t([&] { as.request_abort_ex(timed_out_error()); });
//       t.arm(deadline);
//       auto item = co_await q.pop_eventually(as);
//   Wrapping pop_eventually() in with_timeout() instead leaves the waiter queued, and the
//   item it pops after the deadline is lost.
// - T must be nothrow move constructible (as for any future<T>). Items live in a std::deque
//   (push() may throw std::bad_alloc); each waiter allocates one node.
//
// Example
//   seastar::queue<int> q(16);
//   auto consumer = q.pop_eventually().then([] (int v) { ... });
//   (void)q.push(1);          // handed straight to the consumer

#include "seastar/core/abort_source.hh"
#include "seastar/core/expiring_fifo.hh"
#include "seastar/core/future.hh"

#include <cassert>
#include <cstddef>
#include <deque>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace seastar {

namespace internal {
inline std::exception_ptr queue_abort_reason(const std::optional<std::exception_ptr>& reason) noexcept {
    return reason ? *reason : std::make_exception_ptr(abort_requested_exception());
}
} // namespace internal

template <typename T>
class queue {
    static_assert(std::is_nothrow_move_constructible_v<T>, "queue element type must be nothrow move constructible");

    struct fail_promise {
        template <typename P>
        void operator()(P& pr, const std::optional<std::exception_ptr>& reason) noexcept {
            pr.set_exception(internal::queue_abort_reason(reason));
        }
    };
    struct push_waiter {
        T item;
        promise<> pr;
        push_waiter(T&& i, promise<>&& p) noexcept : item(std::move(i)), pr(std::move(p)) {}
    };
    struct fail_push_waiter {
        void operator()(push_waiter& w, const std::optional<std::exception_ptr>& reason) noexcept {
            w.pr.set_exception(internal::queue_abort_reason(reason));
        }
    };

    std::deque<T> _q;
    size_t _max;
    std::exception_ptr _ex;
    expiring_fifo<promise<T>, fail_promise> _pop_waiters;       // only while _q is empty
    expiring_fifo<push_waiter, fail_push_waiter> _push_waiters; // only while _q is full
    expiring_fifo<promise<>> _not_empty;
    expiring_fifo<promise<>> _not_full;

    static void wake_all(expiring_fifo<promise<>>& waiters) noexcept {
        while (!waiters.empty()) {
            waiters.front().set_value();
            waiters.pop_front();
        }
    }
    static void fail_all(auto& waiters, const std::exception_ptr& ex) noexcept {
        while (!waiters.empty()) {
            auto& w = waiters.front();
            if constexpr (requires { w.pr; }) {
                w.pr.set_exception(ex);
            } else {
                w.set_exception(ex);
            }
            waiters.pop_front();
        }
    }

    template <typename... AbortSource>
    future<> wait_on(expiring_fifo<promise<>>& waiters, AbortSource&... as) noexcept {
        try {
            promise<> pr;
            auto f = pr.get_future();
            if constexpr (sizeof...(as) == 0) {
                waiters.push_back(std::move(pr));
            } else {
                waiters.push_back(std::move(pr), as...);
            }
            return f;
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
    }

    // Moves waiting producers' items in while there is room; noexcept because pop() is.
    void admit_producers() noexcept {
        while (!_push_waiters.empty() && _q.size() < _max) {
            auto& w = _push_waiters.front();
            _q.push_back(std::move(w.item));
            w.pr.set_value();
            _push_waiters.pop_front();
        }
    }

    void after_removal() noexcept {
        admit_producers();
        if (!full()) {
            wake_all(_not_full);
        }
    }

    template <typename... AbortSource>
    future<T> do_pop_eventually(AbortSource&... as) noexcept {
        if (_ex) {
            return make_exception_future<T>(_ex);
        }
        if (!_q.empty()) {
            return make_ready_future<T>(pop());
        }
        if (!_push_waiters.empty()) { // max_size() == 0: take straight from a producer
            auto& w = _push_waiters.front();
            auto f = make_ready_future<T>(std::move(w.item));
            w.pr.set_value();
            _push_waiters.pop_front();
            return f;
        }
        try {
            promise<T> pr;
            auto f = pr.get_future();
            _pop_waiters.push_back(std::move(pr), as...);
            return f;
        } catch (...) {
            return make_exception_future<T>(std::current_exception());
        }
    }

    template <typename... AbortSource>
    future<> do_push_eventually(T&& data, AbortSource&... as) noexcept {
        if (_ex) {
            return make_exception_future<>(_ex);
        }
        try {
            if (push(std::move(data))) {
                return make_ready_future<>();
            }
            promise<> pr;
            auto f = pr.get_future();
            _push_waiters.push_back(push_waiter(std::move(data), std::move(pr)), as...);
            return f;
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
    }

public:
    explicit queue(size_t max_size) : _max(max_size) {}
    queue(const queue&) = delete;
    queue& operator=(const queue&) = delete;

    /// Adds `data` if there is room (or a consumer waits); returns false, leaving `data`
    /// alone, if the queue is full.
    bool push(T&& data) {
        if (!_pop_waiters.empty()) {
            _pop_waiters.front().set_value(std::move(data));
            _pop_waiters.pop_front();
            return true;
        }
        if (_q.size() >= _max) {
            return false;
        }
        _q.push_back(std::move(data));
        wake_all(_not_empty);
        return true;
    }

    /// Removes and returns the oldest item; the queue must not be empty.
    T pop() noexcept {
        assert(!_q.empty() && "queue::pop() on an empty queue");
        T data = std::move(_q.front());
        _q.pop_front();
        after_removal();
        return data;
    }

    /// The oldest item; the queue must not be empty.
    T& front() noexcept {
        assert(!_q.empty());
        return _q.front();
    }

    /// Pops an item now, or waits until one is pushed.
    future<T> pop_eventually() noexcept { return do_pop_eventually(); }

    /// Like pop_eventually(), cancellable through `as`.
    future<T> pop_eventually(abort_source& as) noexcept { return do_pop_eventually(as); }

    /// Pushes now, or waits until there is room.
    future<> push_eventually(T&& data) noexcept { return do_push_eventually(std::move(data)); }

    /// Like push_eventually(), cancellable through `as` (the item is dropped then).
    future<> push_eventually(T&& data, abort_source& as) noexcept { return do_push_eventually(std::move(data), as); }

    /// Resolves when the queue holds at least one item.
    future<> not_empty() noexcept {
        if (_ex) {
            return make_exception_future<>(_ex);
        }
        if (!empty()) {
            return make_ready_future<>();
        }
        return wait_on(_not_empty);
    }

    /// Resolves when the queue has room.
    future<> not_full() noexcept {
        if (_ex) {
            return make_exception_future<>(_ex);
        }
        if (!full()) {
            return make_ready_future<>();
        }
        return wait_on(_not_full);
    }

    /// Passes items to func (bool func(T&&)) until it returns false or the queue is empty;
    /// returns func's last answer (true if it was never called). Rethrows the abort
    /// exception of an aborted queue; an exception from func propagates, its item consumed.
    template <typename Func>
    bool consume(Func&& func) {
        if (_ex) {
            std::rethrow_exception(_ex);
        }
        bool running = true;
        while (running && !_q.empty()) {
            T item = std::move(_q.front());
            _q.pop_front();
            after_removal();
            running = func(std::move(item));
        }
        return running;
    }

    bool empty() const noexcept { return _q.empty(); }
    bool full() const noexcept { return _q.size() >= _max; }
    size_t size() const noexcept { return _q.size(); }
    size_t max_size() const noexcept { return _max; }

    /// Changes the bound. Items already queued stay even if there are now too many.
    void set_max_size(size_t max) noexcept {
        _max = max;
        after_removal();
    }

    /// Drops every item and fails every current and later wait with `ex`.
    void abort(std::exception_ptr ex) noexcept {
        _q.clear();
        _ex = ex;
        fail_all(_pop_waiters, ex);
        fail_all(_push_waiters, ex);
        fail_all(_not_empty, ex);
        fail_all(_not_full, ex);
    }

    /// True if a consumer waits for an item.
    bool has_blocked_consumer() const noexcept { return !_pop_waiters.empty() || !_not_empty.empty(); }
};

} // namespace seastar
