// The I/O scheduler: one io_queue per shard per device.
//
// Every disk request of a file goes through its shard's queue for the file's
// device. The queue keeps requests in a fair_queue, one class per scheduling
// group (the group of the task that issued the request), with the group's
// I/O shares (update_io_shares(); by default its CPU shares). A request's
// cost is the device time the disk model (io_properties.hh) predicts for it:
// 1/IOPS + size/bandwidth, by direction. Requests leave the queue for the
// kernel while the device's shared token bucket (shared by every shard on
// the device) grants their cost, fewer than max_in_flight are in flight, and
// the device time of what this queue has in the kernel (each request's cost
// as charged) stays within the in-flight capacity (half the model's latency
// goal). The bucket limits the rate; the capacity limits how deep the
// kernel's queue gets whatever the rate: without it, classes that each keep
// N requests outstanding park them all in the kernel whenever the device
// keeps up with the model, the queue here stays empty, and shares decide
// nothing. Half the goal, because a request that finds the capacity full
// waits here about as long as it then spends in the kernel. When the device
// completes requests later than what was in the kernel with them was
// charged for (by more than a quarter of the capacity on average, beyond the
// device's own latency: see internal::io_flow_controller), the queue charges more per
// request, to the bucket and to the capacity, until it does not: a model
// measured on an idle device then
// still keeps the kernel's queue short under a mix. The measure is the
// device time charged for everything ahead, not the request's own cost, so
// a device whose single request takes longer than its cost (one that needs
// several in flight to reach its bandwidth) is not mistaken for a slow one.
// What the device takes for a request alone comes from probes: every
// io_flow_controller::probe_interval while requests wait here, the queue
// lets the kernel drain, sends one request alone and holds the rest until it
// completes (about one request's time of the device idle in a quarter of a
// second). Without them a load that never lets up would be its own measure.
//
// A device without a configured model (no --io-properties entry) has no
// bucket, as in Seastar: its requests are ordered by shares with the default
// model's costs and limited only by max_in_flight (no in-flight capacity).
//
// Contract:
//   * Shard-local: a queue belongs to the reactor that made it; it is made on
//     first use and stopped at the reactor's exit (queued requests then fail
//     with cancelled_error, requests in flight are waited for).
//   * submit() never throws: errors (the syscall's, cancellation, a
//     stopping shard) come back in the future. EAGAIN from the backend is
//     retried, not reported.
//   * Statistics are this shard's, per group.
//
//     seastar::update_io_shares(batch_group, 100);
//     auto st = seastar::get_io_group_stats(batch_group);
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "seastar/core/fair_queue.hh"
#include "seastar/core/future.hh"
#include "seastar/core/internal/reactor_backend.hh"
#include "seastar/core/io_intent.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/disk/internal/shared_token_bucket.hh"
#include "seastar/disk/io_properties.hh"

namespace seastar {

enum class io_direction { read, write };

// One group's I/O on one shard.
struct io_group_stats {
    uint64_t queued = 0;    // waiting in the queue now
    uint64_t in_flight = 0; // in the kernel now
    uint64_t completed = 0; // finished (successfully or with an error)
    uint64_t cancelled = 0;
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
    // Sums over completed requests: time queued, time in the kernel.
    std::chrono::nanoseconds queue_time{0};
    std::chrono::nanoseconds execution_time{0};
    std::chrono::nanoseconds max_queue_time{0};
    std::chrono::nanoseconds max_execution_time{0};
    float shares = 0;

    io_group_stats& operator+=(const io_group_stats& o) noexcept;
};

class io_queue {
public:
    static constexpr unsigned default_max_in_flight = 128;
    // Once the token bucket refuses a request, the queue dispatches again
    // only when the bucket has room for this fraction of its burst, so
    // requests reach the kernel in batches. Paced one by one as tokens
    // trickled in, a saturating class kept one or two requests in a virtual
    // disk, each submitted alone: its throughput fell by a quarter and its
    // host paused the machine for 15-20 ms every 100 ms, which a latency
    // class next to it took as its p99 (see docs/benchmarks.md). A class's
    // lone request (nothing else of its class queued or in flight) does not
    // wait for the batch, only for the bucket.
    static constexpr int64_t dispatch_batch_fraction = 4;

    // Where dispatched requests go: by default the reactor's backend
    // (engine().submit_io()); tests pass a device they complete by hand.
    using device_fn = std::function<future<size_t>(const internal::io_request&)>;

