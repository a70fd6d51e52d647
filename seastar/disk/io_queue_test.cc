// The I/O queue: cancellation through io_intent, stopping with requests
// queued and in flight, dispatch order between scheduling groups by their
// I/O shares (counted, not timed), per-group statistics, dispatch in
// batches when the token bucket refuses (and the reactor asleep meanwhile), the io_properties
// model reaching the queue of a device, a device without a model left
// unthrottled, flow control charging a device slower than its model, and the
// in-flight capacity: classes that each keep requests outstanding against a
// device completed by hand, in order (no timing), split what the device does
// by their shares when the capacity holds them back, and by their demand when
// it does not.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seastar/core/aligned_buffer.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/io_intent.hh"
#include "seastar/core/io_queue.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/when_all.hh"
#include "seastar/core/with_scheduling_group.hh"
#include "seastar/disk/file_functions.hh"
#include "seastar/disk/internal/shared_token_bucket.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/later.hh"
#include "seastar/util/tmp_file.hh"

namespace {

using namespace seastar;
namespace fs = std::filesystem;

fs::path test_root() {
    auto d = std::getenv("TEST_TMPDIR");
    return d ? fs::path(d) : default_tmpdir();
}

// A file of 64 blocks of 4 KiB and a raw fd on it, for requests made by hand.
struct test_file {
    fs::path path;
    int fd = -1;
    dev_t dev = 0;
    std::unique_ptr<char[], free_deleter> buf = allocate_aligned_buffer<char>(64 * 4096, 4096);

