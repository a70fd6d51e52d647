#include "seastar/core/io_queue.hh"

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <system_error>
#include <unordered_map>
#include <utility>

#include <sys/sysmacros.h>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/timer.hh"
#include "seastar/disk/internal/shared_token_bucket.hh"
#include "seastar/util/later.hh"
#include "seastar/util/log.hh"

namespace seastar {

namespace {

logger io_log("io");

int64_t ns_since_epoch(std::chrono::steady_clock::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

int64_t now_ns() noexcept {
    return ns_since_epoch(std::chrono::steady_clock::now());
}

bool is_eagain(const std::exception_ptr& ex) noexcept {
    try {
        std::rethrow_exception(ex);
    } catch (const std::system_error& e) {
        return e.code().value() == EAGAIN && e.code().category() == std::system_category();
    } catch (...) {
    }
    return false;
}

// This shard's queues, the poller that dispatches them and the I/O shares
// set on this shard.
struct shard_io final : internal::poller {
    reactor* owner = nullptr;
    std::unordered_map<dev_t, std::unique_ptr<io_queue>> queues;
    std::array<float, max_scheduling_groups()> shares{}; // 0: not set, use CPU shares
    bool registered = false;

    bool poll() noexcept override {
        bool any = false;
        for (auto& [dev, q] : queues) {
            if (q->queued()) {
                any = q->dispatch() || any;
            }
        }
        return any;
    }
    // Requests held back wait for a completion (which wakes the loop and
    // dispatches them) or for the token bucket: then a timer wakes the loop
    // when a batch fits, rather than the loop spinning until then (with
    // --idle-poll-time-us 0, a saturating writer's reactor spent 0.2 s of
    // user CPU in 3 s instead of 1.7 s). The timer only bounds the sleep:
    // it is armed only during one and cancelled when it ends, before the
    // loop fires timers, so its callback does nothing (the poll after the
    // sleep dispatches).
    timer<> wake{scheduling_group(), [] {}};
    bool try_enter_interrupt_mode() noexcept override {
        std::optional<int64_t> earliest;
        for (auto& [dev, q] : queues) {
            if (auto t = q->next_dispatch_ns()) {
                earliest = earliest ? std::min(*earliest, *t) : *t;
            }
        }
        if (!earliest) {
            return true;
        }
        auto at = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(*earliest));
        if (at <= std::chrono::steady_clock::now()) {
            return false;
        }
        try {
            wake.arm(at);
        } catch (...) {
            return false; // no memory for the timer: keep polling
        }
        return true;
    }
    void exit_interrupt_mode() noexcept override { wake.cancel(); }

    // Starts over for reactor `r`: the queues of a reactor that is gone
    // without stopping them (it never ran its exit functions) are dropped;
    // nothing of theirs can still be in flight.
    void adopt(reactor* r) noexcept {
        queues.clear();
        registered = false;
        owner = r;
        shares = {};
    }
};

thread_local shard_io this_shard_io;

} // namespace

namespace internal {

std::shared_ptr<shared_token_bucket> device_token_bucket(dev_t dev, int64_t burst_ns) {
    static std::mutex m;
    static std::map<dev_t, std::weak_ptr<shared_token_bucket>> buckets;
    std::lock_guard lock(m);
    auto& w = buckets[dev];
    auto b = w.lock();
    if (!b) {
        b = std::make_shared<shared_token_bucket>(burst_ns);
        w = b;
    }
    return b;
}

io_queue& get_io_queue(dev_t dev) {
    auto& s = this_shard_io;
    auto& r = engine();
    if (s.owner != &r) {
        s.adopt(&r);
    }
    auto it = s.queues.find(dev);
    if (it != s.queues.end()) {
        return *it->second;
    }
    bool found = false;
    auto model = io_properties_for_device(dev, found);
    std::shared_ptr<shared_token_bucket> bucket;
    if (found) {
        bucket = device_token_bucket(dev, std::chrono::nanoseconds(model.latency_goal).count());
    } else {
        // As in Seastar, a device nobody measured is not throttled: a guessed
        // rate would hold a fast device below what it does. Requests are still
        // ordered by I/O shares, up to max_in_flight in the kernel.
        static std::mutex m;
        static std::map<dev_t, bool> logged;
        std::lock_guard lock(m);
        if (!logged[dev]) {
            logged[dev] = true;
            io_log.info("no io_properties for device {}:{}: its requests are ordered by I/O shares, not throttled "
                        "(tools/iotune writes a model; pass it with --io-properties-file)",
                        major(dev), minor(dev));
        }
    }
    auto q = std::make_unique<io_queue>(dev, std::move(model), std::move(bucket));
    auto& ref = *q;
    s.queues.emplace(dev, std::move(q));
    if (!s.registered) {
        s.registered = true;
        r.register_poller(&s);
        r.at_exit([&s, rp = &r]() -> future<> {
            if (s.owner != rp) {
                co_return;
            }
            for (auto& [d, q] : s.queues) {
                co_await q->stop();
            }
            rp->unregister_poller(&s);
            s.queues.clear();
            s.registered = false;
            s.owner = nullptr;
        });
    }
    return ref;
}

} // namespace internal

io_group_stats& io_group_stats::operator+=(const io_group_stats& o) noexcept {
    queued += o.queued;
    in_flight += o.in_flight;
    completed += o.completed;
    cancelled += o.cancelled;
    bytes_read += o.bytes_read;
    bytes_written += o.bytes_written;
    queue_time += o.queue_time;
    execution_time += o.execution_time;
    max_queue_time = std::max(max_queue_time, o.max_queue_time);
    max_execution_time = std::max(max_execution_time, o.max_execution_time);
    return *this;
}

struct io_queue::request final : fair_queue_entry, internal::cancellable_queue_entry {
    io_queue* q;
    internal::io_request req;
    promise<size_t> pr;
    unsigned group;
    io_direction dir;
    size_t len;
    std::chrono::steady_clock::time_point queued_at;
    std::chrono::steady_clock::time_point dispatched_at;
    // The cost as charged at dispatch (scaled by flow control), returned to
    // the in-flight capacity at completion, and the charged cost of what was
    // in the kernel with it (itself included): how long it should take there
    // if the device is as fast as charged.
    double charged = 0;
    double ahead = 0;
    // Sent alone into an empty kernel to measure the device's own latency.
    bool probe = false;

