#pragma once

// Counting semaphore for futures, with Seastar's semantics.
//
// Contract
// - Shard-local: a semaphore and its units are used on one thread only; nothing here is
//   synchronised. Waiters are woken by fulfilling their promise, so their continuations run
//   later as tasks, never inside signal().
// - Strict FIFO: a wait() that cannot be served at once queues behind every earlier waiter,
//   even if enough units are available for it; a large request at the head therefore
//   blocks smaller ones behind it until it is served (large requests are never starved).
// - wait() and friends are noexcept: failures (including std::bad_alloc when queueing a
//   waiter, one allocation per waiter that actually waits) come back in the future.
// - broken() fails every current waiter with broken_semaphore (or the given exception),
//   sets the count to 0 and makes every later wait() that cannot be served at once fail
//   with that exception; later signal() and consume() are ignored.
// - wait(abort_source&, nr) fails that waiter alone with semaphore_aborted (or the
//   exception passed to request_abort_ex) when the source aborts; no units are taken, and
//   waiters queued behind it are served if the units now suffice.
// - Units taken through get_units() are owned by a semaphore_units object and returned to
//   the semaphore when it is destroyed, on every path (exceptions included). The semaphore
//   must outlive its semaphore_units.
// - Destroying a semaphore with waiters fails them with broken_promise.
//
// - wait(time_point timeout, nr) / wait(duration timeout, nr) fail that waiter alone with
//   semaphore_timed_out (ExceptionFactory::timeout(); a timed_out_error) if the units are
//   not granted by `timeout` on the semaphore's Clock; no units are taken, and waiters
//   queued behind it are served if the units now suffice. A deadline already reached fails
//   at once unless the units are available now. A waiter served in time cancels its timer.
//   Timers fire on the calling shard (see timer.hh): with the default steady_clock this
//   needs a reactor; manual_clock fires on manual_clock::advance().
//
// Example
//   seastar::semaphore limit(10);
//   future<> f = seastar::with_semaphore(limit, 1, [] { return do_request(); });
//   // or: return get_units(limit, 1).then([] (auto units) { ...; /* units returned */ });

#include "seastar/core/abort_source.hh"
#include "seastar/core/expiring_fifo.hh"
#include "seastar/core/future.hh"
#include "seastar/core/timed_out_error.hh"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstddef>
#include <exception>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <type_traits>
#include <utility>

namespace seastar {

/// The exception waiters of a broken() semaphore see by default.
class broken_semaphore : public std::exception {
public:
    const char* what() const noexcept override { return "Semaphore broken"; }
};

/// The exception of a timed-out wait.
class semaphore_timed_out : public timed_out_error {
public:
    const char* what() const noexcept override { return "Semaphore timedout"; }
};

/// The exception a wait cancelled through an abort_source sees by default.
class semaphore_aborted : public abort_requested_exception {
public:
    const char* what() const noexcept override { return "Semaphore aborted"; }
};

struct semaphore_default_exception_factory {
    static semaphore_timed_out timeout() noexcept { return {}; }
    static broken_semaphore broken() noexcept { return {}; }
    static semaphore_aborted aborted() noexcept { return {}; }
};

/// Exceptions that carry the name of the semaphore, for named_semaphore.
class named_semaphore_timed_out : public semaphore_timed_out {
    std::string _msg;

public:
    explicit named_semaphore_timed_out(std::string_view name) : _msg("Semaphore timed out: " + std::string(name)) {}
    const char* what() const noexcept override { return _msg.c_str(); }
};

class broken_named_semaphore : public broken_semaphore {
    std::string _msg;

public:
    explicit broken_named_semaphore(std::string_view name) : _msg("Semaphore broken: " + std::string(name)) {}
    const char* what() const noexcept override { return _msg.c_str(); }
};

class named_semaphore_aborted : public semaphore_aborted {
    std::string _msg;

public:
    explicit named_semaphore_aborted(std::string_view name) : _msg("Semaphore aborted: " + std::string(name)) {}
    const char* what() const noexcept override { return _msg.c_str(); }
};

struct named_semaphore_exception_factory {
    std::string name;
    named_semaphore_timed_out timeout() const { return named_semaphore_timed_out(name); }
    broken_named_semaphore broken() const { return broken_named_semaphore(name); }
    named_semaphore_aborted aborted() const { return named_semaphore_aborted(name); }
};

namespace internal {
template <typename F>
concept semaphore_factory_has_aborted = requires(const F& f) { f.aborted(); };
} // namespace internal

template <typename ExceptionFactory, typename Clock = std::chrono::steady_clock>
class basic_semaphore : private ExceptionFactory {
public:
    using exception_factory = ExceptionFactory;
    using clock = Clock;
    using duration = typename Clock::duration;
    using time_point = typename Clock::time_point;

private:
    ssize_t _count;
    std::exception_ptr _ex;