    explicit test_file(const std::string& name) : path(test_root() / name) {
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        EXPECT_GE(fd, 0);
        std::memset(buf.get(), 'r', 64 * 4096);
        EXPECT_EQ(::pwrite(fd, buf.get(), 64 * 4096, 0), 64 * 4096);
        struct ::stat st{};
        ::fstat(fd, &st);
        dev = st.st_dev;
    }
    ~test_file() {
        ::close(fd);
        ::unlink(path.c_str());
    }
    internal::io_request read(unsigned block) {
        return internal::io_request::make_read(fd, block * 4096, buf.get() + block * 4096, 4096);
    }
};

// A model where each 4 KiB read costs about one second of device time, and a
// bucket that lets one through at a time: everything after the first waits.
disk_model slow_model() {
    disk_model m = default_disk_model();
    m.read_iops = 1;
    m.write_iops = 1;
    return m;
}

future<bool> is_cancelled(future<size_t> f) {
    try {
        co_await std::move(f);
    } catch (const cancelled_error&) {
        co_return true;
    }
    co_return false;
}

SEASTAR_TEST_CASE(io_queue, intent_cancels_queued_requests) {
    test_file tf("cancel");
    auto bucket = std::make_shared<internal::shared_token_bucket>(1'000'000);
    io_queue q(tf.dev, slow_model(), bucket);
    io_intent intent;
    std::vector<future<size_t>> fs;
    for (unsigned i = 0; i < 5; ++i) {
        fs.push_back(q.submit(tf.read(i), io_direction::read, 4096, &intent));
    }
    EXPECT_EQ(q.in_flight(), 1u);
    EXPECT_EQ(q.queued(), 4u);
    intent.cancel();
    EXPECT_EQ(q.queued(), 0u);
    // The one in the kernel completes; the queued ones are cancelled.
    EXPECT_EQ(co_await std::move(fs[0]), 4096u);
    for (unsigned i = 1; i < 5; ++i) {
        EXPECT_TRUE(co_await is_cancelled(std::move(fs[i])));
    }
    auto st = q.get_stats(current_scheduling_group());
    EXPECT_EQ(st.completed, 1u);
    EXPECT_EQ(st.cancelled, 4u);
    EXPECT_EQ(st.bytes_read, 4096u);
    EXPECT_EQ(st.queued, 0u);
    EXPECT_EQ(st.in_flight, 0u);
    // A cancelled intent fails new requests at once.
    EXPECT_TRUE(co_await is_cancelled(q.submit(tf.read(0), io_direction::read, 4096, &intent)));
    co_await q.stop();
}

SEASTAR_TEST_CASE(io_queue, destroying_an_intent_cancels) {
    test_file tf("cancel2");
    io_queue q(tf.dev, slow_model(), std::make_shared<internal::shared_token_bucket>(1'000'000));
    auto other = q.submit(tf.read(0), io_direction::read, 4096, nullptr);
    future<size_t> f = make_ready_future<size_t>(0);
    {
        io_intent intent;
        f = q.submit(tf.read(1), io_direction::read, 4096, &intent);
    }
    EXPECT_TRUE(co_await is_cancelled(std::move(f)));
    EXPECT_EQ(co_await std::move(other), 4096u);
    co_await q.stop();
}

SEASTAR_TEST_CASE(io_queue, a_moved_intent_takes_its_requests_along) {
    test_file tf("cancel3");
    io_queue q(tf.dev, slow_model(), std::make_shared<internal::shared_token_bucket>(1'000'000));
    auto first = q.submit(tf.read(0), io_direction::read, 4096, nullptr);
    std::vector<future<size_t>> fs;
    std::optional<io_intent> moved;
    {
        io_intent intent;
        for (unsigned i = 1; i < 4; ++i) {
            fs.push_back(q.submit(tf.read(i), io_direction::read, 4096, &intent));
        }
        moved.emplace(std::move(intent));
        // The moved-from intent holds nothing: destroying it cancels nothing.
    }
    EXPECT_EQ(q.queued(), 3u);
    auto later = q.submit(tf.read(4), io_direction::read, 4096, &*moved);
    EXPECT_EQ(q.queued(), 4u);
    moved->cancel();
    EXPECT_EQ(q.queued(), 0u);
    for (auto& f : fs) {
        EXPECT_TRUE(co_await is_cancelled(std::move(f)));
    }
    EXPECT_TRUE(co_await is_cancelled(std::move(later)));
    EXPECT_EQ(co_await std::move(first), 4096u);
    // Moving an intent with nothing queued, or a cancelled one, keeps its state.
    io_intent empty;
    io_intent empty2(std::move(empty));
    EXPECT_FALSE(empty2.cancelled());
    io_intent cancelled(std::move(*moved));
    EXPECT_TRUE(cancelled.cancelled());
    co_await q.stop();
}

SEASTAR_TEST_CASE(io_queue, stop_cancels_queued_and_waits_for_in_flight) {
    test_file tf("stop");
    io_queue q(tf.dev, slow_model(), std::make_shared<internal::shared_token_bucket>(1'000'000));
    std::vector<future<size_t>> fs;
    for (unsigned i = 0; i < 4; ++i) {
        fs.push_back(q.submit(tf.read(i), io_direction::read, 4096, nullptr));
    }
    auto stopped = q.stop();
    EXPECT_EQ(co_await std::move(fs[0]), 4096u);
    for (unsigned i = 1; i < 4; ++i) {
        EXPECT_TRUE(co_await is_cancelled(std::move(fs[i])));
    }
    co_await std::move(stopped);
    EXPECT_EQ(q.in_flight(), 0u);
    // A stopped queue takes nothing more.
    EXPECT_TRUE(co_await is_cancelled(q.submit(tf.read(0), io_direction::read, 4096, nullptr)));
}

SEASTAR_TEST_CASE(io_queue, a_device_without_a_model_is_not_throttled) {
    test_file tf("unthrottled");
    // With a bucket, the 1-IOPS model lets one request through at a time;
    // without one, only the in-flight limit holds requests back.
    io_queue q(tf.dev, slow_model(), nullptr, 8);
    EXPECT_FALSE(q.throttled());
    std::vector<future<size_t>> fs;
    for (unsigned i = 0; i < 20; ++i) {
        fs.push_back(q.submit(tf.read(i), io_direction::read, 4096, nullptr));
    }
    EXPECT_EQ(q.in_flight(), 8u);
    EXPECT_EQ(q.queued(), 12u);
    for (auto& f : fs) {
        EXPECT_EQ(co_await std::move(f), 4096u);
    }
    co_await q.stop();
    // The queue a file gets for a device nobody configured is unthrottled;
    // a configured device's is throttled.
    configure_io_properties({});
    EXPECT_FALSE(internal::get_io_queue(tf.dev).throttled());
}

// A model that promises far more than the device does (1 ns a request,
// 1 us latency goal): requests one at a time show the device's own latency;
// then bursts of 64 at once wait behind each other in the kernel, far longer
// than the 64 ns charged for what is ahead of them, so the queue charges
// more per request. Without a bucket there is nothing to scale.
SEASTAR_TEST_CASE(io_queue, a_device_slower_than_its_model_is_charged_more) {
    test_file tf("flow");
    disk_model m = default_disk_model();
    m.read_iops = 1'000'000'000;
    m.read_bandwidth = uint64_t(1) << 50;
    m.latency_goal = std::chrono::microseconds(1);
    io_queue q(tf.dev, m, std::make_shared<internal::shared_token_bucket>(int64_t(1) << 40));
    io_queue unthrottled(tf.dev, m, nullptr);
    EXPECT_EQ(q.flow_scale(), 1.0);
    auto phase = [&](bool burst, std::chrono::milliseconds length) -> future<> {
        auto until = std::chrono::steady_clock::now() + length;
        while (std::chrono::steady_clock::now() < until) {
            std::vector<future<size_t>> fs;
            for (unsigned i = 0; i < (burst ? 64u : 1u); ++i) {
                fs.push_back(q.submit(tf.read(i % 64), io_direction::read, 4096, nullptr));
                fs.push_back(unthrottled.submit(tf.read(i % 64), io_direction::read, 4096, nullptr));
            }
            for (auto& f : fs) {
                EXPECT_EQ(co_await std::move(f), 4096u);
            }
        }
    };
    for (unsigned round = 0; round < 20 && q.flow_scale() == 1.0; ++round) {
        co_await phase(false, std::chrono::milliseconds(50));
        co_await phase(true, std::chrono::milliseconds(50));
    }
    EXPECT_GT(q.flow_scale(), 1.0);
    EXPECT_EQ(unthrottled.flow_scale(), 1.0);
    co_await q.stop();
    co_await unthrottled.stop();
}

SEASTAR_TEST_CASE(io_queue, groups_are_served_in_proportion_to_io_shares) {
    test_file tf("shares");
    auto a = co_await create_scheduling_group("io_a", 200);
    auto b = co_await create_scheduling_group("io_b", 200);
    // I/O shares default to the CPU shares, and can differ from them.
    EXPECT_EQ(get_io_shares(a), 200.0f);
    update_io_shares(a, 100);
    update_io_shares(b, 400);
    EXPECT_EQ(get_io_shares(b), 400.0f);
    EXPECT_EQ(b.get_shares(), 200.0f);
    {
        // One request in flight at a time and no rate limit: the order of
        // completions is the order the fair queue chose.
        io_queue q(tf.dev, default_disk_model(), std::make_shared<internal::shared_token_bucket>(int64_t(1) << 60), 1);
        std::vector<char> order;
        std::vector<future<>> all;
        for (unsigned i = 0; i < 50; ++i) {
            for (auto [sg, tag] : {std::pair{a, 'a'}, std::pair{b, 'b'}}) {
                all.push_back(with_scheduling_group(sg, [&q, &tf, &order, i, tag = tag] {
                    return q.submit(tf.read(i), io_direction::read, 4096, nullptr).then([&order, tag](size_t n) {
                        EXPECT_EQ(n, 4096u);
                        order.push_back(tag);
                    });
                }));
            }
        }
        co_await when_all_succeed(all.begin(), all.end());
        EXPECT_EQ(order.size(), 100u);
        int first_half_b = 0;
        for (size_t i = 0; i < 50; ++i) {
            first_half_b += order[i] == 'b';
        }
        // 1:4 shares: of the first 50, about 40 are b's (the first request
        // went out before b queued anything).
        EXPECT_NEAR(first_half_b, 40, 2);
        auto sa = q.get_stats(a);
        auto sb = q.get_stats(b);
        EXPECT_EQ(sa.completed, 50u);
        EXPECT_EQ(sb.completed, 50u);
        EXPECT_EQ(sb.bytes_read, 50u * 4096);
        EXPECT_EQ(sb.shares, 400.0f);
        // (Which group waited longer in wall-clock time is not asserted: on a
        // loaded machine a preempted test thread adds more than the shares save.
        // The order above is what the shares decide.)
        co_await q.stop();
    }
    co_await destroy_scheduling_group(a);
    co_await destroy_scheduling_group(b);
}

// A device the test completes by hand: requests wait in arrival order until
// complete_oldest() finishes the first of them.
struct manual_device {
    std::deque<promise<size_t>> pending;
    size_t started = 0;

