// The reactor: one event loop per thread (shard) that runs tasks, polls for
// I/O, fires timers and sleeps in its backend when there is nothing to do.
//
// The loop, per turn:
//   1. run ready tasks until the queue is empty or the task quota
//      (reactor_config::task_quota, default 0.5 ms) is used up; need_preempt()
//      turns true when it is, through a flag set by a helper timer thread
//      (internal/task_quota_timer.hh), so checking it costs one load;
//   2. poll: backend completions (fd readiness, disk I/O), blocking calls
//      finished by the syscall thread, pending signals, registered pollers,
//      and fire expired timers (steady_clock and lowres_clock);
//   3. when nothing ran and nothing arrived: keep polling for
//      reactor_config::idle_poll_time (default 200 us), then sleep in the
//      backend until the next timer or an event (unless poll_mode).
//
// Task order: tasks of one scheduling group run in the order they were
// scheduled (FIFO), except that schedule_urgent() puts a task first and
// reactor_config::shuffle_tasks (a debug aid) runs them in a random order.
// Groups share the CPU by their shares: the runnable group with the least
// virtual runtime (time run / shares) runs until the task quota ends or it
// has no more tasks, and a group waking from idle cannot bank credit
// (internal/scheduler_queues.hh). get_scheduling_group_stats() reports each
// group's runtime, tasks, queue length and starvation on this shard.
//
// Contract:
//   * One reactor per thread; engine() is this thread's. Constructing a
//     reactor installs it as the thread's task scheduler and preemption flag
//     (see core/task.hh); destroying it restores the previous ones. Throws
//     std::logic_error if the thread already has one, std::runtime_error /
//     std::invalid_argument when the configured backend cannot be used.
//   * Everything is called from the reactor's thread except wakeup() and
//     tasks_processed(), which any thread may call.
//   * exit(code) starts an orderly shutdown: at_exit() functions run in
//     reverse order of registration (each waits for the previous), then run()
//     returns `code`. SIGINT and SIGTERM call exit(0) (unless disabled in the
//     config). Signal handlers registered with handle_signal() run as tasks.
//   * Blocking work goes to run_blocking(), never into a task.
//
//     seastar::reactor r(seastar::reactor_config{});
//     int code = r.run([] () -> seastar::future<int> {
//         co_await seastar::sleep(std::chrono::milliseconds(1));
//         co_return 0;
//     });
#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "seastar/util/noncopyable_function.hh"

#include "seastar/core/future.hh"
#include "seastar/core/internal/reactor_backend.hh"
#include "seastar/core/internal/scheduler_groups.hh"
#include "seastar/core/internal/scheduler_queues.hh"
#include "seastar/core/internal/syscall_pool.hh"
#include "seastar/core/reactor_config.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/task.hh"

namespace seastar {

namespace net {
class network_stack;
} // namespace net

class reactor;

namespace internal {

class task_quota_timer;

// Seastar's reactor API for programs (at the end of reactor.cc).
class reactor_api_state;
struct reactor_api_state_deleter {
    void operator()(reactor_api_state* s) const noexcept;
};
reactor_api_state* make_reactor_api_state(reactor& r);

// Work the loop polls every turn (the smp queues, a NIC's rx ring, ...).
class poller {
public:
    // Does what is ready; true if it did anything. On the reactor thread.
    virtual bool poll() noexcept = 0;
    // Called before the reactor sleeps: false means work is pending and the
    // reactor must not sleep now. A poller whose work can arrive while the
    // reactor sleeps must arrange for reactor::wakeup() to be called then;
    // one whose work can go on at a known time may arm a timer for it here
    // (the sleep ends by the earliest timer, read after every poller entered).
    virtual bool try_enter_interrupt_mode() noexcept { return true; }
    // Called after the sleep.
    virtual void exit_interrupt_mode() noexcept {}

protected:
    ~poller() = default;
};

// The stall detector's view of the loop: called around each run of tasks
// (one per loop turn that has tasks), on the reactor thread. A run longer
// than reactor_config::blocked_reactor_notify is a stall. tasks_processed()
// advances once per task, so a watchdog on another thread can tell a stalled
// task (no progress) from a busy loop.
class task_run_observer {
public:
    virtual void start_task_run(std::chrono::steady_clock::time_point now) noexcept = 0;
    virtual void end_task_run() noexcept = 0;

protected:
    ~task_run_observer() = default;
};

} // namespace internal

class reactor final : public internal::task_scheduler, public internal::scheduling_group_queues {
public:
    struct stats {
        uint64_t tasks_processed = 0;
        uint64_t loop_turns = 0;
        uint64_t sleeps = 0;
        uint64_t timers_fired = 0;
    };

    explicit reactor(reactor_config cfg = {});
    ~reactor();
    reactor(const reactor&) = delete;
    reactor& operator=(const reactor&) = delete;