    struct entry {
        promise<> pr;
        size_t nr;
        entry(promise<>&& p, size_t n) noexcept : pr(std::move(p)), nr(n) {}
    };

    struct expiry_handler {
        basic_semaphore* sem;
        void operator()(entry& e, const std::optional<std::exception_ptr>& reason) noexcept {
            e.pr.set_exception(reason ? *reason : sem->make_aborted());
            // The expired waiter may have been the head that held the others back.
            sem->wake_waiters();
        }
        void operator()(entry& e, expired_by_timeout) noexcept {
            e.pr.set_exception(sem->make_timeout());
            sem->wake_waiters();
        }
    };

    expiring_fifo<entry, expiry_handler> _wait_list;

    std::exception_ptr make_aborted() const noexcept {
        try {
            if constexpr (internal::semaphore_factory_has_aborted<ExceptionFactory>) {
                return std::make_exception_ptr(static_cast<const ExceptionFactory&>(*this).aborted());
            } else {
                return std::make_exception_ptr(semaphore_aborted());
            }
        } catch (...) {
            return std::current_exception();
        }
    }

    std::exception_ptr make_timeout() const noexcept {
        try {
            return std::make_exception_ptr(static_cast<const ExceptionFactory&>(*this).timeout());
        } catch (...) {
            return std::current_exception();
        }
    }

    bool has_available_units(size_t nr) const noexcept { return _count >= 0 && static_cast<size_t>(_count) >= nr; }
    bool may_proceed(size_t nr) const noexcept { return _wait_list.empty() && has_available_units(nr); }

    void wake_waiters() noexcept {
        while (!_wait_list.empty() && has_available_units(_wait_list.front().nr)) {
            auto& e = _wait_list.front();
            _count -= e.nr;
            e.pr.set_value();
            _wait_list.pop_front();
        }
    }