    request(io_queue* q, const internal::io_request& req, unsigned group, io_direction dir, size_t len, double cost)
        : fair_queue_entry(cost), q(q), req(req), group(group), dir(dir), len(len),
          queued_at(std::chrono::steady_clock::now()) {}
    void cancel() noexcept override { q->cancel(*this); }
};

namespace {

// A model that leaves the latency goal to the process (zero) gets it now.
disk_model with_latency_goal(disk_model m) {
    if (m.latency_goal.count() == 0) {
        m.latency_goal = io_latency_goal();
    }
    return m;
}

} // namespace

io_queue::io_queue(dev_t dev, disk_model model, std::shared_ptr<internal::shared_token_bucket> bucket,
                   unsigned max_in_flight, device_fn device)
    : _dev(dev), _model(with_latency_goal(std::move(model))), _bucket(std::move(bucket)),
      _max_in_flight(std::max(max_in_flight, 1u)),
      _capacity(_bucket ? double(std::chrono::nanoseconds(_model.latency_goal).count()) / 2 : 0),
      _device(std::move(device)), _flow(int64_t(_capacity)) {}

io_queue::~io_queue() = default;

double io_queue::request_cost(io_direction dir, size_t len) const noexcept {
    auto iops = double(dir == io_direction::read ? _model.read_iops : _model.write_iops);
    auto bw = double(dir == io_direction::read ? _model.read_bandwidth : _model.write_bandwidth);
    return 1e9 / std::max(iops, 1.0) + 1e9 * double(len) / std::max(bw, 1.0);
}

void io_queue::ensure_class(unsigned group) {
    auto shares = double(get_io_shares(internal::scheduling_group_from_index(group)));
    if (!_fq.is_registered(group)) {
        _fq.register_priority_class(group, shares);
    } else if (_fq.shares(group) != shares) {
        _fq.update_shares_for_class(group, shares);
    }
}

future<size_t> io_queue::submit(const internal::io_request& req, io_direction dir, size_t len,
                                io_intent* intent) noexcept {
    if (intent && intent->cancelled()) {
        return make_exception_future<size_t>(cancelled_error());
    }
    if (_stopping) {
        return make_exception_future<size_t>(cancelled_error());
    }
    request* r;
    try {
        auto group = internal::current_scheduling_group_index;
        ensure_class(group);
        r = new request(this, req, group, dir, len, request_cost(dir, len));
        _fq.queue(group, *r);
    } catch (...) {
        return make_exception_future<size_t>(std::current_exception());
    }
    auto f = r->pr.get_future();
    _stats[r->group].queued++;
    if (intent) {
        intent->enqueue(*r);
    }
    dispatch();
    return f;
}

bool io_queue::dispatch() noexcept {
    auto now = now_ns();
    if (_bucket && _probe == probe_state::none && _fq.waiters() && _flow.probe_due(now)) {
        _probe = probe_state::draining;
    }
    if (_probe == probe_state::running || (_probe == probe_state::draining && _in_flight)) {
        return false;
    }
    // Draining done: the next request goes alone.
    bool probe = _probe == probe_state::draining;
    // Until a batch fits, only a class's lone request (nothing else of its
    // class queued or in flight: a latency-sensitive read, say) may go.
    bool holding = _waits_for_bucket && now < _bucket_ready_ns;
    if (!holding) {
        _waits_for_bucket = false;
    }
    auto scale = _flow.scale();
    _lone_waits = false;
    auto n = _fq.dispatch_requests(
        [&](fair_queue_entry& e) {
            if (_in_flight >= _max_in_flight || _probe == probe_state::running) {
                return false;
            }
            if (!_bucket) {
                return true;
            }
            auto& st = _stats[static_cast<request&>(e).group];
            bool lone = !st.in_flight && st.queued == 1;
            if (holding && !lone) {
                return false;
            }
            auto charged = e.cost() * scale;
            // A request larger than the capacity still goes to an empty kernel.
            if (_in_flight_cost > 0 && _in_flight_cost + charged > _capacity) {
                return false;
            }
            if (!_bucket->try_grab(int64_t(charged), now)) {
                // Refused: go on once a batch fits, not each request alone
                // as soon as it fits (see dispatch_batch_fraction).
                if (!holding) {
                    _waits_for_bucket = true;
                    _bucket_ready_ns = _bucket->ready_at() + _bucket->burst() / dispatch_batch_fraction;
                }
                _lone_waits = lone;
                return false;
            }
            static_cast<request&>(e).charged = charged;
            return true;
        },
        [&](fair_queue_entry& e) {
            auto& r = static_cast<request&>(e);
            if (probe) {
                r.probe = true;
                _probe = probe_state::running;
            }
            start(r);
        });
    return n != 0;
}

std::optional<int64_t> io_queue::next_dispatch_ns() const noexcept {
    if (!_fq.waiters() || _stopping) {
        return std::nullopt;
    }
    if (_probe == probe_state::running || _in_flight >= _max_in_flight) {
        return std::nullopt;
    }
    if (_probe == probe_state::draining) {
        return _in_flight ? std::nullopt : std::optional<int64_t>(0);
    }
    if (_waits_for_bucket) {
        // A lone request next in line may go as soon as it fits, the rest
        // once a batch does.
        return _lone_waits ? std::min(_bucket_ready_ns, _bucket->ready_at()) : _bucket_ready_ns;
    }
    // Held by the in-flight capacity, which only a completion frees.
    return _in_flight ? std::nullopt : std::optional<int64_t>(0);
}

void io_queue::start(request& r) noexcept {
    r.unlink();
    ++_in_flight;
    _in_flight_cost += r.charged;
    r.ahead = _in_flight_cost;
    auto& st = _stats[r.group];
    st.queued--;
    st.in_flight++;
    r.dispatched_at = std::chrono::steady_clock::now();
    auto waited = std::chrono::duration_cast<std::chrono::nanoseconds>(r.dispatched_at - r.queued_at);
    st.queue_time += waited;
    st.max_queue_time = std::max(st.max_queue_time, waited);
    submit_to_backend(r);
}

void io_queue::submit_to_backend(request& r) noexcept {
    (void)futurize_invoke([this, &r] {
        return _device ? _device(r.req) : engine().submit_io(r.req);
    }).then_wrapped([this, &r](future<size_t> f) {
        if (f.failed()) {
            auto ex = f.get_exception();
            if (is_eagain(ex)) {
                // The kernel's queue is full: try again once the loop turned.
                (void)yield().then([this, &r] { submit_to_backend(r); });
                return;
            }
            complete(r, make_exception_future<size_t>(std::move(ex)));
            return;
        }
        complete(r, std::move(f));
    });
}

void io_queue::complete(request& r, future<size_t> f) noexcept {
    --_in_flight;
    // Summing doubles leaves dust: an empty kernel holds nothing.
    _in_flight_cost = _in_flight ? std::max(_in_flight_cost - r.charged, 0.0) : 0.0;
    auto& st = _stats[r.group];
    st.in_flight--;
    st.completed++;
    auto now = std::chrono::steady_clock::now();
    auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(now - r.dispatched_at);
    st.execution_time += took;
    st.max_execution_time = std::max(st.max_execution_time, took);
    if (r.probe) {
        _flow.on_probe(took.count() - int64_t(r.charged), ns_since_epoch(now));
        _probe = probe_state::none;
        ++_probes;
    } else if (_bucket) {
        _flow.on_completion(took.count() - int64_t(r.ahead), ns_since_epoch(now));
    }
    if (f.failed()) {
        r.pr.set_exception(f.get_exception());
    } else {
        auto n = f.get();
        (r.dir == io_direction::read ? st.bytes_read : st.bytes_written) += n;
        r.pr.set_value(n);
    }
    delete &r;
    if (_stopping) {
        if (!_in_flight && _stopped) {
            _stopped->set_value();
            _stopped.reset();
        }
        return;
    }
    dispatch();
}

void io_queue::cancel(request& r) noexcept {
    _fq.notify_request_cancelled(r);
    auto& st = _stats[r.group];
    st.queued--;
    st.cancelled++;
    r.pr.set_exception(cancelled_error());
    delete &r;
}

future<> io_queue::stop() noexcept {
    _stopping = true;
    // Cancel everything still queued, in any class.
    while (_fq.waiters()) {
        _fq.dispatch_requests([](fair_queue_entry&) { return true; },
                              [this](fair_queue_entry& e) {
                                  auto& r = static_cast<request&>(e);
                                  r.unlink();
                                  auto& st = _stats[r.group];
                                  st.queued--;
                                  st.cancelled++;
                                  r.pr.set_exception(cancelled_error());
                                  delete &r;
                              });
    }
    if (!_in_flight) {
        return make_ready_future<>();
    }
    _stopped = std::make_unique<promise<>>();
    return _stopped->get_future();
}

io_group_stats io_queue::get_stats(scheduling_group sg) const noexcept {
    auto st = _stats[internal::scheduling_group_index(sg)];
    st.shares = get_io_shares(sg);
    return st;
}

float get_io_shares(scheduling_group sg) noexcept {
    auto idx = internal::scheduling_group_index(sg);
    auto s = this_shard_io.owner == (engine_is_ready() ? &engine() : nullptr) ? this_shard_io.shares[idx] : 0.0f;
    return s > 0 ? s : internal::scheduling_group_shares(idx);
}

void update_io_shares(scheduling_group sg, float shares) noexcept {
    auto& s = this_shard_io;
    if (engine_is_ready() && s.owner != &engine()) {
        s.adopt(&engine());
    }
    s.shares[internal::scheduling_group_index(sg)] = std::max(shares, 1.0f);
}

io_group_stats get_io_group_stats(scheduling_group sg) noexcept {
    io_group_stats total;
    auto& s = this_shard_io;
    if (engine_is_ready() && s.owner == &engine()) {
        for (auto& [dev, q] : s.queues) {
            total += q->get_stats(sg);
        }
    }
    total.shares = get_io_shares(sg);
    return total;
}

} // namespace seastar