    // Runs the loop until exit() (or a signal) finishes; returns the exit code.
    int run() noexcept;
    // Runs `main` as the first task, then the loop. The exit code is main's
    // value; a failed main is reported (logged) and gives exit code 1.
    int run(std::function<future<int>()> main) noexcept;

    void exit(int code) noexcept;
    void stop() noexcept { exit(0); }
    bool stopping() const noexcept { return _stopping; }
    void at_exit(std::function<future<>()> func);

    // Runs `handler` as a task on this shard whenever `signo` arrives, on
    // whichever shard's thread the kernel delivers it: the signal is handled
    // once, here (replacing an earlier handler, and taking the signal from
    // another shard that handled it before). The process-wide disposition is
    // restored when the reactor is destroyed. Throws std::invalid_argument for
    // a signal number out of range, std::system_error if sigaction fails.
    void handle_signal(int signo, std::function<void()> handler);

    // The task scheduler interface (core/task.hh).
    void schedule(task* t) noexcept override;
    void schedule_urgent(task* t) noexcept override;
    void add_task(task* t) noexcept { schedule(t); }
    void add_urgent_task(task* t) noexcept { schedule_urgent(t); }

    unsigned id() const noexcept { return _cfg.shard_id; }
    const reactor_config& config() const noexcept { return _cfg; }
    internal::reactor_backend& backend() noexcept { return *_backend; }
    std::string_view backend_name() const noexcept { return _backend->name(); }

    // Disk I/O through the backend (linux-aio: io_submit; io_uring: sqes;
    // epoll: io_submit on a linux-aio context of its own). See internal/reactor_backend.hh.
    future<size_t> submit_io(const internal::io_request& req) { return _backend->submit_io(req); }

    // Runs `func` on this shard's syscall thread (the one blocking-I/O
    // thread of the shard, which the backend uses too) and completes the future on
    // the shard with its result or exception. For open, fsync, stat, rename,
    // getaddrinfo and other calls that block. `func` must not touch the
    // shard's objects (it runs on another thread).
    template <typename Func>
    future<std::invoke_result_t<Func&>> run_blocking(Func func);

    // Ends the backend wait if the reactor sleeps. Any thread.
    void wakeup() noexcept;

    void register_poller(internal::poller* p);
    void unregister_poller(internal::poller* p) noexcept;
    void set_task_run_observer(internal::task_run_observer* o) noexcept { _observer = o; }

    // Tasks run so far. Any thread (a relaxed load).
    uint64_t tasks_processed() const noexcept { return _tasks_processed.load(std::memory_order_relaxed); }
    stats get_stats() const noexcept;
    // This shard's accounting for `sg`.
    scheduling_group_stats get_scheduling_group_stats(scheduling_group sg) const noexcept;

    // Per-shard side of create/destroy_scheduling_group (core/scheduling.hh);
    // run on every shard by those functions.
    void init_scheduling_group(scheduling_group sg) noexcept override;
    // Forgets the group's queue; tasks still queued move to the default group.
    void destroy_scheduling_group_queue(scheduling_group sg) noexcept override;
    size_t scheduling_group_queue_length(scheduling_group sg) const noexcept override;