    // `expiry`: nothing, an abort_source& or a time_point (see expiring_fifo::push_back).
    template <typename... Expiry>
    future<> do_wait(size_t nr, Expiry&&... expiry) noexcept {
        if (may_proceed(nr)) {
            _count -= nr;
            return make_ready_future<>();
        }
        if (_ex) {
            return make_exception_future<>(_ex);
        }
        try {
            promise<> pr;
            auto fut = pr.get_future();
            _wait_list.push_back(entry(std::move(pr), nr), std::forward<Expiry>(expiry)...);
            return fut;
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
    }

public:
    /// The largest count the semaphore can hold.
    static constexpr size_t max_counter() noexcept { return std::numeric_limits<ssize_t>::max(); }

    explicit basic_semaphore(size_t count) noexcept(std::is_nothrow_default_constructible_v<ExceptionFactory>)
        : _count(static_cast<ssize_t>(count)), _wait_list(expiry_handler{this}) {}
    basic_semaphore(size_t count, exception_factory&& factory)
        : ExceptionFactory(std::move(factory)), _count(static_cast<ssize_t>(count)), _wait_list(expiry_handler{this}) {}
    // Waiters point back at the semaphore: it stays where it was made.
    basic_semaphore(const basic_semaphore&) = delete;
    basic_semaphore& operator=(const basic_semaphore&) = delete;

    /// Waits until `nr` units are available (in FIFO order with other waiters) and takes them.
    future<> wait(size_t nr = 1) noexcept { return do_wait(nr); }

    /// Like wait(nr), but the wait fails with semaphore_aborted (or the abort's exception)
    /// if `as` requests an abort before the units are granted; nothing is taken then.
    future<> wait(abort_source& as, size_t nr = 1) noexcept { return do_wait(nr, as); }

    /// Like wait(nr), but the wait fails with semaphore_timed_out (from the factory) if the
    /// units are not granted by `timeout`; nothing is taken then.
    future<> wait(time_point timeout, size_t nr = 1) noexcept { return do_wait(nr, timeout); }

    /// wait(Clock::now() + timeout, nr).
    future<> wait(duration timeout, size_t nr = 1) noexcept { return wait(Clock::now() + timeout, nr); }

    /// Deposits `nr` units and serves waiters from the head while the units suffice.
    void signal(size_t nr = 1) noexcept {
        if (_ex) {
            return;
        }
        _count += static_cast<ssize_t>(nr);
        wake_waiters();
    }

    /// Takes `nr` units now, even if that makes the count negative.
    void consume(size_t nr = 1) noexcept {
        if (_ex) {
            return;
        }
        _count -= static_cast<ssize_t>(nr);
    }

    /// Takes `nr` units if they are available and nobody is waiting; never waits.
    bool try_wait(size_t nr = 1) noexcept {
        if (may_proceed(nr)) {
            _count -= static_cast<ssize_t>(nr);
            return true;
        }
        return false;
    }

    /// Units available now, clamped at zero.
    size_t current() const noexcept { return static_cast<size_t>(std::max(_count, ssize_t(0))); }

    /// Units available now; negative after consume() took more than there were.
    ssize_t available_units() const noexcept { return _count; }

    /// Number of queued waiters.
    size_t waiters() const noexcept { return _wait_list.size(); }

    /// Fails all waiters and future waits with broken_semaphore (from the factory).
    void broken() noexcept {
        std::exception_ptr ex;
        try {
            ex = std::make_exception_ptr(static_cast<const ExceptionFactory&>(*this).broken());
        } catch (...) {
            ex = std::current_exception();
        }
        broken(std::move(ex));
    }

    template <typename Exception>
        requires(!std::is_same_v<std::decay_t<Exception>, std::exception_ptr>)
    void broken(const Exception& ex) noexcept {
        broken(std::make_exception_ptr(ex));
    }

    /// Fails all waiters and future waits with `ex`.
    void broken(std::exception_ptr ex) noexcept {
        _ex = std::move(ex);
        _count = 0;
        while (!_wait_list.empty()) {
            _wait_list.front().pr.set_exception(_ex);
            _wait_list.pop_front();
        }
    }
};

using semaphore = basic_semaphore<semaphore_default_exception_factory>;
using named_semaphore = basic_semaphore<named_semaphore_exception_factory>;

/// Units taken from a semaphore, returned to it when this object is destroyed.
template <typename ExceptionFactory = semaphore_default_exception_factory, typename Clock = std::chrono::steady_clock>
class semaphore_units {
    basic_semaphore<ExceptionFactory, Clock>* _sem = nullptr;
    size_t _n = 0;

public:
    semaphore_units() noexcept = default;
    semaphore_units(basic_semaphore<ExceptionFactory, Clock>& sem, size_t n) noexcept : _sem(&sem), _n(n) {}
    semaphore_units(semaphore_units&& o) noexcept : _sem(o._sem), _n(std::exchange(o._n, 0)) {}
    semaphore_units& operator=(semaphore_units&& o) noexcept {
        if (this != &o) {
            return_all();
            _sem = o._sem;
            _n = std::exchange(o._n, 0);
        }
        return *this;
    }
    semaphore_units(const semaphore_units&) = delete;
    semaphore_units& operator=(const semaphore_units&) = delete;
    ~semaphore_units() { return_all(); }

    /// Returns `units` of the held units to the semaphore now; returns how many remain.
    /// Throws std::invalid_argument if more than count() are asked for.
    size_t return_units(size_t units) {
        if (units > _n) {
            throw std::invalid_argument("Cannot release more units than held");
        }
        _n -= units;
        if (units) {
            _sem->signal(units);
        }
        return _n;
    }

    /// Returns every held unit to the semaphore now.
    void return_all() noexcept {
        if (_n) {
            _sem->signal(std::exchange(_n, 0));
        }
    }

    /// Gives up ownership without signalling the semaphore; returns how many were held.
    size_t release() noexcept { return std::exchange(_n, 0); }

    /// Moves `units` of the held units into a new object. Throws std::invalid_argument if
    /// more than count() are asked for.
    semaphore_units split(size_t units) {
        if (units > _n) {
            throw std::invalid_argument("Cannot take more units than those held");
        }
        _n -= units;
        return semaphore_units(*_sem, units);
    }

