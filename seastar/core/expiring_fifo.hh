#pragma once

// expiring_fifo<T, OnExpiry>: the FIFO of waiters behind semaphore, condition_variable,
// shared_mutex and queue, where any single entry can be expired (cancelled with a reason)
// without disturbing the others.
//
// Contract
// - Shard-local, not thread-safe.
// - Each entry is a separately allocated node in an intrusive doubly linked list, so
//   expiring an entry in the middle is O(1) and leaves no tombstone behind. push_back()
//   allocates one node and may throw std::bad_alloc (or whatever T's move throws); it then
//   leaves the fifo unchanged. front(), pop_front(), size() and empty() never throw.
// - An entry pushed with an abort_source is expired when that source requests an abort:
//   the entry leaves the fifo first, then `OnExpiry` is called as
//   `on_expiry(T& payload, const std::optional<std::exception_ptr>& reason) noexcept`
//   with the abort's exception (disengaged after a plain request_abort()). Because the
//   entry is already gone, the handler may touch the fifo again (a semaphore uses this to
//   wake the waiters that queued behind an expired large request). If the source had
//   already aborted, push_back() calls the handler at once and queues nothing.
// - Entries leaving normally (pop_front, destruction of the fifo) drop their subscription,
//   so an abort that comes later does not touch them. Destroying the fifo destroys the
//   payloads still queued (promises among them report broken_promise).
// - An entry pushed with a deadline (push_back(T&&, time_point) of any clock timer<> supports:
//   steady_clock, lowres_clock, manual_clock) is expired when that clock's timer fires: it
//   leaves the fifo first, then `on_expiry(T& payload, expired_by_timeout) noexcept` is
//   called, and the owner fails the waiter with its own timeout exception
//   (semaphore_timed_out, condition_variable_timed_out). A deadline already reached at
//   push_back() calls that handler at once and queues nothing. An entry that leaves
//   normally cancels its timer. Timed entries allocate a second small object (the timer,
//   whose clock is chosen per call); the last timer that fired is kept by the fifo until
//   the next one fires or the fifo dies, because a timer must not be destroyed from its
//   own callback. A handler running for a timeout must therefore not destroy the fifo.
// - Timed entries are armed on the calling thread's timers (see timer.hh): push them, and
//   destroy the fifo, on the shard that owns it.
//
// Example
//   struct on_expiry {
//       void operator()(promise<>& p, const std::optional<std::exception_ptr>& ex) noexcept {
//           p.set_exception(ex.value_or(std::make_exception_ptr(abort_requested_exception())));
//       }
//   };
//   expiring_fifo<promise<>, on_expiry> waiters;
//   waiters.push_back(promise<>(), as);

#include "seastar/core/abort_source.hh"
#include "seastar/core/timer.hh"

#include <cassert>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace seastar {

/// What an expiry handler receives, instead of an abort's reason, when an entry's deadline passed.
struct expired_by_timeout {};

/// The default expiry handler: expired payloads are simply destroyed.
template <typename T>
struct dummy_expiry {
    void operator()(T&, const std::optional<std::exception_ptr>&) noexcept {}
    void operator()(T&, expired_by_timeout) noexcept {}
};

namespace internal {

// The timer of one timed entry, with its clock erased so that one fifo takes deadlines of
// any clock.
struct fifo_deadline {
    virtual ~fifo_deadline() = default;
};

template <typename Clock>
struct fifo_clock_deadline final : fifo_deadline {
    timer<Clock> tmr;
    explicit fifo_clock_deadline(typename timer<Clock>::callback_t cb) noexcept : tmr(std::move(cb)) {}
};

} // namespace internal

template <typename T, typename OnExpiry = dummy_expiry<T>>
class expiring_fifo {
    struct node {
        node* prev = nullptr;
        node* next = nullptr;
        T payload;
        std::optional<abort_source::subscription> sub;
        std::unique_ptr<internal::fifo_deadline> deadline;

        template <typename... Args>
        explicit node(Args&&... args) : payload(std::forward<Args>(args)...) {}
    };

    node* _head = nullptr;
    node* _tail = nullptr;
    size_t _size = 0;
    // The timer that fired last: its callback may still be on the stack when the entry is
    // freed, so it is destroyed at the next timeout (or with the fifo) instead.
    std::unique_ptr<internal::fifo_deadline> _fired;
    [[no_unique_address]] OnExpiry _on_expiry;