    // ---- Seastar's reactor API for programs (defined at the end of reactor.cc) ----
    // Resolves once this reactor's loop is running (at once when it already is).
    future<> when_started();
    // Runs `func` (void()) when the reactor shuts down, after every at_exit() function
    // and the background work, in the order registered.
    template <typename Func>
    void at_destroy(Func&& func) {
        at_destroy_impl(noncopyable_function<void()>(std::forward<Func>(func)));
    }
    // Lets `f` (or the future `func()` returns) finish in the background: a failure is
    // logged, and shutdown waits for it after the at_exit() functions.
    void run_in_background(future<> f);
    // `func` is kept alive until its future resolves (a coroutine lambda may use its captures).
    template <typename Func>
        requires std::is_invocable_v<Func&>
    void run_in_background(Func&& func) {
        auto held = std::make_unique<std::decay_t<Func>>(std::forward<Func>(func));
        auto f = futurize_invoke(*held);
        run_in_background(std::move(f).finally([held = std::move(held)] {}));
    }
    // Time this reactor spent sleeping in its backend (idle), and the rest of the time
    // since it was made (busy, including polling while idle).
    std::chrono::nanoseconds total_idle_time() const noexcept;
    std::chrono::nanoseconds total_busy_time() const noexcept;
    // This shard's network stack (net::local_network_stack(), made on first use). Declared
    // here as in Seastar and defined above the reactor by //seastar/net:engine_net, which
    // the POSIX and native stacks bring.
    net::network_stack& net() const;
    // Resolves once this reactor is stopping (exit() was called; at once if it already
    // was); fails with condition_variable_timed_out when `timeout` passes first.
    template <typename Rep, typename Period>
    future<> wait_for_stop(std::chrono::duration<Rep, Period> timeout) {
        return wait_for_stop_until(std::chrono::steady_clock::now() +
                                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
    }

private:
    future<> wait_for_stop_until(std::chrono::steady_clock::time_point deadline);

    reactor_config _cfg;
    std::unique_ptr<internal::reactor_backend> _backend;
    std::atomic<bool> _preempt{false};
    std::unique_ptr<internal::task_quota_timer> _quota_timer;
    internal::syscall_pool _syscall_pool;
    internal::scheduler_queues _queues; // one per scheduling group
    std::mt19937 _rng;
    std::vector<internal::poller*> _pollers;
    internal::task_run_observer* _observer = nullptr;
    std::deque<std::function<future<>()>> _exit_funcs;
    std::function<future<int>()> _main;
    struct signal_slot {
        std::function<void()> handler;
        struct sigaction old_action{};
        bool installed = false;
    };
    std::vector<signal_slot> _signals;
    std::atomic<bool> _sleeping{false};
    std::atomic<uint64_t> _tasks_processed{0};
    stats _stats;
    bool _stopping = false;
    bool _stopped = false;
    int _return = 0;
    std::optional<std::chrono::steady_clock::time_point> _idle_since;
    internal::task_scheduler* _prev_scheduler = nullptr;
    internal::scheduling_group_queues* _prev_group_queues = nullptr;
    const std::atomic<bool>* _prev_preempt = nullptr;

    void run_tasks() noexcept;
    // Reads the steady clock (vDSO, no syscall) and remembers it for the
    // run queues' statistics.
    std::chrono::steady_clock::time_point clock_now() noexcept;
    bool poll_once(std::chrono::steady_clock::time_point now) noexcept;
    bool deliver_signals() noexcept;
    // Signals pending for this reactor's handlers (other shards' stay pending).
    uint64_t own_pending_signals() const noexcept;
    bool expire_timers(std::chrono::steady_clock::time_point now) noexcept;
    void sleep() noexcept;
    bool work_pending() const noexcept;
    void drain_tasks() noexcept;
    future<> run_exit_funcs() noexcept;

    // Seastar's reactor API (when_started, at_destroy, run_in_background, idle time).
    friend class internal::reactor_api_state;
    std::unique_ptr<internal::reactor_api_state, internal::reactor_api_state_deleter> _api;
    void at_destroy_impl(noncopyable_function<void()> func);
};

// This thread's reactor. Calling it on a thread without one is a usage error
// (asserted).
reactor& engine() noexcept;
// True on a thread that has a reactor.
bool engine_is_ready() noexcept;

template <typename Func>
future<std::invoke_result_t<Func&>> reactor::run_blocking(Func func) {
    using R = std::invoke_result_t<Func&>;
    struct item final : internal::syscall_work_item {
        Func f;
        promise<R> pr;
        std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
        std::exception_ptr ex;
        explicit item(Func&& fn) : f(std::move(fn)) {}
        void process() noexcept override {
            try {
                if constexpr (std::is_void_v<R>) {
                    f();
                    value.emplace(true);
                } else {
                    value.emplace(f());
                }
            } catch (...) {
                ex = std::current_exception();
            }
        }
        void complete() noexcept override {
            if (ex) {
                pr.set_exception(std::move(ex));
            } else if constexpr (std::is_void_v<R>) {
                pr.set_value();
            } else {
                pr.set_value(std::move(*value));
            }
        }
    };
    auto it = std::make_unique<item>(std::move(func));
    auto f = it->pr.get_future();
    _syscall_pool.submit(std::move(it));
    return f;
}

// ---- Seastar's reactor API: free functions ----

// Registers `func` to run when this shard's reactor shuts down (engine().at_exit()).
inline void at_exit(std::function<future<>()> func) {
    engine().at_exit(std::move(func));
}

// What an idle-CPU handler reports back.
enum class idle_cpu_handler_result {
    no_more_work,                       // the reactor may sleep
    interrupted_by_higher_priority_task // it stopped because the reactor has work
};
// Asked by an idle handler, now and then: true when the reactor has work waiting.
using work_waiting_on_reactor = const noncopyable_function<bool()>&;
using idle_cpu_handler = noncopyable_function<idle_cpu_handler_result(work_waiting_on_reactor)>;

// Installs a handler this shard's reactor calls when it is about to sleep (it has no
// tasks and nothing came in for the idle poll time; never in poll mode). The handler may
// do low-priority work, checking work_waiting_on_reactor() as it goes; it returns
// interrupted_by_higher_priority_task to keep the reactor awake, no_more_work to let it
// sleep. Replaces the previous handler; an empty one removes it.
void set_idle_cpu_handler(idle_cpu_handler&& handler);

} // namespace seastar