    /// Takes over the units of `other`, which must come from the same semaphore.
    void adopt(semaphore_units&& other) noexcept {
        assert(other._sem == _sem || other._n == 0 || _sem == nullptr);
        if (!_sem) {
            _sem = other._sem;
        }
        _n += other.release();
    }

    size_t count() const noexcept { return _n; }
    explicit operator bool() const noexcept { return _n != 0; }
};

/// Waits for `units` and returns them wrapped in a semaphore_units.
template <typename ExceptionFactory, typename Clock>
future<semaphore_units<ExceptionFactory, Clock>> get_units(basic_semaphore<ExceptionFactory, Clock>& sem,
                                                           size_t units) noexcept {
    return sem.wait(units).then([&sem, units] { return semaphore_units<ExceptionFactory, Clock>(sem, units); });
}

/// Like get_units(sem, units), cancellable through `as`.
template <typename ExceptionFactory, typename Clock>
future<semaphore_units<ExceptionFactory, Clock>> get_units(basic_semaphore<ExceptionFactory, Clock>& sem, size_t units,
                                                           abort_source& as) noexcept {
    return sem.wait(as, units).then([&sem, units] { return semaphore_units<ExceptionFactory, Clock>(sem, units); });
}

/// Like get_units(sem, units), failing with semaphore_timed_out if not granted by `timeout`.
template <typename ExceptionFactory, typename Clock>
future<semaphore_units<ExceptionFactory, Clock>>
get_units(basic_semaphore<ExceptionFactory, Clock>& sem, size_t units,
          typename basic_semaphore<ExceptionFactory, Clock>::time_point timeout) noexcept {
    return sem.wait(timeout, units).then([&sem, units] {
        return semaphore_units<ExceptionFactory, Clock>(sem, units);
    });
}

/// get_units(sem, units, Clock::now() + timeout).
template <typename ExceptionFactory, typename Clock>
future<semaphore_units<ExceptionFactory, Clock>>
get_units(basic_semaphore<ExceptionFactory, Clock>& sem, size_t units,
          typename basic_semaphore<ExceptionFactory, Clock>::duration timeout) noexcept {
    return sem.wait(timeout, units).then([&sem, units] {
        return semaphore_units<ExceptionFactory, Clock>(sem, units);
    });
}

/// Takes `units` now if try_wait() would; std::nullopt otherwise.
template <typename ExceptionFactory, typename Clock>
std::optional<semaphore_units<ExceptionFactory, Clock>> try_get_units(basic_semaphore<ExceptionFactory, Clock>& sem,
                                                                      size_t units) noexcept {
    if (!sem.try_wait(units)) {
        return std::nullopt;
    }
    return std::make_optional<semaphore_units<ExceptionFactory, Clock>>(sem, units);
}

/// consume()s `units` now (the count may go negative) and owns them.
template <typename ExceptionFactory, typename Clock>
semaphore_units<ExceptionFactory, Clock> consume_units(basic_semaphore<ExceptionFactory, Clock>& sem,
                                                       size_t units) noexcept {
    sem.consume(units);
    return semaphore_units<ExceptionFactory, Clock>(sem, units);
}

/// Runs `func` while holding `units`; the units are returned when its future resolves,
/// whatever the outcome (including `func` throwing).
template <typename ExceptionFactory, typename Clock, typename Func>
futurize_t<std::invoke_result_t<Func>> with_semaphore(basic_semaphore<ExceptionFactory, Clock>& sem, size_t units,
                                                      Func&& func) noexcept {
    return get_units(sem, units).then([func = std::forward<Func>(func)](auto u) mutable {
        return futurize_invoke(std::move(func)).finally([u = std::move(u)] {});
    });
}

/// Like with_semaphore(sem, units, func), but fails with semaphore_timed_out (without
/// calling `func`) if the units are not granted within `timeout`.
template <typename ExceptionFactory, typename Clock, typename Func>
futurize_t<std::invoke_result_t<Func>>
with_semaphore(basic_semaphore<ExceptionFactory, Clock>& sem, size_t units,
               typename basic_semaphore<ExceptionFactory, Clock>::duration timeout, Func&& func) noexcept {
    return get_units(sem, units, timeout).then([func = std::forward<Func>(func)](auto u) mutable {
        return futurize_invoke(std::move(func)).finally([u = std::move(u)] {});
    });
}

} // namespace seastar
