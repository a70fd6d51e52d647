#include "seastar/core/reactor.hh"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "seastar/core/condition-variable.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/gate.hh"
#include "seastar/core/internal/reactor_backend_selector.hh"
#include "seastar/core/internal/task_quota_timer.hh"
#include "seastar/core/lowres_clock.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/timer.hh"
#include "seastar/util/log.hh"

namespace seastar {

namespace {

logger reactor_log("reactor");

constinit thread_local reactor* local_engine = nullptr;

// The loop's latest steady-clock reading on this thread (reactor::clock_now()).
// The run queues stamp a group that becomes runnable with it (for starvation
// statistics) instead of reading the clock on every push: a task queued while
// tasks run is stamped with the start of that run, one queued by a poller
// with the end of the previous run.
constinit thread_local std::chrono::steady_clock::time_point loop_now{};

std::chrono::steady_clock::time_point cached_loop_now() noexcept {
    return loop_now;
}

// Signals arrive on whatever thread the kernel picks (any shard's). Each
// signal number has one owner, the reactor that last called handle_signal()
// for it; the handler records the signal as pending and wakes the owner, and
// only the owner takes it off the pending set, so a signal is handled exactly
// once, by its owner, whichever shard's thread received it.
constexpr int max_signal = 64;
std::atomic<uint64_t> pending_signals{0};
std::array<std::atomic<reactor*>, max_signal + 1> signal_owner{};

uint64_t signal_bit(int signo) noexcept {
    return uint64_t(1) << (signo - 1);
}

void on_signal(int signo) {
    auto owner = signal_owner[size_t(signo)].load();
    if (!owner) {
        return; // its reactor is going away
    }
    pending_signals.fetch_or(signal_bit(signo));
    owner->backend().wakeup();
}

template <typename Func>
class lambda_task final : public task {
    Func _func;

public:
    explicit lambda_task(Func&& f) : _func(std::move(f)) {}
    void run_and_dispose() noexcept override {
        _func();
        delete this;
    }
};

template <typename Func>
task* make_lambda_task(Func&& f) {
    return new lambda_task<std::decay_t<Func>>(std::forward<Func>(f));
}

std::chrono::nanoseconds thread_cpu_time() noexcept {
    struct timespec ts;
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

std::string describe(const std::exception_ptr& ex) {
    try {
        std::rethrow_exception(ex);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

} // namespace

reactor& engine() noexcept {
    assert(local_engine && "engine() called on a thread without a reactor");
    return *local_engine;
}

bool engine_is_ready() noexcept {
    return local_engine != nullptr;
}

reactor::reactor(reactor_config cfg)
    : _cfg(std::move(cfg)), _syscall_pool([this] { wakeup(); }),
      _queues(std::chrono::duration_cast<std::chrono::nanoseconds>(_cfg.task_quota), &cached_loop_now),
      _rng(_cfg.shuffle_seed ? _cfg.shuffle_seed : std::random_device()()) {
    if (local_engine) {
        throw std::logic_error("a reactor already runs on this thread");
    }
    internal::backend_options opts;
    opts.queue_depth = _cfg.backend_queue_depth;
    opts.blocking = &_syscall_pool;
    auto sel = internal::select_reactor_backend(_cfg.backend, opts);
    _backend = std::move(sel.backend);
    _quota_timer = std::make_unique<internal::task_quota_timer>(_preempt);
    if (_cfg.shuffle_tasks) {
        _queues.set_shuffle(&_rng);
    }
    local_engine = this;
    clock_now();
    internal::set_log_shard_id(int(_cfg.shard_id));
    if (!sel.note.empty()) {
        reactor_log.warn("{}", sel.note);
    }
    reactor_log.debug("using the {} backend", _backend->name());
    _prev_scheduler = internal::set_task_scheduler(this);
    _prev_group_queues = internal::set_local_scheduling_group_queues(this);
    _prev_preempt = internal::set_preemption_flag(&_preempt);
    if (_cfg.handle_sigint_sigterm) {
        handle_signal(SIGINT, [this] { exit(0); });
        handle_signal(SIGTERM, [this] { exit(0); });
    }
    _api.reset(internal::make_reactor_api_state(*this));
}

reactor::~reactor() {
    for (int signo = 1; signo < int(_signals.size()); ++signo) {
        if (_signals[signo].installed) {
            ::sigaction(signo, &_signals[signo].old_action, nullptr);
        }
    }
    for (auto& owner : signal_owner) {
        reactor* self = this;
        owner.compare_exchange_strong(self, nullptr);
    }
    drain_tasks();
    _quota_timer->disarm();
    internal::set_preemption_flag(_prev_preempt);
    // Tasks that blocking calls or backend completions schedule while they
    // are torn down still find this scheduler.
    _quota_timer.reset();
    _backend.reset();
    drain_tasks();
    internal::set_local_scheduling_group_queues(_prev_group_queues);
    internal::set_task_scheduler(_prev_scheduler);
    // Per-group values belong to the shard; a later reactor on this thread
    // makes new ones on first use.
    internal::destroy_all_scheduling_group_specific();
    local_engine = nullptr;
    internal::set_log_shard_id(-1);
}

void reactor::schedule(task* t) noexcept {
    _queues.push(t, false);
}

void reactor::schedule_urgent(task* t) noexcept {
    _queues.push(t, true);
}

std::chrono::steady_clock::time_point reactor::clock_now() noexcept {
    loop_now = std::chrono::steady_clock::now();
    return loop_now;
}

void reactor::run_tasks() noexcept {
    if (_queues.empty()) {
        return;
    }
    auto start = clock_now();
    _preempt.store(false, std::memory_order_relaxed);
    _quota_timer->arm(start, _cfg.task_quota);
    if (_observer) {
        _observer->start_task_run(start);
    }
    auto processed = _tasks_processed.load(std::memory_order_relaxed);
    // One group at a time: the one with the least virtual runtime keeps the
    // shard until the quota ends or it runs out of tasks.
    //
    // What a run is charged: while other groups wait (contended), the CPU time
    // of this thread, not wall time: time the kernel gives the core to another
    // process is nobody's fault here, and charging it to whichever group
    // happened to run would skew the shares on a shared machine. That clock is
    // a syscall (CLOCK_THREAD_CPUTIME_ID, about 0.3-5 us here), so it is read
    // only at the start and end of a contended run: at most once per task
    // quota. A run with no other group waiting is charged wall time from the
    // vDSO clock the loop reads anyway; its charge cannot cost another group
    // anything, since a group that becomes runnable starts from the virtual
    // time of the groups that kept running (scheduler_queues::make_runnable).
    auto wall = start;
    while (auto g = _queues.pick(wall)) {
        bool contended = _queues.has_runnable();
        auto group_wall = wall;
        std::chrono::nanoseconds group_cpu{0};
        if (contended) {
            group_cpu = thread_cpu_time();
        }
        while (auto t = _queues.pop(*g)) {
            internal::run_task(t);
            // A plain store: only this thread writes the counter.
            _tasks_processed.store(++processed, std::memory_order_relaxed);
            if (need_preempt()) {
                break;
            }
        }
        wall = clock_now();
        auto ran = contended ? thread_cpu_time() - group_cpu
                             : std::chrono::duration_cast<std::chrono::nanoseconds>(wall - group_wall);
        _queues.finish(*g, wall, ran);
        if (need_preempt()) {
            break;
        }
    }
    if (_observer) {
        _observer->end_task_run();
    }
}

void reactor::drain_tasks() noexcept {
    // Bounded: tasks that keep rescheduling themselves forever are left.
    for (int i = 0; i < 1000000; ++i) {
        auto t = _queues.pop_any();
        if (!t) {
            return;
        }
        internal::run_task(t);
    }
}

uint64_t reactor::own_pending_signals() const noexcept {
    uint64_t sigs = pending_signals.load(std::memory_order_relaxed);
    uint64_t mine = 0;
    while (sigs) {
        int signo = std::countr_zero(sigs) + 1;
        sigs &= sigs - 1;
        if (signal_owner[size_t(signo)].load(std::memory_order_relaxed) == this) {
            mine |= signal_bit(signo);
        }
    }
    return mine;
}

bool reactor::deliver_signals() noexcept {
    if (!pending_signals.load(std::memory_order_relaxed)) {
        return false;
    }
    uint64_t mine = own_pending_signals();
    if (!mine) {
        return false; // pending for another shard
    }
    // Take only our own: another shard's signals stay pending for it.
    uint64_t sigs = pending_signals.fetch_and(~mine) & mine;
    while (sigs) {
        int signo = std::countr_zero(sigs) + 1;
        sigs &= sigs - 1;
        if (signo < int(_signals.size()) && _signals[size_t(signo)].handler) {
            schedule(make_lambda_task([this, signo] {
                auto h = _signals[size_t(signo)].handler; // a copy: the handler may replace itself
                h();
            }));
        }
    }
    return true;
}

bool reactor::expire_timers(std::chrono::steady_clock::time_point now) noexcept {
    static_assert(std::is_same_v<steady_clock_type, std::chrono::steady_clock>);
    size_t n = 0;
    auto& steady = internal::local_timer_set<steady_clock_type>();
    if (!steady.empty()) {
        n += steady.expire(now);
    }
    auto& lowres = internal::local_timer_set<lowres_clock>();
    if (!lowres.empty()) {
        n += lowres.expire(lowres_clock::now());
    }
    _stats.timers_fired += n;
    return n != 0;
}

bool reactor::poll_once(std::chrono::steady_clock::time_point now) noexcept {
    lowres_clock::update(now);
    bool work = _backend->poll();
    work |= _syscall_pool.complete_ready();
    work |= deliver_signals();
    work |= expire_timers(now);
    // By index: a poller may unregister itself or another one (a queue
    // destroyed by what it delivered) or register one while it polls.
    for (std::size_t i = 0; i < _pollers.size(); ++i) {
        work |= _pollers[i]->poll();
    }
    return work;
}

bool reactor::work_pending() const noexcept {
    return !_queues.empty() || _syscall_pool.has_completions() || own_pending_signals() || _stopped;
}

void reactor::sleep() noexcept {
    _quota_timer->disarm();
    _sleeping.store(true);
    size_t entered = 0;
    bool can_sleep = !work_pending();
    for (; can_sleep && entered < _pollers.size(); ++entered) {
        can_sleep = _pollers[entered]->try_enter_interrupt_mode();
    }
    if (can_sleep) {
        // After the pollers entered: one may have armed a timer to wake the
        // loop when its work can go on (the I/O queue's token bucket).
        std::optional<std::chrono::nanoseconds> timeout;
        auto now = steady_clock_type::now();
        if (auto e = internal::local_timer_set<steady_clock_type>().next_expiry()) {
            timeout = std::max(*e - now, std::chrono::nanoseconds(0));
        }
        if (auto e = internal::local_timer_set<lowres_clock>().next_expiry()) {
            auto d = std::max(std::chrono::nanoseconds(*e - lowres_clock::now()), std::chrono::nanoseconds(0));
            timeout = timeout ? std::min(*timeout, d) : d;
        }
        ++_stats.sleeps;
        _backend->wait(timeout);
        // What the wait queued became runnable during it, not before it.
        _queues.stamp_runnable(clock_now());
    }
    for (size_t i = 0; i < entered; ++i) {
        _pollers[i]->exit_interrupt_mode();
    }
    _sleeping.store(false, std::memory_order_relaxed);
}

void reactor::wakeup() noexcept {
    if (_sleeping.load()) {
        _backend->wakeup();
    }
}

int reactor::run() noexcept {
    while (!_stopped) {
        // One clock read per turn without tasks, two with: the end of the
        // task run is also the time the poll below fires timers by.
        bool ran = !_queues.empty();
        run_tasks();
        ++_stats.loop_turns;
        if (_stopped) {
            break;
        }
        auto now = ran ? loop_now : clock_now();
        bool work = poll_once(now);
        if (work || !_queues.empty()) {
            _idle_since.reset();
            continue;
        }
        if (_cfg.poll_mode) {
            continue;
        }
        if (!_idle_since) {
            _idle_since = now;
        }
        if (now - *_idle_since < _cfg.idle_poll_time) {
            continue;
        }
        sleep();
        _idle_since.reset();
    }
    _quota_timer->disarm();
    // Continuations that only wait to be scheduled finish, so their memory goes.
    drain_tasks();
    return _return;
}

int reactor::run(std::function<future<int>()> main) noexcept {
    // Kept here until run() returns: a coroutine lambda's frame refers to
    // its closure, which must not move or die while it runs.
    _main = std::move(main);
    schedule(make_lambda_task([this] {
        (void)futurize_invoke(_main).then_wrapped([this](future<int> f) {
            if (f.failed()) {
                reactor_log.error("the main function failed: {}", describe(f.get_exception()));
                exit(1);
            } else {
                exit(f.get());
            }
        });
    }));
    return run();
}

namespace internal {
// Wakes wait_for_stop() callers (defined with reactor_api_state below).
void notify_stop_requested(reactor_api_state& s) noexcept;
} // namespace internal

void reactor::exit(int code) noexcept {
    if (_stopping) {
        return;
    }
    _stopping = true;
    _return = code;
    if (_api) {
        internal::notify_stop_requested(*_api);
    }
    schedule(make_lambda_task([this] { (void)run_exit_funcs().then([this] { _stopped = true; }); }));
}

future<> reactor::run_exit_funcs() noexcept {
    future<> f = make_ready_future<>();
    // The functions stay where they are (a deque does not move its elements)
    // until the reactor goes: a coroutine lambda refers to its closure.
    for (auto it = _exit_funcs.rbegin(); it != _exit_funcs.rend(); ++it) {
        f = std::move(f).then([func = &*it] {
            return futurize_invoke(*func).handle_exception(
                [](std::exception_ptr ex) { reactor_log.error("an at_exit function failed: {}", describe(ex)); });
        });
    }
    return f;
}

void reactor::at_exit(std::function<future<>()> func) {
    if (_stopping) {
        reactor_log.warn("at_exit() during shutdown: the function will not run");
        return;
    }
    _exit_funcs.push_back(std::move(func));
}

void reactor::handle_signal(int signo, std::function<void()> handler) {
    if (signo < 1 || signo > max_signal) {
        throw std::invalid_argument("handle_signal: signal number out of range");
    }
    if (int(_signals.size()) <= signo) {
        _signals.resize(size_t(signo) + 1);
    }
    auto& slot = _signals[signo];
    slot.handler = std::move(handler);
    signal_owner[size_t(signo)].store(this);
    if (!slot.installed) {
        struct sigaction sa{};
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigfillset(&sa.sa_mask);
        if (::sigaction(signo, &sa, &slot.old_action) == -1) {
            throw std::system_error(errno, std::system_category(), "sigaction");
        }
        slot.installed = true;
    }
}

void reactor::register_poller(internal::poller* p) {
    _pollers.push_back(p);
}

void reactor::unregister_poller(internal::poller* p) noexcept {
    std::erase(_pollers, p);
}

scheduling_group_stats reactor::get_scheduling_group_stats(scheduling_group sg) const noexcept {
    return _queues.stats(internal::scheduling_group_index(sg));
}

void reactor::init_scheduling_group(scheduling_group sg) noexcept {
    _queues.init_group(internal::scheduling_group_index(sg));
}

void reactor::destroy_scheduling_group_queue(scheduling_group sg) noexcept {
    // Tasks queued after destroy_scheduling_group() checked the queues still
    // run, in the default group.
    (void)_queues.drop_group(internal::scheduling_group_index(sg));
}

size_t reactor::scheduling_group_queue_length(scheduling_group sg) const noexcept {
    return _queues.queue_length(internal::scheduling_group_index(sg));
}

reactor::stats reactor::get_stats() const noexcept {
    auto s = _stats;
    s.tasks_processed = tasks_processed();
    return s;
}

// ---- Seastar's reactor API: when_started, at_destroy, run_in_background, idle handler,
// idle and busy time. Kept apart from the loop: a poller that records when the loop first
// runs and how long the reactor sleeps, and calls the idle handler before it sleeps. ----

namespace internal {

class reactor_api_state final : public poller {
    reactor& _r;
    std::chrono::steady_clock::time_point _created = std::chrono::steady_clock::now();
    std::chrono::nanoseconds _idle{0};
    std::optional<std::chrono::steady_clock::time_point> _sleep_start;
    bool _started = false;
    std::vector<promise<>> _start_waiters;
    gate _background;
    idle_cpu_handler _idle_handler;
    // at_destroy() functions, run after the at_exit() functions and background work.
    std::deque<noncopyable_function<void()>> _at_destroy;
    // Signalled by exit(): wait_for_stop() waits on it.
    condition_variable _stop_requested;

public:
    explicit reactor_api_state(reactor& r) : _r(r) {
        _r.register_poller(this);
        // Registered first, so it runs after every at_exit() function a program adds.
        _r.at_exit([this]() -> future<> {
            co_await _background.close();
            while (!_at_destroy.empty()) {
                auto func = std::move(_at_destroy.front());
                _at_destroy.pop_front();
                try {
                    func();
                } catch (...) {
                    reactor_log.error("an at_destroy function failed: {}", describe(std::current_exception()));
                }
            }
        });
    }
    ~reactor_api_state() { _r.unregister_poller(this); }

    static reactor_api_state& of(reactor& r) noexcept { return *r._api; }

    bool poll() noexcept override {
        if (!_started) [[unlikely]] {
            _started = true;
            for (auto& p : std::exchange(_start_waiters, {})) {
                p.set_value();
            }
        }
        return false;
    }

    bool try_enter_interrupt_mode() noexcept override {
        if (_idle_handler) {
            noncopyable_function<bool()> work_waiting = [this] { return _r.work_pending(); };
            if (_idle_handler(work_waiting) == idle_cpu_handler_result::interrupted_by_higher_priority_task) {
                return false;
            }
        }
        _sleep_start = std::chrono::steady_clock::now();
        return true;
    }

    void exit_interrupt_mode() noexcept override {
        if (_sleep_start) {
            _idle += std::chrono::steady_clock::now() - *_sleep_start;
            _sleep_start.reset();
        }
    }

    future<> when_started() {
        if (_started) {
            return make_ready_future<>();
        }
        return _start_waiters.emplace_back().get_future();
    }

    void run_in_background(future<> f) {
        if (!_background.try_enter()) {
            // Shutting down: nobody waits any more, but the failure is still reported.
            (void)std::move(f).handle_exception(
                [](std::exception_ptr ex) { reactor_log.error("background work failed: {}", describe(ex)); });
            return;
        }
        (void)std::move(f)
            .handle_exception(
                [](std::exception_ptr ex) { reactor_log.error("background work failed: {}", describe(ex)); })
            .finally([this] { _background.leave(); });
    }

    void at_destroy(noncopyable_function<void()> func) { _at_destroy.push_back(std::move(func)); }

    void set_idle_handler(idle_cpu_handler&& h) { _idle_handler = std::move(h); }

    std::chrono::nanoseconds idle_time() const noexcept {
        auto idle = _idle;
        if (_sleep_start) {
            idle += std::chrono::steady_clock::now() - *_sleep_start;
        }
        return idle;
    }
    std::chrono::nanoseconds lifetime() const noexcept { return std::chrono::steady_clock::now() - _created; }

    future<> wait_for_stop(std::chrono::steady_clock::time_point deadline) {
        return _stop_requested.wait(deadline, [this] { return _r.stopping(); });
    }
    void stop_requested() noexcept { _stop_requested.broadcast(); }
};

void notify_stop_requested(reactor_api_state& s) noexcept {
    s.stop_requested();
}

void reactor_api_state_deleter::operator()(reactor_api_state* s) const noexcept {
    delete s;
}

reactor_api_state* make_reactor_api_state(reactor& r) {
    return new reactor_api_state(r);
}

} // namespace internal

future<> reactor::when_started() {
    return _api->when_started();
}

void reactor::at_destroy_impl(noncopyable_function<void()> func) {
    _api->at_destroy(std::move(func));
}

void reactor::run_in_background(future<> f) {
    _api->run_in_background(std::move(f));
}

future<> reactor::wait_for_stop_until(std::chrono::steady_clock::time_point deadline) {
    return _api->wait_for_stop(deadline);
}

std::chrono::nanoseconds reactor::total_idle_time() const noexcept {
    return _api->idle_time();
}

std::chrono::nanoseconds reactor::total_busy_time() const noexcept {
    return _api->lifetime() - _api->idle_time();
}

void set_idle_cpu_handler(idle_cpu_handler&& handler) {
    internal::reactor_api_state::of(engine()).set_idle_handler(std::move(handler));
}

} // namespace seastar