    // A null `bucket` leaves the device unthrottled.
    io_queue(dev_t dev, disk_model model, std::shared_ptr<internal::shared_token_bucket> bucket,
             unsigned max_in_flight = default_max_in_flight, device_fn device = {});
    ~io_queue();
    io_queue(const io_queue&) = delete;
    io_queue& operator=(const io_queue&) = delete;

    // Queues `req` (its buffers must stay valid until the future resolves)
    // for the current scheduling group; `len` is its size in bytes.
    future<size_t> submit(const internal::io_request& req, io_direction dir, size_t len, io_intent* intent) noexcept;

    // Device nanoseconds the model predicts for a request.
    double request_cost(io_direction dir, size_t len) const noexcept;
    dev_t device() const noexcept { return _dev; }
    const disk_model& model() const noexcept { return _model; }
    // Whether a token bucket (a configured model) limits the device.
    bool throttled() const noexcept { return _bucket != nullptr; }
    // What the model's costs are multiplied by now: above 1 while the device
    // completes requests later than the model predicts (flow control).
    double flow_scale() const noexcept { return _flow.scale(); }
    size_t queued() const noexcept { return _fq.waiters(); }
    unsigned in_flight() const noexcept { return _in_flight; }
    // Device nanoseconds (costs as charged) this queue lets into the kernel
    // at once (0: no limit, unthrottled), and what it has there now.
    double in_flight_capacity() const noexcept { return _capacity; }
    double in_flight_cost() const noexcept { return _in_flight_cost; }
    // Whether a probe holds dispatch back (draining the kernel, or one
    // request alone in it), and how many probes completed.
    bool probing() const noexcept { return _probe != probe_state::none; }
    uint64_t probes() const noexcept { return _probes; }
    io_group_stats get_stats(scheduling_group sg) const noexcept;

    // Dispatches what the bucket and the in-flight limit allow; true if any.
    bool dispatch() noexcept;
    // When dispatch() can next send a queued request, in nanoseconds of
    // std::chrono::steady_clock: nullopt if nothing is queued or the queue
    // waits for a completion (which dispatches by itself), the bucket's
    // refill time if it waits for the bucket, and 0 if it could send now.
    // Lets the reactor sleep while requests are held back.
    std::optional<int64_t> next_dispatch_ns() const noexcept;
    // Fails queued requests with cancelled_error and waits for those in flight.
    future<> stop() noexcept;

private:
    struct request;
    enum class probe_state { none, draining, running };
    dev_t _dev;
    disk_model _model;
    std::shared_ptr<internal::shared_token_bucket> _bucket;
    unsigned _max_in_flight;
    unsigned _in_flight = 0;
    double _capacity;
    double _in_flight_cost = 0;
    device_fn _device;
    internal::io_flow_controller _flow;
    probe_state _probe = probe_state::none;
    uint64_t _probes = 0;
    // Why the last dispatch() left requests queued: the token bucket (then
    // dispatch can go on at _bucket_ready_ns), or the kernel's share (count,
    // capacity, a probe), which a completion frees.
    bool _waits_for_bucket = false;
    int64_t _bucket_ready_ns = 0;
    // The request next in line that the bucket refused is its class's lone
    // one: it may go once it fits, before the batch does.
    bool _lone_waits = false;
    fair_queue _fq;
    std::array<io_group_stats, max_scheduling_groups()> _stats{};
    bool _stopping = false;
    std::unique_ptr<promise<>> _stopped;

    void start(request& r) noexcept;
    void submit_to_backend(request& r) noexcept;
    void complete(request& r, future<size_t> f) noexcept;
    void cancel(request& r) noexcept;
    void ensure_class(unsigned group);
};

// This shard's I/O shares for `sg`: set by update_io_shares(), else the
// group's CPU shares.
float get_io_shares(scheduling_group sg) noexcept;
// Sets this shard's I/O shares for `sg` (raised to at least 1); applies to
// requests queued from now on and to the group's place in every queue.
void update_io_shares(scheduling_group sg, float shares) noexcept;
// This shard's statistics for `sg`, summed over its devices.
io_group_stats get_io_group_stats(scheduling_group sg) noexcept;

namespace internal {

// This shard's queue for device `dev`, made on first use. Reactor thread.
io_queue& get_io_queue(dev_t dev);

} // namespace internal

} // namespace seastar
