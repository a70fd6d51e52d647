// Shards and the messages between them: start-up, smp::count, this_shard_id(), submit_to().
//
// A program runs one reactor thread per selected CPU ("shard"); shard 0 is the thread that
// called smp::run() (app_template calls it). Shards share nothing mutable; they cooperate by
// sending each other functions to run. For each ordered pair of shards there is one request
// queue and one reply queue (single-producer/single-consumer rings). A request is a
// heap-allocated work item that carries the function there and its result back. Requests
// and replies are batched: they collect in the sending shard and are published once per loop
// turn, and the receiving shard is woken (through its reactor's wake-up fd) only if it sleeps.
//
// Contract:
// - submit_to(), invoke_on_all(), invoke_on_others() are called on a shard thread (threads
//   that are not shards use seastar/core/alien.hh). They allocate the work item on the
//   calling shard; it is freed there when the reply arrives.
// - The function runs on the target shard; its captures are destroyed on the calling shard
//   (with the work item), after the result came back. It must not capture references to
//   the caller's shard-local objects unless it only reads immutable data.
// - Exceptions thrown by the function (or a failed future it returns) come back as a failed
//   future. A target shard outside [0, smp::count) gives a failed future
//   (std::invalid_argument). Submitting to the calling shard runs the function right away
//   (as futurize_invoke does) without a message; the function object is kept alive until its
//   future resolves, on both paths, so coroutine lambdas with captures are safe.
// - smp::run() returns after shard 0's main function, every shard's at_exit() functions and
//   every message in flight have finished, and after all shard threads were joined.
//
// Example:
//
//     seastar::future<int> twice_on(unsigned shard, int v) {
//         return seastar::smp::submit_to(shard, [v] { return v * 2; });
//     }
//     co_await seastar::smp::invoke_on_all([] { local_counter = 0; });
//
// Service groups bound the calls in flight from one shard to the others:
// create_smp_service_group({.max_nonlocal_requests = N}) gives a group whose calls reach any
// one shard at most N at a time (N is split evenly between the other shards, at least one
// each). Each calling shard keeps one semaphore per group and destination; a call takes a
// unit before it is sent and gives it back when its reply arrives, so a call over the bound
// waits on the calling shard, and with a timeout in smp_submit_to_options fails with
// named_semaphore_timed_out (a timed_out_error) if no unit came by then. The timeout covers
// the wait only, not the run on the other shard. Calls to the calling shard itself take no
// unit. default_smp_service_group() imposes no bound. Calls of one group must not nest (a
// call that waits on a call of its own group can deadlock).
//
//     auto ssg = co_await seastar::create_smp_service_group({.max_nonlocal_requests = 100});
//     co_await seastar::smp::submit_to(1, seastar::smp_submit_to_options(ssg), [] { ... });
//     co_await seastar::destroy_smp_service_group(ssg);
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/lowres_clock.hh"
#include "seastar/core/reactor_config.hh"
#include "seastar/core/semaphore.hh"

namespace seastar {

using shard_id = unsigned;

// The calling thread's shard number: 0 on shard 0 and on threads that are not shards (so
// code running under a single reactor, as in tests, sees shard 0).
shard_id this_shard_id() noexcept;

// How smp::run() places shards. app_template fills it from --smp, --cpuset,
// --overprovisioned, --memory and the reactor flags.
struct smp_options {
    // Number of shards; unset: one per allowed CPU.
    std::optional<unsigned> smp;
    // CPUs allowed, as "0-3,6"; empty: the process's affinity mask.
    std::string cpuset;
    // Shared machine: shards may share CPUs, threads are not pinned and reactors do not spin
    // while idle (idle_poll_time = 0, poll_mode off).
    bool overprovisioned = false;
    // Memory for all shards together, handed to seastar::memory::configure() when the
    // allocator is not configured yet; unset: physical memory less a reserve.
    std::optional<size_t> memory;
    // Settings for every shard's reactor (shard_id is set per shard; only shard 0 handles
    // SIGINT/SIGTERM).
    reactor_config reactor;
    // Attach a stall detector to every shard's reactor (threshold and rate
    // from `reactor`): what app_template does; tests usually leave it off.
    bool detect_stalls = false;
};

class smp_service_group;

namespace internal {
unsigned smp_service_group_id(smp_service_group ssg) noexcept;
} // namespace internal

// What create_smp_service_group() builds.
struct smp_service_group_config {
    // Calls of the group running on any one shard at a time, counted over all calling
    // shards; raised to at least one per calling shard.
    unsigned max_nonlocal_requests = 0;
    // Named in the group's timeout errors when set.
    std::optional<std::string> group_name;
};

// A handle to a group of cross-shard calls that share a concurrency bound. Copyable, valid
// on every shard from create_smp_service_group() until destroy_smp_service_group().
class smp_service_group {
    unsigned _id;

