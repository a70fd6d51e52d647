// Start-up, message queues, the per-shard poller and the shutdown of smp::run().
//
// Shutdown, in order (all shards keep polling their queues until the last step):
//   1. shard 0's main resolves (or exit() / a signal): shard 0's at_exit functions run;
//      the last of them (registered first, by smp::run) drives the rest;
//   2. every other shard is asked to exit and reports back once its own at_exit functions
//      are done (its reactor keeps running, parked in its last at_exit function);
//   3. the alien queues close, then shard 0 waits for quiescence: two consecutive waves over
//      all shards that see the same, balanced counts of requests sent and completed and no
//      alien work pending (the four-counter method: then no message was in flight between
//      the waves, and no shard had work that could send one);
//   4. the shards are released (a flag and a wake-up, no message that would need a reply),
//      their reactors stop; each thread waits for all the others before it destroys its
//      reactor, so a late wake-up never reaches a destroyed reactor.
#include "seastar/core/smp.hh"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <deque>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>

#include "seastar/core/alien.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/internal/reactor_stall_observer.hh"
#include "seastar/core/internal/scheduler_groups.hh"
#include "seastar/core/reactor.hh"
#include "seastar/memory/memory.hh"
#include "seastar/smp/internal/pointer_ring.hh"
#include "seastar/smp/internal/topology.hh"
#include "seastar/util/later.hh"
#include "seastar/util/log.hh"

namespace seastar {

shard_id smp::count = 1;

namespace {

logger smp_log("smp");

constexpr size_t queue_capacity = 1024;
// Items handled per queue per poll, so one busy peer cannot starve the others.
constexpr size_t batch_limit = 256;

constinit thread_local shard_id local_shard = 0;
constinit thread_local bool local_is_shard = false;

// One ordered pair (from -> to): requests flow from `from` to `to`, replies back.
struct channel {
    explicit channel() : requests(queue_capacity), replies(queue_capacity) {}
    internal::pointer_ring<internal::smp_message> requests;
    internal::pointer_ring<internal::smp_message> replies;
};

// Owned by one shard's thread (apart from the atomics).
struct alignas(128) shard_state {
    reactor* engine = nullptr;
    // Collected during the loop turn, published by the poller.
    std::vector<std::vector<internal::smp_message*>> out_requests; // by destination
    std::vector<std::vector<internal::smp_message*>> out_replies;  // by requester
    size_t out_pending = 0;
    uint64_t sent = 0;      // counted requests this shard sent
    uint64_t completed = 0; // ... and got replies for
    uint64_t alien_in_flight = 0;
    // Shutdown, step 2 and 4.
    std::optional<promise<>> at_exit_done;
    std::optional<future<>> at_exit_done_future;
    promise<> release_pr;
    std::atomic<bool> release{false};
    // Alien work for this shard (any thread pushes under g_alien_mutex).
    std::deque<std::unique_ptr<alien::internal::alien_work>> alien_queue;
    std::atomic<bool> alien_pending{false};
};

struct smp_state {
    explicit smp_state(unsigned n) : nr(n), shards(n), channels(size_t(n) * n) {
        for (unsigned i = 0; i < n; ++i) {
            shards[i].out_requests.resize(n);
            shards[i].out_replies.resize(n);
            for (unsigned j = 0; j < n; ++j) {
                if (i != j) {
                    channels[size_t(i) * n + j] = std::make_unique<channel>();
                }
            }
        }
    }
    channel& chan(shard_id from, shard_id to) noexcept { return *channels[size_t(from) * nr + to]; }

