// Cross-core message passing: spsc_queue beside boost::lockfree::spsc_queue (what Seastar
// uses between shards), a mutex + condition variable queue, and the physical floor (two
// atomics on separate cache lines).
//
// Threads are pinned to CPUs 0 (producer / pinger) and 1 (consumer / ponger) when the process
// may run there; otherwise they run unpinned and a note says so.
//
//   bazel run --config=opt //seastar/smp:spsc_bench -- --benchmark_min_time=0.2
//
// Throughput/<queue>/<batch>: one-way items per second, batch = items per push and the most
// popped at once. PingPong/<queue>: one round trip (there and back) per iteration.
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "seastar/smp/internal/topology.hh"
#include "seastar/smp/spsc_queue.hh"

namespace {

constexpr std::size_t capacity = 1024;
constexpr std::uint64_t sentinel = ~std::uint64_t(0);
constexpr unsigned producer_cpu = 0;
constexpr unsigned consumer_cpu = 1;

void pin(unsigned cpu) {
    static std::atomic<bool> warned{false};
    auto status = seastar::internal::pin_this_thread(cpu);
    if (!status.ok() && !warned.exchange(true)) {
        std::fprintf(stderr, "note: running unpinned: %s\n", std::string(status.message()).c_str());
    }
}

inline void cpu_relax() {
    __builtin_ia32_pause();
}

// ---- the queues under test, behind one small interface ----
// push_all blocks (spins or waits) until all n items are in; pop_some blocks until it got at
// least one item and returns how many.

struct ours {
    seastar::spsc_queue<std::uint64_t> q{capacity};
    void push_all(const std::uint64_t* p, std::size_t n) {
        while (n != 0) {
            auto k = q.push(p, n);
            p += k;
            n -= k;
            if (k == 0) {
                cpu_relax();
            }
        }
    }
    std::size_t pop_some(std::uint64_t* out, std::size_t max) {
        std::size_t k;
        while ((k = q.pop(out, max)) == 0) {
            cpu_relax();
        }
        return k;
    }
};

struct boost_lockfree {
    boost::lockfree::spsc_queue<std::uint64_t, boost::lockfree::capacity<capacity>> q;
    void push_all(const std::uint64_t* p, std::size_t n) {
        while (n != 0) {
            auto k = q.push(p, n);
            p += k;
            n -= k;
            if (k == 0) {
                cpu_relax();
            }
        }
    }
    std::size_t pop_some(std::uint64_t* out, std::size_t max) {
        std::size_t k;
        while ((k = q.pop(out, max)) == 0) {
            cpu_relax();
        }
        return k;
    }
};

struct mutex_condvar {
    std::mutex m;
    std::condition_variable not_empty, not_full;
    std::deque<std::uint64_t> items;
    void push_all(const std::uint64_t* p, std::size_t n) {
        while (n != 0) {
            std::unique_lock lock(m);
            not_full.wait(lock, [&] { return items.size() < capacity; });
            while (n != 0 && items.size() < capacity) {
                items.push_back(*p++);
                --n;
            }
            lock.unlock();
            not_empty.notify_one();
        }
    }
    std::size_t pop_some(std::uint64_t* out, std::size_t max) {
        std::unique_lock lock(m);
        not_empty.wait(lock, [&] { return !items.empty(); });
        std::size_t k = 0;
        while (k < max && !items.empty()) {
            out[k++] = items.front();
            items.pop_front();
        }
        lock.unlock();
        not_full.notify_one();
        return k;
    }
};

template <typename Queue>
void throughput(benchmark::State& state) {
    const std::size_t batch = state.range(0);
    Queue queue;
    std::uint64_t received = 0;
    std::thread consumer([&] {
        pin(consumer_cpu);
        std::vector<std::uint64_t> buf(batch);
        std::uint64_t expected = 0;
        for (;;) {
            auto k = queue.pop_some(buf.data(), batch);
            for (std::size_t i = 0; i < k; ++i) {
                if (buf[i] == sentinel) {
                    received = expected;
                    return;
                }
                expected += (buf[i] == expected);
            }
        }
    });
    pin(producer_cpu);
    std::vector<std::uint64_t> buf(batch);
    std::uint64_t next = 0;
    for (auto _ : state) {
        for (auto& v : buf) {
            v = next++;
        }
        queue.push_all(buf.data(), batch);
    }
    queue.push_all(&sentinel, 1);
    consumer.join();
    if (received != next) {
        state.SkipWithError("items lost or reordered");
    }
    state.SetItemsProcessed(std::int64_t(next));
}

template <typename Queue>
void ping_pong(benchmark::State& state) {
    Queue there, back;
    std::thread ponger([&] {
        pin(consumer_cpu);
        std::uint64_t v;
        for (;;) {
            there.pop_some(&v, 1);
            if (v == sentinel) {
                return;
            }
            back.push_all(&v, 1);
        }
    });
    pin(producer_cpu);
    std::uint64_t i = 0, v = 0;
    for (auto _ : state) {
        there.push_all(&i, 1);
        back.pop_some(&v, 1);
        benchmark::DoNotOptimize(v);
        ++i;
    }
    there.push_all(&sentinel, 1);
    ponger.join();
}

// The floor: each side spins on a line the other writes.
void ping_pong_raw(benchmark::State& state) {
    struct alignas(128) line {
        std::atomic<std::uint64_t> value{0};
    };
    line ping, pong;
    std::thread ponger([&] {
        pin(consumer_cpu);
        std::uint64_t last = 0;
        for (;;) {
            std::uint64_t v;
            while ((v = ping.value.load(std::memory_order_acquire)) == last) {
                cpu_relax();
            }
            if (v == sentinel) {
                return;
            }
            pong.value.store(v, std::memory_order_release);
            last = v;
        }
    });
    pin(producer_cpu);
    std::uint64_t i = 1;
    for (auto _ : state) {
        ping.value.store(i, std::memory_order_release);
        while (pong.value.load(std::memory_order_acquire) != i) {
            cpu_relax();
        }
        ++i;
    }
    ping.value.store(sentinel, std::memory_order_release);
    ponger.join();
}

BENCHMARK_TEMPLATE(throughput, ours)->Name("Throughput/spsc_queue")->Arg(1)->Arg(16)->Arg(64)->UseRealTime();
BENCHMARK_TEMPLATE(throughput, boost_lockfree)
    ->Name("Throughput/boost_lockfree")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->UseRealTime();
BENCHMARK_TEMPLATE(throughput, mutex_condvar)->Name("Throughput/mutex_condvar")->Arg(1)->Arg(64)->UseRealTime();
BENCHMARK_TEMPLATE(ping_pong, ours)->Name("PingPong/spsc_queue")->UseRealTime();
BENCHMARK_TEMPLATE(ping_pong, boost_lockfree)->Name("PingPong/boost_lockfree")->UseRealTime();
BENCHMARK_TEMPLATE(ping_pong, mutex_condvar)->Name("PingPong/mutex_condvar")->UseRealTime();
BENCHMARK(ping_pong_raw)->Name("PingPong/raw_cache_lines")->UseRealTime();

} // namespace

BENCHMARK_MAIN();