    void link_back(node* n) noexcept {
        n->prev = _tail;
        n->next = nullptr;
        (_tail ? _tail->next : _head) = n;
        _tail = n;
        ++_size;
    }

    void unlink(node* n) noexcept {
        (n->prev ? n->prev->next : _head) = n->next;
        (n->next ? n->next->prev : _tail) = n->prev;
        --_size;
    }

    // The common expiry path (abort today, timers later): the entry leaves the fifo before
    // the handler runs, so the handler sees a consistent fifo.
    void expire(node* n, const std::optional<std::exception_ptr>& reason) noexcept {
        unlink(n);
        // T must be nothrow-movable (promises are); the node is freed before the handler so
        // that a handler that destroys the fifo's owner is not left holding freed memory.
        T payload(std::move(n->payload));
        delete n;
        _on_expiry(payload, reason);
    }

    void expire_on_timeout(node* n) noexcept {
        unlink(n);
        T payload(std::move(n->payload));
        _fired = std::move(n->deadline); // frees the previous one, whose callback has returned
        delete n;
        _on_expiry(payload, expired_by_timeout{});
    }

public:
    using value_type = T;

    expiring_fifo() noexcept(std::is_nothrow_default_constructible_v<OnExpiry>) = default;
    explicit expiring_fifo(OnExpiry on_expiry) noexcept(std::is_nothrow_move_constructible_v<OnExpiry>)
        : _on_expiry(std::move(on_expiry)) {}
    expiring_fifo(const expiring_fifo&) = delete;
    expiring_fifo& operator=(const expiring_fifo&) = delete;
    ~expiring_fifo() { clear(); }

    bool empty() const noexcept { return _size == 0; }
    size_t size() const noexcept { return _size; }

    T& front() noexcept {
        assert(_head);
        return _head->payload;
    }
    const T& front() const noexcept {
        assert(_head);
        return _head->payload;
    }

    /// Removes the front entry (destroying its payload) without expiring it.
    void pop_front() noexcept {
        assert(_head);
        node* n = _head;
        unlink(n);
        delete n;
    }

    /// Removes every entry without expiring any.
    void clear() noexcept {
        while (_head) {
            pop_front();
        }
    }

    template <typename... Args>
    T& emplace_back(Args&&... args) {
        node* n = new node(std::forward<Args>(args)...);
        link_back(n);
        return n->payload;
    }

    void push_back(T&& payload) { emplace_back(std::move(payload)); }
    void push_back(const T& payload) { emplace_back(payload); }

    /// Queues `payload`, expiring it when `as` requests an abort (see the contract above).
    void push_back(T&& payload, abort_source& as) {
        if (as.abort_requested()) {
            _on_expiry(payload, as.abort_reason());
            return;
        }
        node* n = new node(std::move(payload));
        // The callback holds only two pointers: it is stored inline and cannot throw.
        n->sub = as.subscribe([this, n](const std::optional<std::exception_ptr>& ex) noexcept { expire(n, ex); });
        link_back(n);
    }

    /// Queues `payload`, expiring it when `Clock` reaches `timeout` (see the contract above).
    /// Throws std::bad_alloc, leaving the fifo as it was (and `payload` too if T is nothrow
    /// move-assignable).
    template <typename Clock, typename Duration>
    void push_back(T&& payload, std::chrono::time_point<Clock, Duration> timeout) {
        const auto deadline = std::chrono::time_point_cast<typename Clock::duration>(timeout);
        if (Clock::now() >= deadline) {
            _on_expiry(payload, expired_by_timeout{});
            return;
        }
        node* n = new node(std::move(payload));
        try {
            // The callback holds two pointers: std::function stores it inline.
            auto d = std::make_unique<internal::fifo_clock_deadline<Clock>>([this, n] { expire_on_timeout(n); });
            d->tmr.arm(deadline);
            n->deadline = std::move(d);
        } catch (...) {
            if constexpr (std::is_nothrow_move_assignable_v<T>) {
                payload = std::move(n->payload);
            }
            delete n;
            throw;
        }
        link_back(n);
    }
};

} // namespace seastar
