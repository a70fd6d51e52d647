// rwlock: a reader-writer lock for fibers of one shard. Any number of readers, or one
// writer; waiters are served in FIFO order (a writer waiting blocks readers that come
// after it), so neither side starves.
//
// It is a semaphore of max_counter() units: a reader takes one, a writer takes them all.
// hold_read_lock()/hold_write_lock() return the units as a holder (a semaphore_units) that
// unlocks when destroyed; for_read()/for_write() give objects with lock()/unlock() for
// with_lock(). Timed and abortable forms fail that request alone (semaphore_timed_out,
// semaphore_aborted), as the semaphore's do.
//
// Contract: shard-local. read_unlock()/write_unlock() must match a granted lock.
//
//     seastar::rwlock l;
//     auto r = co_await l.hold_read_lock();              // shared with other readers
//     co_await seastar::with_lock(l.for_write(), [&] { return rewrite(); });
#pragma once

#include <chrono>

#include "seastar/core/abort_source.hh"
#include "seastar/core/future.hh"
#include "seastar/core/semaphore.hh"

namespace seastar {

template <typename Clock>
class basic_rwlock;

// The read side as a lock (lock()/unlock()), for with_lock().
template <typename Clock = std::chrono::steady_clock>
class rwlock_for_read {
public:
    future<> lock() { return static_cast<basic_rwlock<Clock>*>(this)->read_lock(); }
    void unlock() { static_cast<basic_rwlock<Clock>*>(this)->read_unlock(); }
    friend class basic_rwlock<Clock>;
};

// The write side as a lock (lock()/unlock()), for with_lock().
template <typename Clock = std::chrono::steady_clock>
class rwlock_for_write {
public:
    future<> lock() { return static_cast<basic_rwlock<Clock>*>(this)->write_lock(); }
    void unlock() { static_cast<basic_rwlock<Clock>*>(this)->write_unlock(); }
    friend class basic_rwlock<Clock>;
};

template <typename Clock = std::chrono::steady_clock>
class basic_rwlock : private rwlock_for_read<Clock>, rwlock_for_write<Clock> {
    using semaphore_type = basic_semaphore<semaphore_default_exception_factory, Clock>;
    static constexpr size_t max_ops = semaphore_type::max_counter();

    semaphore_type _sem{max_ops};

    friend class rwlock_for_read<Clock>;
    friend class rwlock_for_write<Clock>;

    // No deadline: no timer.
    future<> wait(size_t n, typename semaphore_type::time_point timeout) noexcept {
        return timeout == semaphore_type::time_point::max() ? _sem.wait(n) : _sem.wait(timeout, n);
    }

public:
    using time_point = typename semaphore_type::time_point;
    using holder = semaphore_units<semaphore_default_exception_factory, Clock>;

    basic_rwlock() = default;

    rwlock_for_read<Clock>& for_read() noexcept { return *this; }
    rwlock_for_write<Clock>& for_write() noexcept { return *this; }

    future<> read_lock(time_point timeout = time_point::max()) noexcept { return wait(1, timeout); }
    future<> read_lock(abort_source& as) noexcept { return _sem.wait(as); }
    void read_unlock() noexcept { _sem.signal(); }
    future<> write_lock(time_point timeout = time_point::max()) noexcept { return wait(max_ops, timeout); }
    future<> write_lock(abort_source& as) noexcept { return _sem.wait(as, max_ops); }
    void write_unlock() noexcept { _sem.signal(max_ops); }

    bool try_read_lock() noexcept { return _sem.try_wait(); }
    bool try_write_lock() noexcept { return _sem.try_wait(max_ops); }

    future<holder> hold_read_lock(time_point timeout = time_point::max()) noexcept {
        return wait(1, timeout).then([this] { return holder(_sem, 1); });
    }
    future<holder> hold_read_lock(abort_source& as) noexcept { return get_units(_sem, 1, as); }
    future<holder> hold_write_lock(time_point timeout = time_point::max()) noexcept {
        return wait(max_ops, timeout).then([this] { return holder(_sem, max_ops); });
    }
    future<holder> hold_write_lock(abort_source& as) noexcept { return get_units(_sem, max_ops, as); }

    // True while a reader or a writer holds the lock.
    bool locked() const noexcept { return _sem.available_units() != ssize_t(max_ops); }
};

using rwlock = basic_rwlock<>;

} // namespace seastar