    explicit smp_service_group(unsigned id) noexcept : _id(id) {}

    friend unsigned internal::smp_service_group_id(smp_service_group ssg) noexcept;
    friend smp_service_group default_smp_service_group() noexcept;
    friend future<smp_service_group> create_smp_service_group(smp_service_group_config ssgc) noexcept;
};

inline unsigned internal::smp_service_group_id(smp_service_group ssg) noexcept {
    return ssg._id;
}

// The group without a bound.
inline smp_service_group default_smp_service_group() noexcept {
    return smp_service_group(0);
}

// Creates a group on every shard. Call it on a shard thread; fails with std::bad_alloc.
future<smp_service_group> create_smp_service_group(smp_service_group_config ssgc) noexcept;

// Waits, on every shard, until the group's calls in flight have come back, then frees it.
// The handle must not be used afterwards (a call with it fails with std::invalid_argument
// until its number is given to a new group). Destroying the default group does nothing.
future<> destroy_smp_service_group(smp_service_group ssg) noexcept;

using smp_timeout_clock = lowres_clock;
using smp_service_group_semaphore = basic_semaphore<named_semaphore_exception_factory, smp_timeout_clock>;
using smp_service_group_semaphore_units = semaphore_units<named_semaphore_exception_factory, smp_timeout_clock>;

inline constexpr smp_timeout_clock::time_point smp_no_timeout = smp_timeout_clock::time_point::max();

// Options of one cross-shard call: its group and how long it may wait for the group's bound.
struct smp_submit_to_options {
    smp_service_group service_group = default_smp_service_group();
    smp_timeout_clock::time_point timeout = smp_no_timeout;

    smp_submit_to_options(smp_service_group service_group = default_smp_service_group(),
                          smp_timeout_clock::time_point timeout = smp_no_timeout) noexcept
        : service_group(service_group), timeout(timeout) {}
};

namespace internal {

// The calling shard's semaphore of group `id` towards shard `to`; nullptr if the group does
// not exist (here). On a shard thread.
smp_service_group_semaphore* smp_service_group_semaphore_for(unsigned id, shard_id to) noexcept;

// A request travelling to another shard and, with its result, back. Created and destroyed
// on the sending shard.
class smp_message {
public:
    // On the target shard: run the work; when it is done, call smp_reply(this).
    virtual void process() noexcept = 0;
    // Back on the sending shard: deliver the result and delete this.
    virtual void complete() noexcept = 0;

    shard_id _from = 0;
    // Not counted by the shutdown's quiescence check (the check's own messages).
    bool _uncounted = false;

protected:
    ~smp_message() = default;
};

// Registers `f` to run on the calling shard after every shard's at_exit() functions have
// finished, while all shards still run their loops (smp::run()'s shutdown; shards run
// theirs at the same time, each in the reverse order of registration). For what the
// exit functions of any shard may still use, e.g. a network stack whose device queue one
// shard drives for all. Outside smp::run(): the same as engine().at_exit(f). A failure is
// logged and does not stop the others.
void at_final_exit(std::function<future<>()> f);

// Queues `m` for shard `to` (published at the end of this loop turn). On a shard thread.
void smp_send(shard_id to, smp_message* m) noexcept;
// On the target shard, when m's work is done: queues it back to m->_from.
void smp_reply(smp_message* m) noexcept;
// True on a thread that runs a shard of smp::run().
bool smp_running_here() noexcept;

template <typename Func>
class smp_submit_item final : public smp_message {
    using futurator = futurize<std::invoke_result_t<Func&>>;
    using value_type = typename futurator::value_type;
    using stored_type = std::conditional_t<std::is_void_v<value_type>, bool, value_type>;