    const unsigned nr;
    std::vector<shard_state> shards;
    std::vector<std::unique_ptr<channel>> channels;
    std::vector<unsigned> cpus;
    smp_options opts;
    bool memory_bound = false;
    std::atomic<bool> start_failed{false};
    std::latch started{nr};
    std::latch stopped{nr};
    std::exception_ptr start_error;
    std::mutex start_error_mutex;
};

smp_state* g_state = nullptr; // set before shard threads start, cleared after they are joined
// Alien threads reach the shards only under this mutex, and only while g_alien_open: the
// engines they wake are alive then.
std::mutex g_alien_mutex;
bool g_alien_open = false;
std::vector<unsigned> g_no_cpus;

void wake(shard_id to) noexcept {
    // Pairs with the fence in try_enter_interrupt_mode(): either the sleeper sees what we
    // published, or we see that it sleeps and wake it (reactor::wakeup reads its flag).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    g_state->shards[to].engine->wakeup();
}

class smp_poller final : public internal::poller {
    smp_state& _st;
    const shard_id _id;
    shard_state& _me;

public:
    smp_poller(smp_state& st, shard_id id) : _st(st), _id(id), _me(st.shards[id]) {}

    bool poll() noexcept override {
        bool work = false;
        for (shard_id peer = 0; peer < _st.nr; ++peer) {
            if (peer == _id) {
                continue;
            }
            work |= _st.chan(peer, _id).requests.consume([](internal::smp_message* m) noexcept { m->process(); },
                                                         batch_limit) != 0;
            work |= _st.chan(_id, peer).replies.consume(
                        [this](internal::smp_message* m) noexcept {
                            if (!m->_uncounted) {
                                ++_me.completed;
                            }
                            m->complete();
                        },
                        batch_limit) != 0;
        }
        if (_me.alien_pending.load(std::memory_order_acquire)) {
            work |= run_alien();
        }
        if (_me.release.load(std::memory_order_acquire)) {
            _me.release.store(false, std::memory_order_relaxed);
            _me.release_pr.set_value();
            work = true;
        }
        work |= flush();
        memory::drain_cross_shard_frees();
        return work;
    }

    bool try_enter_interrupt_mode() noexcept override {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (_me.out_pending || _me.alien_pending.load(std::memory_order_relaxed) ||
            _me.release.load(std::memory_order_relaxed)) {
            return false;
        }
        for (shard_id peer = 0; peer < _st.nr; ++peer) {
            if (peer != _id && (!_st.chan(peer, _id).requests.empty() || !_st.chan(_id, peer).replies.empty())) {
                return false;
            }
        }
        return true;
    }

    // Publishes what this loop turn produced; what does not fit stays for the next turn.
    bool flush() noexcept {
        if (!_me.out_pending) {
            return false;
        }
        for (shard_id peer = 0; peer < _st.nr; ++peer) {
            if (peer == _id) {
                continue;
            }
            bool pushed = push(_me.out_requests[peer], _st.chan(_id, peer).requests);
            pushed |= push(_me.out_replies[peer], _st.chan(peer, _id).replies);
            if (pushed) {
                wake(peer);
            }
        }
        return true;
    }

private:
    bool push(std::vector<internal::smp_message*>& v, internal::pointer_ring<internal::smp_message>& q) noexcept {
        if (v.empty()) {
            return false;
        }
        size_t n = q.push(v.data(), v.size());
        _me.out_pending -= n;
        if (n == v.size()) {
            v.clear();
        } else {
            v.erase(v.begin(), v.begin() + ptrdiff_t(n));
        }
        return n != 0;
    }

