// submit_to() between two shards on distinct CPUs, beside the physical floor measured in the
// same process: a raw cache-line ping-pong between two threads pinned to the same two CPUs.
//
//   bazel run --config=opt //seastar/smp:smp_bench -- [--reps=5] [--round_trips=200000]
//
// Prints, per repetition and as medians:
//   raw ping-pong      ns per round trip (two atomics on separate cache lines, spinning)
//   submit_to (poll)   ns per `co_await smp::submit_to(1, [] {})`, reactors in poll mode
//   submit_to (idle)   the same with the default idle policy (spin 200 us, then sleep)
//   throughput         one-way requests per second with W requests in flight (batching)
//   boost spsc         one-way items per second through boost::lockfree::spsc_queue between
//                      the same two CPUs, pushed and popped in batches of 64: the floor that
//                      batched submit_to (a request, a reply and a task each) is set beside
// and the ratio submit_to / raw ping-pong (goal: within 3x).
//
// Not a Google Benchmark loop: each measurement needs the shards started by smp::run().
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/smp/internal/topology.hh"

namespace {

using clock_type = std::chrono::steady_clock;

struct alignas(128) line {
    std::atomic<uint64_t> v{0};
};

double raw_ping_pong(unsigned cpu_a, unsigned cpu_b, uint64_t n) {
    line ping, pong;
    std::thread other([&] {
        (void)seastar::internal::pin_this_thread(cpu_b);
        for (uint64_t i = 1; i <= n; ++i) {
            while (ping.v.load(std::memory_order_acquire) != i) {
            }
            pong.v.store(i, std::memory_order_release);
        }
    });
    (void)seastar::internal::pin_this_thread(cpu_a);
    auto start = clock_type::now();
    for (uint64_t i = 1; i <= n; ++i) {
        ping.v.store(i, std::memory_order_release);
        while (pong.v.load(std::memory_order_acquire) != i) {
        }
    }
    auto ns = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
    other.join();
    return ns / double(n);
}

// One-way items per second through boost's SPSC queue (capacity 1024, as the smp queues),
// batches of 64 pushed by a thread on cpu_a and popped by one on cpu_b.
double boost_spsc_throughput(unsigned cpu_a, unsigned cpu_b, uint64_t n) {
    constexpr size_t batch = 64;
    boost::lockfree::spsc_queue<uint64_t, boost::lockfree::capacity<1024>> q;
    std::thread consumer([&] {
        (void)seastar::internal::pin_this_thread(cpu_b);
        std::array<uint64_t, batch> buf;
        uint64_t got = 0;
        while (got < n) {
            got += q.pop(buf.data(), batch);
        }
    });
    (void)seastar::internal::pin_this_thread(cpu_a);
    std::array<uint64_t, batch> items{};
    auto start = clock_type::now();
    for (uint64_t sent = 0; sent < n;) {
        size_t want = size_t(std::min<uint64_t>(batch, n - sent));
        sent += q.push(items.data(), want);
    }
    consumer.join();
    return double(n) / std::chrono::duration<double>(clock_type::now() - start).count();
}

struct smp_result {
    double round_trip_ns = 0;
    double throughput = 0; // requests per second
};

smp_result measure_smp(const std::string& cpus, bool poll_mode, uint64_t n, unsigned window) {
    seastar::smp_options opts;
    opts.smp = 2;
    opts.cpuset = cpus;
    opts.memory = size_t(256) << 20;
    opts.reactor.poll_mode = poll_mode;
    opts.reactor.handle_sigint_sigterm = false;
    smp_result r;
    seastar::smp::run(opts, [&]() -> seastar::future<int> {
        // Warm up.
        for (int i = 0; i < 1000; ++i) {
            co_await seastar::smp::submit_to(1, [] {});
        }
        auto start = clock_type::now();
        for (uint64_t i = 0; i < n; ++i) {
            co_await seastar::smp::submit_to(1, [] {});
        }
        r.round_trip_ns = std::chrono::duration<double, std::nano>(clock_type::now() - start).count() / double(n);

        uint64_t total = n * 10;
        start = clock_type::now();
        std::vector<seastar::future<>> inflight;
        inflight.reserve(window);
        for (uint64_t sent = 0; sent < total;) {
            for (unsigned k = 0; k < window && sent < total; ++k, ++sent) {
                inflight.push_back(seastar::smp::submit_to(1, [] {}));
            }
            for (auto& f : inflight) {
                co_await std::move(f);
            }
            inflight.clear();
        }
        r.throughput = double(total) / std::chrono::duration<double>(clock_type::now() - start).count();
        co_return 0;
    });
    return r;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

uint64_t arg(int ac, char** av, const char* name, uint64_t def) {
    std::string prefix = std::string("--") + name + "=";
    for (int i = 1; i < ac; ++i) {
        if (std::strncmp(av[i], prefix.c_str(), prefix.size()) == 0) {
            return std::stoull(av[i] + prefix.size());
        }
    }
    return def;
}

} // namespace

int main(int ac, char** av) {
    const uint64_t reps = arg(ac, av, "reps", 5);
    const uint64_t n = arg(ac, av, "round_trips", 200000);
    const unsigned window = unsigned(arg(ac, av, "window", 1024));
    auto allowed = seastar::internal::current_affinity();
    if (!allowed.ok() || allowed->size() < 2) {
        std::fprintf(stderr, "needs two CPUs\n");
        return 1;
    }
    unsigned a = *allowed->begin(), b = *std::next(allowed->begin());
    std::string cpus = std::to_string(a) + "," + std::to_string(b);
    std::printf("CPUs %u and %u; %llu round trips per repetition, throughput window %u\n", a, b, (unsigned long long)n,
                window);
    std::vector<double> raw, poll, idle, tput_poll, tput_idle, tput_boost;
    for (uint64_t rep = 0; rep < reps; ++rep) {
        // Interleaved, so that machine noise hits all of them alike.
        raw.push_back(raw_ping_pong(a, b, n));
        tput_boost.push_back(boost_spsc_throughput(a, b, n * 10));
        auto p = measure_smp(cpus, true, n, window);
        auto i = measure_smp(cpus, false, n, window);
        poll.push_back(p.round_trip_ns);
        idle.push_back(i.round_trip_ns);
        tput_poll.push_back(p.throughput);
        tput_idle.push_back(i.throughput);
        std::printf("rep %llu: raw %.0f ns, submit_to(poll) %.0f ns, submit_to(idle) %.0f ns, "
                    "throughput(poll) %.2f M/s, throughput(idle) %.2f M/s, boost spsc %.2f M/s\n",
                    (unsigned long long)rep, raw.back(), poll.back(), idle.back(), tput_poll.back() / 1e6,
                    tput_idle.back() / 1e6, tput_boost.back() / 1e6);
    }
    double r = median(raw), p = median(poll), i = median(idle);
    std::printf("median: raw ping-pong %.0f ns/round trip\n", r);
    std::printf(
        "median: submit_to round trip, poll mode %.0f ns (%.2fx raw), default idle policy %.0f ns (%.2fx raw)\n", p,
        p / r, i, i / r);
    std::printf("median: one-way throughput, %u in flight: poll mode %.2f M msg/s, default %.2f M msg/s\n", window,
                median(tput_poll) / 1e6, median(tput_idle) / 1e6);
    std::printf(
        "median: boost::lockfree::spsc_queue, batches of 64: %.2f M items/s (submit_to poll mode: %.2fx of it)\n",
        median(tput_boost) / 1e6, median(tput_poll) / median(tput_boost));
    return 0;
}
