#pragma once

// shared_mutex: a reader/writer lock for futures.
//
// Contract
// - Shard-local, not thread-safe. Waiters are woken by fulfilling their promise; their
//   continuations run later as tasks.
// - Fair, FIFO between readers and writers, as in Seastar: a lock request that cannot be
//   granted at once queues behind every earlier request. A reader that arrives while a
//   writer waits queues behind that writer, so a stream of readers cannot starve writers;
//   consecutive readers at the head of the queue are granted together.
// - unlock()/unlock_shared() must match a granted lock()/lock_shared() (asserted).
// - lock(abort_source&) / lock_shared(abort_source&) fail that request alone with
//   abort_requested_exception (or the abort's exception) when the source aborts before
//   the lock is granted; requests behind it are then granted if they can be.
// - Waiting allocates one node; if that fails the future holds std::bad_alloc.
//   Destroying the mutex with waiters fails them with broken_promise.
//
// Example
//   seastar::shared_mutex m;
//   auto r = seastar::with_shared(m, [&] { return read_table(); });
//   auto w = seastar::with_lock(m, [&] { return rewrite_table(); });  // after the read

#include "seastar/core/abort_source.hh"
#include "seastar/core/expiring_fifo.hh"
#include "seastar/core/future.hh"

#include <cassert>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <type_traits>
#include <utility>

namespace seastar {

class shared_mutex {
    struct waiter {
        promise<> pr;
        bool for_write;
        waiter(promise<>&& p, bool w) noexcept : pr(std::move(p)), for_write(w) {}
    };
    struct expiry_handler {
        shared_mutex* m;
        void operator()(waiter& w, const std::optional<std::exception_ptr>& reason) noexcept {
            w.pr.set_exception(reason ? *reason : std::make_exception_ptr(abort_requested_exception()));
            m->wake();
        }
    };

    size_t _readers = 0;
    bool _writer = false;
    expiring_fifo<waiter, expiry_handler> _waiters;

    void wake() noexcept {
        while (!_waiters.empty()) {
            auto& w = _waiters.front();
            if (w.for_write) {
                if (_readers == 0 && !_writer) {
                    _writer = true;
                    w.pr.set_value();
                    _waiters.pop_front();
                }
                return;
            }
            if (_writer) {
                return;
            }
            ++_readers;
            w.pr.set_value();
            _waiters.pop_front();
        }
    }

    template <typename... AbortSource>
    future<> enqueue(bool for_write, AbortSource&... as) noexcept {
        try {
            promise<> pr;
            auto f = pr.get_future();
            _waiters.push_back(waiter(std::move(pr), for_write), as...);
            return f;
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
    }

public:
    shared_mutex() noexcept : _waiters(expiry_handler{this}) {}
    shared_mutex(const shared_mutex&) = delete;
    shared_mutex& operator=(const shared_mutex&) = delete;

    /// Takes the lock for reading if nobody holds it for writing and nobody waits.
    bool try_lock_shared() noexcept {
        if (!_writer && _waiters.empty()) {
            ++_readers;
            return true;
        }
        return false;
    }

    /// Takes the lock for reading, in FIFO order with other requests.
    future<> lock_shared() noexcept {
        if (try_lock_shared()) {
            return make_ready_future<>();
        }
        return enqueue(false);
    }

    future<> lock_shared(abort_source& as) noexcept {
        if (try_lock_shared()) {
            return make_ready_future<>();
        }
        return enqueue(false, as);
    }

    void unlock_shared() noexcept {
        assert(_readers > 0 && "unlock_shared() without lock_shared()");
        --_readers;
        wake();
    }

    /// Takes the lock for writing if nobody holds it and nobody waits.
    bool try_lock() noexcept {
        if (_readers == 0 && !_writer && _waiters.empty()) {
            _writer = true;
            return true;
        }
        return false;
    }

    /// Takes the lock for writing, in FIFO order with other requests.
    future<> lock() noexcept {
        if (try_lock()) {
            return make_ready_future<>();
        }
        return enqueue(true);
    }

    future<> lock(abort_source& as) noexcept {
        if (try_lock()) {
            return make_ready_future<>();
        }
        return enqueue(true, as);
    }

    void unlock() noexcept {
        assert(_writer && "unlock() without lock()");
        _writer = false;
        wake();
    }
};

/// Runs `func` holding `lock` (anything with future<> lock() and unlock(): a shared_mutex
/// for writing, rwlock::for_read()/for_write(), ...); unlocks when its future resolves,
/// whatever the outcome.
template <typename Lock, typename Func>
futurize_t<std::invoke_result_t<Func>> with_lock(Lock& lock, Func&& func) noexcept {
    return lock.lock().then([&lock, func = std::forward<Func>(func)]() mutable {
        return futurize_invoke(std::move(func)).finally([&lock] { lock.unlock(); });
    });
}

/// Runs `func` holding `sm` for reading; unlocks when its future resolves, whatever the
/// outcome.
template <typename Func>
futurize_t<std::invoke_result_t<Func>> with_shared(shared_mutex& sm, Func&& func) noexcept {
    return sm.lock_shared().then([&sm, func = std::forward<Func>(func)]() mutable {
        return futurize_invoke(std::move(func)).finally([&sm] { sm.unlock_shared(); });
    });
}

/// A std::shared_lock that owns a read lock of `sm` once granted (lock_shared(args...)).
template <typename... Args>
future<std::shared_lock<shared_mutex>> get_shared_lock(shared_mutex& sm, Args&&... args) noexcept {
    return sm.lock_shared(std::forward<Args>(args)...).then([&sm] {
        return std::shared_lock<shared_mutex>(sm, std::adopt_lock);
    });
}

/// A std::unique_lock that owns the write lock of `sm` once granted (lock(args...)).
template <typename... Args>
future<std::unique_lock<shared_mutex>> get_unique_lock(shared_mutex& sm, Args&&... args) noexcept {
    return sm.lock(std::forward<Args>(args)...).then([&sm] {
        return std::unique_lock<shared_mutex>(sm, std::adopt_lock);
    });
}

} // namespace seastar