    io_queue::device_fn fn() {
        return [this](const internal::io_request&) {
            ++started;
            pending.emplace_back();
            return pending.back().get_future();
        };
    }
    void complete_oldest(size_t n) {
        auto pr = std::move(pending.front());
        pending.pop_front();
        pr.set_value(n);
    }
};

constexpr size_t split_len = 128 << 10;
char split_buf[split_len];

// Sends a 128 KiB write, waits for it, sends the next, until `stop`.
// Completes whatever is still queued or in flight (the clients saw `stop`),
// waits for the clients and stops the queue.
future<> finish_all(io_queue& q, manual_device& dev, std::vector<future<>>& clients, size_t len) {
    while (q.in_flight() + q.queued() > 0) {
        if (!dev.pending.empty()) {
            dev.complete_oldest(len);
        }
        co_await yield();
    }
    co_await when_all_succeed(clients.begin(), clients.end());
    co_await q.stop();
}

future<> split_client(io_queue& q, const bool& stop) {
    while (!stop) {
        auto req = internal::io_request::make_write(-1, 0, split_buf, split_len);
        EXPECT_EQ(co_await q.submit(req, io_direction::write, split_len, nullptr), split_len);
    }
}

struct split_result {
    uint64_t bytes_a = 0;
    uint64_t bytes_b = 0;
    unsigned max_in_flight = 0;
    double max_in_flight_cost = 0;
};

// Two groups with I/O shares 100 and 400, each keeping `clients` 128 KiB
// writes outstanding (each client sends its next request when its last one
// completes), against a manual device that completes `completions`
// requests, one at a time, oldest first.
future<split_result> run_split(disk_model model, unsigned clients, unsigned completions) {
    auto a = co_await create_scheduling_group("split_a", 100);
    auto b = co_await create_scheduling_group("split_b", 100);
    update_io_shares(a, 100);
    update_io_shares(b, 400);
    constexpr size_t len = split_len;
    manual_device dev;
    // The bucket never binds here: what holds requests back is the capacity.
    io_queue q(0, model, std::make_shared<internal::shared_token_bucket>(int64_t(1) << 60),
               io_queue::default_max_in_flight, dev.fn());
    bool stop = false;
    std::vector<future<>> all;
    for (unsigned i = 0; i < clients; ++i) {
        for (auto sg : {a, b}) {
            all.push_back(with_scheduling_group(sg, [&q, &stop] { return split_client(q, stop); }));
        }
    }
    split_result res;
    auto settled = [&] { return q.in_flight() == dev.pending.size() && q.in_flight() + q.queued() == 2 * clients; };
    auto settle = [&]() -> future<> {
        // Let a completion reach the queue and its client, and the client
        // send again (the clients' group runs when the scheduler switches
        // to it).
        for (unsigned i = 0; i < 1000000 && !settled(); ++i) {
            co_await yield();
        }
        EXPECT_TRUE(settled());
        res.max_in_flight = std::max(res.max_in_flight, q.in_flight());
        res.max_in_flight_cost = std::max(res.max_in_flight_cost, q.in_flight_cost());
    };
    co_await settle();
    // The first dispatches happen before both groups queued anything:
    // count from a steady state on.
    for (unsigned i = 0; i < 4 * clients; ++i) {
        dev.complete_oldest(len);
        co_await settle();
    }
    auto a0 = q.get_stats(a).bytes_written;
    auto b0 = q.get_stats(b).bytes_written;
    for (unsigned i = 0; i < completions; ++i) {
        dev.complete_oldest(len);
        co_await settle();
    }
    res.bytes_a = q.get_stats(a).bytes_written - a0;
    res.bytes_b = q.get_stats(b).bytes_written - b0;
    stop = true;
    co_await finish_all(q, dev, all, len);
    co_await destroy_scheduling_group(a);
    co_await destroy_scheduling_group(b);
    co_return res;
}

// A 128 KiB write costs 1 ms + 100 ms of device time in this model: far
// more than the manual device takes, so flow control never raises the cost
// and the capacity alone decides what is in the kernel.
disk_model split_model(std::chrono::milliseconds latency_goal) {
    disk_model m = default_disk_model();
    m.write_iops = 1'000;
    m.write_bandwidth = uint64_t(128 << 10) * 10;
    m.latency_goal = latency_goal;
    return m;
}

SEASTAR_TEST_CASE(io_queue, backlogged_groups_split_the_device_by_io_shares) {
    // Capacity 400 ms: 3 requests of 101 ms in the kernel, 13 waiting here,
    // so both groups always have requests queued and shares decide.
    auto r = co_await run_split(split_model(std::chrono::milliseconds(800)), 8, 1000);
    EXPECT_EQ(r.max_in_flight, 3u);
    EXPECT_LE(r.max_in_flight_cost, 400e6);
    EXPECT_EQ(r.bytes_a + r.bytes_b, uint64_t(1000) * split_len);
    auto ratio = double(r.bytes_b) / double(r.bytes_a);
    EXPECT_NEAR(ratio, 4.0, 0.4) << r.bytes_a << " : " << r.bytes_b;
}

SEASTAR_TEST_CASE(io_queue, groups_get_what_they_ask_for_below_the_capacity) {
    // Capacity 5 s: all 16 requests fit in the kernel; nothing waits here,
    // so each group gets what it asks for, shares notwithstanding.
    auto r = co_await run_split(split_model(std::chrono::milliseconds(10'000)), 8, 1000);
    EXPECT_EQ(r.max_in_flight, 16u);
    auto ratio = double(r.bytes_b) / double(r.bytes_a);
    EXPECT_NEAR(ratio, 1.0, 0.05) << r.bytes_a << " : " << r.bytes_b;
}

// Eight clients keep 128 KiB writes outstanding against a manual device
// that completes them far later than a model of 1 ns a request with a 1 us
// goal says; 3 are let into the kernel at once (max_in_flight). Once a slow
// window has closed and the probe interval has passed, the queue sends
// nothing more until the kernel is empty, then one request alone, and the
// rest only after that one completed.
SEASTAR_TEST_CASE(io_queue, a_backlogged_queue_sends_one_request_alone_now_and_then) {
    constexpr size_t len = split_len;
    constexpr unsigned clients = 8;
    disk_model m = default_disk_model();
    m.write_iops = 1'000'000'000;
    m.write_bandwidth = uint64_t(1) << 50;
    m.latency_goal = std::chrono::microseconds(2);
    manual_device dev;
    io_queue q(0, m, std::make_shared<internal::shared_token_bucket>(int64_t(1) << 60), 3, dev.fn());
    bool stop = false;
    std::vector<future<>> all;
    for (unsigned i = 0; i < clients; ++i) {
        all.push_back(split_client(q, stop));
    }
    auto settle = [&]() -> future<> {
        for (unsigned i = 0;
             i < 1000000 && !(q.in_flight() == dev.pending.size() && q.in_flight() + q.queued() == clients); ++i) {
            co_await yield();
        }
        EXPECT_EQ(q.in_flight(), dev.pending.size());
        EXPECT_EQ(q.in_flight() + q.queued(), clients);
    };
    co_await settle();
    // Nothing completed yet, so nothing to probe against: full depth.
    EXPECT_EQ(q.in_flight(), 3u);
    EXPECT_FALSE(q.probing());
    dev.complete_oldest(len);
    co_await settle();
    co_await sleep(std::chrono::nanoseconds(internal::io_flow_controller::probe_interval) +
                   std::chrono::milliseconds(50));
    // The next completions close a window far slower than charged; then
    // the queue drains the kernel and sends one request alone.
    unsigned last = q.in_flight();
    bool alone = false;
    for (unsigned i = 0; i < 30 && q.probes() == 0; ++i) {
        dev.complete_oldest(len);
        co_await settle();
        if (q.probing()) {
            // Draining: nothing new goes in until one goes in alone.
            EXPECT_TRUE(q.in_flight() < last || q.in_flight() == 1u) << i;
            alone = alone || q.in_flight() == 1u;
        }
        last = q.in_flight();
    }
    EXPECT_TRUE(alone);
    EXPECT_EQ(q.probes(), 1u);
    // After the probe, full depth again, and no probe before the next interval.
    EXPECT_FALSE(q.probing());
    EXPECT_EQ(q.in_flight(), 3u);
    stop = true;
    co_await finish_all(q, dev, all, len);
}

// A model in which a 4 KiB read costs 100 ms of device time and a latency
// goal (the token bucket's burst) of 400 ms, configured for the test file's
// device; returns that device's queue (the one its files use).
io_queue& queue_of_100ms_reads(const test_file& tf, const fs::path& dir) {
    configure_io_properties_from_string("disks:\n  - mountpoint: " + dir.native() +
                                        "\n    read_iops: 10\n    read_bandwidth: 1000000000000\n"
                                        "    write_iops: 10\n    write_bandwidth: 1000000000000\n"
                                        "    latency_goal_us: 400000\n");
    auto& q = internal::get_io_queue(tf.dev);
    configure_io_properties({});
    EXPECT_TRUE(q.throttled());
    EXPECT_NEAR(q.request_cost(io_direction::read, 4096), 100e6, 1e3);
    return q;
}

using clk = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Reads block `block` through `q`; sets `done` to when it completed, from t0.
future<> timed_read(io_queue& q, test_file& tf, unsigned block, clk::time_point t0, clk::duration& done) {
    auto n = co_await q.submit(tf.read(block), io_direction::read, 4096, nullptr);
    EXPECT_EQ(n, 4096u);
    done = clk::now() - t0;
}

// Ten reads at once: five fit in the bucket (backlog 0 to 400 ms) and go at
// once; the bucket refuses the sixth. Paced one by one, the sixth would go
// 100 ms later and each further one 100 ms after it. The queue instead
// waits until a quarter of the burst fits (200 ms), then sends two together,
// and so on. While it waits, the reactor sleeps (a timer ends the sleep
// when the bucket has room) instead of polling the bucket.
SEASTAR_TEST_CASE(io_queue, a_refused_queue_sleeps_and_dispatches_in_batches) {
    test_file tf("batches");
    auto dir = co_await make_tmp_dir(test_root());
    auto& q = queue_of_100ms_reads(tf, dir.get_path());
    auto sleeps = engine().get_stats().sleeps;
    auto t0 = clk::now();
    std::vector<clk::duration> done(10);
    std::vector<future<>> fs;
    for (unsigned i = 0; i < 10; ++i) {
        fs.push_back(timed_read(q, tf, i, t0, done[i]));
    }
    co_await when_all_succeed(fs.begin(), fs.end());
    // Batches: 0-4 at once, 5-6 at 200 ms, 7-8 at 400 ms; then 9, alone in
    // its group, as soon as it fits: 500 ms.
    EXPECT_GE(done[5], milliseconds(200));
    EXPECT_GE(done[7], milliseconds(400));
    EXPECT_GE(done[9], milliseconds(500));
    EXPECT_LT(done[6] - done[5], milliseconds(50));
    EXPECT_LT(done[8] - done[7], milliseconds(50));
    // It slept through each wait rather than spinning on the bucket.
    EXPECT_GE(engine().get_stats().sleeps - sleeps, 3u);
    co_await dir.remove();
}

// The same ten reads; while the queue waits for room for a batch, a read of
// another group, alone in it (a latency-sensitive class), goes as soon as
// the bucket has room for it (100 ms), not with the batch (200 ms).
SEASTAR_TEST_CASE(io_queue, a_lone_request_does_not_wait_for_the_batch) {
    test_file tf("lone");
    auto dir = co_await make_tmp_dir(test_root());
    auto& q = queue_of_100ms_reads(tf, dir.get_path());
    auto lone = co_await create_scheduling_group("lone", 100);
    auto t0 = clk::now();
    std::vector<clk::duration> done(10);
    std::vector<future<>> fs;
    for (unsigned i = 0; i < 10; ++i) {
        fs.push_back(timed_read(q, tf, i, t0, done[i]));
    }
    co_await sleep(milliseconds(10));
    EXPECT_EQ(q.in_flight() + q.queued(), 5u);
    clk::duration lone_done{};
    fs.push_back(with_scheduling_group(lone, [&] { return timed_read(q, tf, 10, t0, lone_done); }));
    co_await when_all_succeed(fs.begin(), fs.end());
    EXPECT_GE(lone_done, milliseconds(100));
    EXPECT_GE(done[5], milliseconds(200));
    EXPECT_LT(lone_done + milliseconds(50), done[5]);
    co_await dir.remove();
    co_await destroy_scheduling_group(lone);
}

SEASTAR_TEST_CASE(io_queue, files_use_the_configured_model_and_report_per_group_stats) {
    auto dir = co_await make_tmp_dir(test_root());
    struct ::stat st{};
    ::stat(dir.get_path().c_str(), &st);
    configure_io_properties_from_string("disks:\n  - mountpoint: " + dir.get_path().native() +
                                        "\n    read_iops: 1234\n    read_bandwidth: 5000000\n"
                                        "    write_iops: 567\n    write_bandwidth: 4000000\n");
    auto& q = internal::get_io_queue(st.st_dev);
    EXPECT_TRUE(q.throttled());
    EXPECT_EQ(q.model().read_iops, 1234u);
    EXPECT_EQ(q.model().write_bandwidth, 4000000u);
    // cost = 1/IOPS + size/bandwidth, in nanoseconds of device time.
    EXPECT_NEAR(q.request_cost(io_direction::read, 5000), 1e9 / 1234 + 1e6, 1);
    EXPECT_NEAR(q.request_cost(io_direction::write, 0), 1e9 / 567, 1);
    configure_io_properties({});

    auto before = get_io_group_stats(current_scheduling_group());
    auto f = co_await open_file_dma((dir.get_path() / "f").native(), open_flags::rw | open_flags::create);
    auto buf = allocate_aligned_buffer<char>(8192, f.memory_dma_alignment());
    std::memset(buf.get(), 1, 8192);
    co_await f.dma_write(0, buf.get(), 8192);
    co_await f.dma_read(0, buf.get(), 8192);
    auto after = get_io_group_stats(current_scheduling_group());
    EXPECT_EQ(after.completed - before.completed, 2u);
    EXPECT_EQ(after.bytes_written - before.bytes_written, 8192u);
    EXPECT_EQ(after.bytes_read - before.bytes_read, 8192u);
    co_await f.close();
    co_await dir.remove();
}

} // namespace
