// Allocation cost of the shard allocator and of whatever malloc the process has.
//
// The same code measures both: BM_*<shard_api> calls seastar::memory::allocate/free on a
// thread bound to shard 0; BM_*<libc_api> calls malloc/free, which is glibc, or jemalloc,
// tcmalloc, mimalloc when the binary runs under LD_PRELOAD of those, or this allocator in
// :memory_override_bench (which links :malloc_override). tools/bench/memory_bench.sh runs
// all of them in one go and prints ns per allocate+free pair and the ratios.
//
// Benchmarks:
//   BM_pair   allocate then free one object, repeatedly (the toy loop).
//   BM_batch  allocate 64 objects, then free them in allocation order; time is per batch.
//   BM_cross  producer/consumer: the benchmark thread (shard 0) allocates 64-byte objects
//             and hands them in batches to another thread (shard 1) that frees them; for the
//             shard allocator each free is a cross-shard return, drained by the producer
//             every 64 allocations as a reactor poller would. Each iteration moves a fixed
//             number of objects; its time is the CPU time of both threads (waiting blocks
//             and costs none); five repetitions, median reported.

#include <benchmark/benchmark.h>

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "seastar/memory/memory.hh"

namespace {

namespace mem = seastar::memory;

struct shard_api {
    static void* alloc(size_t n) noexcept { return mem::allocate(n); }
    static void release(void* p) noexcept { mem::free(p); }
    static void poll() noexcept { mem::drain_cross_shard_frees(); }
    static void enter_consumer() { mem::internal::init_shard(1); }
};

struct libc_api {
    static void* alloc(size_t n) noexcept { return std::malloc(n); }
    static void release(void* p) noexcept { std::free(p); }
    static void poll() noexcept {}
    static void enter_consumer() {}
};

template <typename Api>
void BM_pair(benchmark::State& state) {
    size_t size = size_t(state.range(0));
    for (auto _ : state) {
        void* p = Api::alloc(size);
        benchmark::DoNotOptimize(p);
        Api::release(p);
    }
}

constexpr int batch = 64;

template <typename Api>
void BM_batch(benchmark::State& state) {
    size_t size = size_t(state.range(0));
    void* ptrs[batch];
    for (auto _ : state) {
        for (int i = 0; i < batch; ++i) {
            ptrs[i] = Api::alloc(size);
            benchmark::DoNotOptimize(ptrs[i]);
        }
        for (int i = 0; i < batch; ++i) {
            Api::release(ptrs[i]);
        }
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * batch);
}

// BM_cross: a fixed number of objects per iteration go from the producer (the benchmark
// thread) to the consumer in batches through a small queue. A side that finds the queue full
// or empty blocks (futex) instead of spinning, so that waiting costs no CPU, and the time
// reported for the iteration is the CPU time both threads spent (manual time), divided per
// object by the script. Wall time on a shared two-core machine depends on when the kernel
// runs the second thread; the CPU both threads need for the same work does not, much.
constexpr size_t cross_batch = 256;
constexpr size_t cross_queue_batches = 8;
constexpr size_t cross_messages = size_t(1) << 16; // per iteration

class batch_queue {
public:
    // Producer: the slot for the next batch, after waiting for room.
    void** begin_push() noexcept {
        uint64_t p = _produced.load(std::memory_order_relaxed);
        for (;;) {
            uint64_t c = _consumed.load(std::memory_order_acquire);
            if (p - c < cross_queue_batches) {
                break;
            }
            _consumed.wait(c, std::memory_order_acquire);
        }
        return _slots[p % cross_queue_batches];
    }
    void end_push() noexcept {
        _produced.fetch_add(1, std::memory_order_release);
        _produced.notify_one();
    }
    // Consumer: the next batch, after waiting for one. A batch starting with nullptr is
    // the producer's stop message.
    void** begin_pop() noexcept {
        uint64_t c = _consumed.load(std::memory_order_relaxed);
        for (;;) {
            uint64_t p = _produced.load(std::memory_order_acquire);
            if (p != c) {
                return _slots[c % cross_queue_batches];
            }
            _produced.wait(p, std::memory_order_acquire);
        }
    }
    void end_pop() noexcept {
        _consumed.fetch_add(1, std::memory_order_release);
        _consumed.notify_one();
    }
    // Producer: waits until the consumer has taken everything pushed so far.
    void wait_drained() noexcept {
        uint64_t p = _produced.load(std::memory_order_relaxed);
        for (uint64_t c; (c = _consumed.load(std::memory_order_acquire)) != p;) {
            _consumed.wait(c, std::memory_order_acquire);
        }
    }
    void stop() noexcept {
        begin_push()[0] = nullptr;
        end_push();
    }

private:
    alignas(64) std::atomic<uint64_t> _produced{0};
    alignas(64) std::atomic<uint64_t> _consumed{0};
    void* _slots[cross_queue_batches][cross_batch];
};

double thread_cpu_seconds(clockid_t clock) noexcept {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

template <typename Api>
void BM_cross(benchmark::State& state) {
    size_t size = size_t(state.range(0));
    batch_queue q;
    std::thread consumer([&] {
        Api::enter_consumer();
        for (void** batch; (batch = q.begin_pop())[0] != nullptr;) {
            for (size_t i = 0; i < cross_batch; ++i) {
                Api::release(batch[i]);
            }
            q.end_pop();
        }
        q.end_pop();
    });
    clockid_t consumer_clock;
    clockid_t producer_clock;
    ::pthread_getcpuclockid(consumer.native_handle(), &consumer_clock);
    ::pthread_getcpuclockid(::pthread_self(), &producer_clock);
    for (auto _ : state) {
        double p0 = thread_cpu_seconds(producer_clock);
        double c0 = thread_cpu_seconds(consumer_clock);
        for (size_t sent = 0; sent < cross_messages; sent += cross_batch) {
            void** batch = q.begin_push();
            for (size_t i = 0; i < cross_batch; ++i) {
                batch[i] = Api::alloc(size);
                benchmark::DoNotOptimize(batch[i]);
                if (i % 64 == 63) {
                    Api::poll(); // as a reactor poller would, between bursts of work
                }
            }
            q.end_push();
        }
        q.wait_drained();
        Api::poll();
        double cpu = (thread_cpu_seconds(producer_clock) - p0) + (thread_cpu_seconds(consumer_clock) - c0);
        state.SetIterationTime(cpu);
    }
    q.stop();
    consumer.join();
    Api::poll();
    state.SetItemsProcessed(int64_t(state.iterations() * cross_messages));
    state.counters["messages_per_iteration"] = double(cross_messages);
}

void sizes(benchmark::internal::Benchmark* b) {
    for (int64_t s : {16, 64, 256, 1024, 4096, 65536, 1048576}) {
        b->Arg(s);
    }
}

BENCHMARK_TEMPLATE(BM_pair, shard_api)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_pair, libc_api)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_batch, shard_api)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_batch, libc_api)->Apply(sizes);
// A fixed amount of work per repetition and the median of the repetitions.
BENCHMARK_TEMPLATE(BM_cross, shard_api)
    ->Arg(64)
    ->UseManualTime()
    ->Iterations(8)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK_TEMPLATE(BM_cross, libc_api)
    ->Arg(64)
    ->UseManualTime()
    ->Iterations(8)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

} // namespace

int main(int argc, char** argv) {
    // Two shards of 1 GiB: the benchmark thread is shard 0, BM_cross's consumer shard 1.
    mem::configure(size_t(2) << 30, 2);
    mem::internal::init_shard(0);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