    Func _func;
    promise<value_type> _pr;
    std::optional<stored_type> _value;
    std::exception_ptr _ex;

public:
    explicit smp_submit_item(Func&& f) : _func(std::move(f)) {}

    typename futurator::type get_future() noexcept { return _pr.get_future(); }

    void process() noexcept override {
        auto f = futurator::invoke(_func);
        if (f.available()) {
            take(std::move(f));
            smp_reply(this);
            return;
        }
        (void)std::move(f).then_wrapped([this](typename futurator::type r) noexcept {
            take(std::move(r));
            smp_reply(this);
        });
    }

    void complete() noexcept override {
        if (_ex) {
            _pr.set_exception(std::move(_ex));
        } else if constexpr (std::is_void_v<value_type>) {
            _pr.set_value();
        } else {
            _pr.set_value(std::move(*_value));
        }
        delete this;
    }

private:
    void take(typename futurator::type&& f) noexcept {
        if (f.failed()) {
            _ex = f.get_exception();
        } else if constexpr (std::is_void_v<value_type>) {
            f.get();
            _value.emplace(true);
        } else {
            _value.emplace(f.get());
        }
    }
};

} // namespace internal

class smp {
public:
    // Number of shards; 1 outside smp::run(). Set before shard threads start.
    static shard_id count;

    // Runs func() on shard `t` and returns its result (a value or a future's value) or its
    // exception as a future on the calling shard.
    template <typename Func>
    static futurize_t<std::invoke_result_t<std::decay_t<Func>&>> submit_to(shard_id t, Func&& func) noexcept {
        using F = std::decay_t<Func>;
        using futurator = futurize<std::invoke_result_t<F&>>;
        if (t == this_shard_id()) {
            // Kept alive until the future resolves, as on the remote path: a coroutine lambda
            // refers to its captures for as long as it runs.
            std::unique_ptr<F> held;
            try {
                held = std::make_unique<F>(std::forward<Func>(func));
            } catch (...) {
                return futurator::make_exception_future(std::current_exception());
            }
            auto f = futurator::invoke(*held);
            if (f.available()) {
                return f;
            }
            return std::move(f).finally([held = std::move(held)] {});
        }
        if (t >= count || !internal::smp_running_here()) {
            return futurator::make_exception_future(
                std::make_exception_ptr(std::invalid_argument("smp::submit_to: no such shard")));
        }
        internal::smp_submit_item<F>* item;
        try {
            item = new internal::smp_submit_item<F>(F(std::forward<Func>(func)));
        } catch (...) {
            return futurator::make_exception_future(std::current_exception());
        }
        auto f = item->get_future();
        item->_from = this_shard_id();
        internal::smp_send(t, item);
        return f;
    }

    // Like submit_to(t, func), counted against options.service_group's bound (see the top
    // of this file). Fails with std::invalid_argument for a destroyed group and with
    // named_semaphore_timed_out when options.timeout passes before the call could be sent.
    template <typename Func>
    static futurize_t<std::invoke_result_t<std::decay_t<Func>&>> submit_to(shard_id t, smp_submit_to_options options,
                                                                           Func&& func) noexcept {
        using F = std::decay_t<Func>;
        using futurator = futurize<std::invoke_result_t<F&>>;
        auto id = internal::smp_service_group_id(options.service_group);
        if (id == 0 || t == this_shard_id() || t >= count || !internal::smp_running_here()) {
            return submit_to(t, std::forward<Func>(func));
        }
        auto* sem = internal::smp_service_group_semaphore_for(id, t);
        if (!sem) {
            return futurator::make_exception_future(
                std::make_exception_ptr(std::invalid_argument("smp::submit_to: no such smp_service_group")));
        }
        if (sem->try_wait(1)) {
            return submit_to(t, std::forward<Func>(func)).finally([sem] { sem->signal(1); });
        }
        try {
            auto granted = options.timeout == smp_no_timeout ? sem->wait(1) : sem->wait(options.timeout, 1);
            return std::move(granted).then([t, sem, f = F(std::forward<Func>(func))]() mutable {
                return submit_to(t, std::move(f)).finally([sem] { sem->signal(1); });
            });
        } catch (...) {
            return futurator::make_exception_future(std::current_exception());
        }
    }