    bool run_alien() noexcept {
        std::deque<std::unique_ptr<alien::internal::alien_work>> items;
        {
            std::lock_guard<std::mutex> g(g_alien_mutex);
            items.swap(_me.alien_queue);
            _me.alien_pending.store(false, std::memory_order_relaxed);
        }
        for (auto& w : items) {
            ++_me.alien_in_flight;
            auto* raw = w.release();
            (void)raw->run().then_wrapped([this, raw](future<> f) noexcept {
                f.ignore_ready_future();
                delete raw;
                --_me.alien_in_flight;
            });
        }
        return !items.empty();
    }
};

// What at_final_exit() registered on this shard, run last-in first-out.
thread_local std::vector<std::function<future<>()>> final_exits;

future<> run_final_exits() {
    while (!final_exits.empty()) {
        auto f = std::move(final_exits.back());
        final_exits.pop_back();
        try {
            co_await futurize_invoke(f);
        } catch (const std::exception& e) {
            smp_log.error("a final exit function failed: {}", e.what());
        } catch (...) {
            smp_log.error("a final exit function failed (not a std::exception)");
        }
    }
}

// A request whose reply is not counted (the shutdown's own messages).
template <typename Func>
auto submit_uncounted(shard_id t, Func&& func) {
    using F = std::decay_t<Func>;
    auto* item = new internal::smp_submit_item<F>(F(std::forward<Func>(func)));
    auto f = item->get_future();
    item->_from = this_shard_id();
    item->_uncounted = true;
    internal::smp_send(t, item);
    return f;
}

struct counts {
    uint64_t sent = 0;
    uint64_t completed = 0;
    bool busy = false;
    bool operator==(const counts&) const = default;
};

counts local_counts() {
    auto& me = g_state->shards[local_shard];
    counts c{me.sent, me.completed, me.alien_in_flight != 0 || me.alien_pending.load()};
    return c;
}

future<counts> wave() {
    counts total = local_counts();
    for (shard_id s = 1; s < g_state->nr; ++s) {
        auto c = co_await submit_uncounted(s, [] { return local_counts(); });
        total.sent += c.sent;
        total.completed += c.completed;
        total.busy |= c.busy;
    }
    co_return total;
}

// Shard 0's last at_exit function: steps 2-4 of the shutdown.
future<> shut_down_others() {
    smp_state& st = *g_state;
    std::vector<future<>> acks;
    for (shard_id s = 1; s < st.nr; ++s) {
        acks.push_back(submit_uncounted(s, [] {
            engine().exit(0);
            auto& me = g_state->shards[local_shard];
            return std::move(*me.at_exit_done_future);
        }));
    }
    for (auto& f : acks) {
        co_await std::move(f);
    }
    // Every shard's exit functions are done; now the final ones, on all shards at once.
    std::vector<future<>> finals;
    finals.push_back(run_final_exits());
    for (shard_id s = 1; s < st.nr; ++s) {
        finals.push_back(submit_uncounted(s, [] { return run_final_exits(); }));
    }
    for (auto& f : finals) {
        co_await std::move(f);
    }
    {
        std::lock_guard<std::mutex> g(g_alien_mutex);
        g_alien_open = false;
    }
    std::optional<counts> prev;
    for (;;) {
        auto c = co_await wave();
        if (!c.busy && c.sent == c.completed && prev && *prev == c) {
            break;
        }
        prev = c;
        co_await later();
    }
    for (shard_id s = 1; s < st.nr; ++s) {
        st.shards[s].release.store(true, std::memory_order_release);
        wake(s);
    }
}

size_t default_memory() noexcept {
    auto pages = ::sysconf(_SC_PHYS_PAGES);
    auto page = ::sysconf(_SC_PAGESIZE);
    size_t phys = pages > 0 && page > 0 ? size_t(pages) * size_t(page) : size_t(4) << 30;
    size_t reserve = std::max(phys / 100 * 7, size_t(1536) << 20);
    return phys > 2 * reserve ? phys - reserve : phys / 2;
}

void record_start_error(smp_state& st, std::exception_ptr ex) noexcept {
    std::lock_guard<std::mutex> g(st.start_error_mutex);
    if (!st.start_error) {
        st.start_error = std::move(ex);
    }
    st.start_failed.store(true);
}

// The life of one shard's thread (shard 0: the caller of smp::run).
void run_shard(smp_state& st, shard_id id, std::function<future<int>()>* main, int* code) noexcept {
    bool bound = false;
    // Shard 0 is the caller's thread: give it back its CPUs when the shards stop.
    cpu_set_t saved_affinity;
    bool restore_affinity = id == 0 && !st.opts.overprovisioned &&
                            ::pthread_getaffinity_np(::pthread_self(), sizeof(saved_affinity), &saved_affinity) == 0;
    local_shard = id;
    local_is_shard = true;
    std::unique_ptr<reactor> r;
    std::unique_ptr<smp_poller> p;
    std::unique_ptr<internal::reactor_stall_observer> stalls;
    try {
        if (!st.opts.overprovisioned) {
            auto status = internal::pin_this_thread(st.cpus[id]);
            if (!status.ok()) {
                throw std::runtime_error(fmt::format("shard {}: {}", id, std::string(status.message())));
            }
        }
        if (st.memory_bound && id < memory::nr_shards()) {
            memory::internal::init_shard(id);
            bound = true;
        }
        reactor_config cfg = st.opts.reactor;
        cfg.shard_id = id;
        if (id != 0) {
            cfg.handle_sigint_sigterm = false;
        }
        if (st.opts.overprovisioned) {
            cfg.idle_poll_time = std::chrono::nanoseconds(0);
            cfg.poll_mode = false;
        }
        r = std::make_unique<reactor>(cfg);
        if (st.opts.detect_stalls) {
            stalls = std::make_unique<internal::reactor_stall_observer>(*r);
        }
        p = std::make_unique<smp_poller>(st, id);
        r->register_poller(p.get());
        auto& me = st.shards[id];
        me.engine = r.get();
        for (auto& v : me.out_requests) {
            v.reserve(queue_capacity);
        }
        for (auto& v : me.out_replies) {
            v.reserve(queue_capacity);
        }
    } catch (...) {
        record_start_error(st, std::current_exception());
    }
    st.started.arrive_and_wait();
    if (!st.start_failed.load()) {
        auto& me = st.shards[id];
        if (id == 0) {
            {
                std::lock_guard<std::mutex> g(g_alien_mutex);
                g_alien_open = true;
            }
            // Registered first, so it runs after every other at_exit function of shard 0.
            r->at_exit([] { return shut_down_others(); });
            *code = r->run(std::move(*main));
        } else {
            me.at_exit_done.emplace();
            me.at_exit_done_future.emplace(me.at_exit_done->get_future());
            r->at_exit([&me] {
                me.at_exit_done->set_value();
                return me.release_pr.get_future();
            });
            r->run();
        }
    }
    // Nobody may wake a destroyed reactor: wait until every loop has stopped.
    st.stopped.arrive_and_wait();
    final_exits.clear(); // left over only if the shutdown never reached them
    stalls.reset();
    if (r) {
        r->unregister_poller(p.get());
        r.reset();
    }
    p.reset();
    local_is_shard = false;
    local_shard = 0;
    if (bound) {
        memory::internal::release_shard();
    }
    if (restore_affinity) {
        ::pthread_setaffinity_np(::pthread_self(), sizeof(saved_affinity), &saved_affinity);
    }
}

size_t leftover_messages(smp_state& st) noexcept {
    size_t n = 0;
    for (auto& c : st.channels) {
        if (c) {
            n += c->requests.size() + c->replies.size();
        }
    }
    for (auto& s : st.shards) {
        n += s.out_pending;
    }
    return n;
}

} // namespace

shard_id this_shard_id() noexcept {
    return local_shard;
}

namespace internal {

bool smp_running_here() noexcept {
    return local_is_shard;
}

void at_final_exit(std::function<future<>()> f) {
    if (!local_is_shard) {
        engine().at_exit(std::move(f));
        return;
    }
    final_exits.push_back(std::move(f));
}

void smp_send(shard_id to, smp_message* m) noexcept {
    auto& me = g_state->shards[local_shard];
    if (!m->_uncounted) {
        ++me.sent;
    }
    me.out_requests[to].push_back(m);
    ++me.out_pending;
}

void smp_reply(smp_message* m) noexcept {
    auto& me = g_state->shards[local_shard];
    me.out_replies[m->_from].push_back(m);
    ++me.out_pending;
}

} // namespace internal

namespace alien::internal {

void submit(shard_id shard, std::unique_ptr<alien_work> w) {
    std::lock_guard<std::mutex> g(g_alien_mutex);
    if (!g_alien_open) {
        throw std::runtime_error("alien: the shards are not running");
    }
    if (shard >= g_state->nr) {
        throw std::invalid_argument("alien: no such shard");
    }
    auto& s = g_state->shards[shard];
    s.alien_queue.push_back(std::move(w));
    s.alien_pending.store(true, std::memory_order_release);
    wake(shard);
}

} // namespace alien::internal

const std::vector<unsigned>& smp::shard_cpus() noexcept {
    return g_state ? g_state->cpus : g_no_cpus;
}

int smp::run(const smp_options& opts, std::function<future<int>()> main) {
    if (g_state) {
        throw std::logic_error("smp::run: already running");
    }
    auto topo = internal::topology::discover();
    if (!topo.ok()) {
        throw std::runtime_error(std::string(topo.status().message()));
    }
    absl::StatusOr<internal::cpuset> allowed =
        opts.cpuset.empty() ? internal::current_affinity() : internal::parse_cpuset(opts.cpuset);
    if (!allowed.ok()) {
        throw std::invalid_argument(std::string(allowed.status().message()));
    }
    auto placement = internal::allocate_cpus(*topo, *allowed, opts.smp, opts.overprovisioned);
    if (!placement.ok()) {
        throw std::invalid_argument(std::string(placement.status().message()));
    }
    unsigned n = unsigned(placement->size());
    auto st = std::make_unique<smp_state>(n);
    st->opts = opts;
    std::vector<int> nodes;
    for (auto& p : *placement) {
        st->cpus.push_back(p.cpu);
        nodes.push_back(int(p.numa_node));
    }
    if (!memory::is_configured()) {
        try {
            memory::configure(opts.memory.value_or(default_memory()), n,
                              topo->nr_numa_nodes() > 1 ? nodes : std::vector<int>{});
        } catch (const std::logic_error& e) {
            throw std::invalid_argument(fmt::format("smp::run: memory: {}", e.what()));
        }
    }
    st->memory_bound = memory::is_configured();

    g_state = st.get();
    smp::count = n;
    // Scheduling groups exist on every shard with the same identity: their
    // per-shard steps (queues, per-group values) run on all shards.
    internal::set_scheduling_group_broadcaster(
        [](std::function<void()> step) { return smp::invoke_on_all([step = std::move(step)] { step(); }); });
    int code = 1;
    std::vector<std::thread> threads;
    for (shard_id id = 1; id < n; ++id) {
        try {
            threads.emplace_back([s = st.get(), id] { run_shard(*s, id, nullptr, nullptr); });
        } catch (...) {
            // The threads that did start wait for all n at the latches: stand in for the rest.
            record_start_error(*st, std::current_exception());
            for (shard_id rest = id; rest < n; ++rest) {
                st->started.count_down();
                st->stopped.count_down();
            }
            break;
        }
    }
    run_shard(*st, 0, &main, &code);
    for (auto& t : threads) {
        t.join();
    }
    internal::set_scheduling_group_broadcaster(nullptr);
    {
        std::lock_guard<std::mutex> g(g_alien_mutex);
        g_alien_open = false;
    }
    if (auto left = leftover_messages(*st)) {
        // Sent after the shutdown found every shard quiet (by background work that outlived
        // it); their shards are gone, so they can neither run nor complete.
        smp_log.error("{} cross-shard messages were sent after shutdown and dropped", left);
    }
    g_state = nullptr;
    smp::count = 1;
    if (st->start_failed.load()) {
        auto ex = st->start_error;
        if (leftover_messages(*st)) {
            (void)st.release();
        }
        std::rethrow_exception(ex);
    }
    if (leftover_messages(*st)) {
        (void)st.release(); // see above: the items cannot be destroyed safely
    }
    return code;
}

} // namespace seastar