    // submit_to(t, options, a copy of func): for callers that send one function to many shards.
    template <typename Func>
    static futurize_t<std::invoke_result_t<std::decay_t<Func>&>>
    copy_and_submit_to(shard_id t, smp_submit_to_options options, const Func& func) noexcept {
        using futurator = futurize<std::invoke_result_t<std::decay_t<Func>&>>;
        try {
            return submit_to(t, options, Func(func));
        } catch (...) {
            return futurator::make_exception_future(std::current_exception());
        }
    }

    // The shard numbers, 0 to count - 1.
    static std::ranges::iota_view<shard_id, shard_id> all_cpus() noexcept { return std::views::iota(0u, count); }

    // Runs func() on every shard (the calling one included), concurrently; resolves when all
    // are done; fails with one of the exceptions if any failed (after all finished).
    template <typename Func>
    static future<> invoke_on_all(Func&& func) noexcept {
        return invoke_on_set(std::forward<Func>(func), shard_id(-1), smp_submit_to_options());
    }

    // Same, each remote call counted against options.service_group's bound.
    template <typename Func>
    static future<> invoke_on_all(smp_submit_to_options options, Func&& func) noexcept {
        return invoke_on_set(std::forward<Func>(func), shard_id(-1), options);
    }

    // Same, on every shard but `except`.
    template <typename Func>
    static future<> invoke_on_others(shard_id except, Func&& func) noexcept {
        return invoke_on_set(std::forward<Func>(func), except, smp_submit_to_options());
    }

    template <typename Func>
    static future<> invoke_on_others(shard_id except, smp_submit_to_options options, Func&& func) noexcept {
        return invoke_on_set(std::forward<Func>(func), except, options);
    }

    // Same, on every shard but the calling one.
    template <typename Func>
    static future<> invoke_on_others(Func&& func) noexcept {
        return invoke_on_set(std::forward<Func>(func), this_shard_id(), smp_submit_to_options());
    }

    // Starts the shards described by `opts`, runs `main` on shard 0 (the calling thread) and
    // shuts everything down when its future resolves (or on SIGINT/SIGTERM, or when shard 0's
    // engine().exit() is called). Returns main's value (1 if it failed; the failure is
    // logged). Throws std::invalid_argument for bad options (a malformed cpuset, more shards
    // than CPUs without overprovisioned) and std::runtime_error when the machine's topology
    // cannot be read or a shard cannot start. One run at a time per process.
    static int run(const smp_options& opts, std::function<future<int>()> main);

    // The CPU each shard was placed on (empty outside run()).
    static const std::vector<unsigned>& shard_cpus() noexcept;

private:
    template <typename Func>
    static future<> invoke_on_set(Func&& func, shard_id except, smp_submit_to_options options) noexcept {
        struct state {
            std::decay_t<Func> func;
            std::exception_ptr ex;
            unsigned left = 0;
            promise<> done;
        };
        state* st;
        try {
            st = new state{std::decay_t<Func>(std::forward<Func>(func)), {}, 0, {}};
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
        auto result = st->done.get_future();
        st->left = 1; // held until every submission was made
        auto finish = [st]() noexcept {
            if (--st->left == 0) {
                if (st->ex) {
                    st->done.set_exception(std::move(st->ex));
                } else {
                    st->done.set_value();
                }
                delete st;
            }
        };
        for (shard_id s = 0; s < count; ++s) {
            if (s == except) {
                continue;
            }
            ++st->left;
            // A copy per shard: each runs on its own shard.
            (void)submit_to(s, options, [f = st->func]() mutable {
                return futurize_invoke(f);
            }).then_wrapped([st, finish](auto r) noexcept {
                if (r.failed()) {
                    auto e = r.get_exception();
                    if (!st->ex) {
                        st->ex = std::move(e);
                    }
                }
                finish();
            });
        }
        finish();
        return result;
    }
};

} // namespace seastar
