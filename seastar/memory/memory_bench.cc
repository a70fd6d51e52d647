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
//             and hands them in batches of 4096 to another thread (shard 1) that frees
//             them; for the shard allocator each free is a cross-shard return, drained by
//             the producer after each batch as a reactor poller would. The threads take
//             turns and are pinned to different CPUs. Each iteration moves a fixed number of
//             objects; its time is the CPU time of both threads (waiting blocks and costs
//             none); five repetitions, median reported.

#include <benchmark/benchmark.h>

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <cstdlib>
#include <memory>
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

// True when malloc is this allocator (:memory_override_bench): BM_cross's consumer is then
// shard 1 and both sides poll, as in a program on app_template; with any other malloc the
// consumer is a plain thread and polling is not a thing.
bool g_malloc_is_shard_allocator = false;

struct libc_api {
    static void* alloc(size_t n) noexcept { return std::malloc(n); }
    static void release(void* p) noexcept { std::free(p); }
    static void poll() noexcept {
        if (g_malloc_is_shard_allocator) {
            mem::drain_cross_shard_frees();
        }
    }
    static void enter_consumer() {
        if (g_malloc_is_shard_allocator) {
            mem::internal::init_shard(1);
        }
    }
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
// thread) to the consumer in large batches, and the two threads take turns: the producer
// allocates a batch and hands it over, the consumer frees it and hands the (empty) slot
// back, the producer drains the returned memory. The side not working blocks (futex), so
// waiting costs no CPU, and the time reported for the iteration is the CPU time both threads
// spent (manual time), divided per object by the script. The threads are pinned to two
// different CPUs when there are two, so each object really crosses cores. Wall time on a
// shared machine depends on when the kernel runs each thread, and when two threads run at
// once their contention depends on the same; the CPU that this fixed sequence of work needs
// does not, much.
constexpr size_t cross_batch = 4096;
constexpr size_t cross_messages = size_t(1) << 16; // per iteration

class handoff {
public:
    // Producer: publishes the batch in slots() and waits until the consumer has freed it.
    void post_and_wait() noexcept {
        uint64_t r = _posted.load(std::memory_order_relaxed) + 1;
        _posted.store(r, std::memory_order_release);
        _posted.notify_one();
        for (uint64_t d; (d = _done.load(std::memory_order_acquire)) != r;) {
            _done.wait(d, std::memory_order_acquire);
        }
    }
    // Consumer: waits for the next batch. False once the producer posted stop().
    bool wait_batch() noexcept {
        uint64_t d = _done.load(std::memory_order_relaxed);
        for (uint64_t p; (p = _posted.load(std::memory_order_acquire)) == d;) {
            _posted.wait(p, std::memory_order_acquire);
        }
        return !_stop.load(std::memory_order_acquire);
    }
    void batch_done() noexcept {
        _done.fetch_add(1, std::memory_order_release);
        _done.notify_one();
    }
    void stop() noexcept {
        _stop.store(true, std::memory_order_release);
        _posted.fetch_add(1, std::memory_order_release);
        _posted.notify_one();
    }
    void** slots() noexcept { return _slots; }

private:
    alignas(64) std::atomic<uint64_t> _posted{0};
    alignas(64) std::atomic<uint64_t> _done{0};
    std::atomic<bool> _stop{false};
    void* _slots[cross_batch];
};

void pin_to_cpu(pthread_t thread, unsigned cpu) noexcept {
    if (std::thread::hardware_concurrency() < 2) {
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::pthread_setaffinity_np(thread, sizeof(set), &set); // best effort
}

double thread_cpu_seconds(clockid_t clock) noexcept {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

template <typename Api>
void BM_cross(benchmark::State& state) {
    size_t size = size_t(state.range(0));
    auto q = std::make_unique<handoff>();
    std::thread consumer([&] {
        Api::enter_consumer();
        while (q->wait_batch()) {
            void** slots = q->slots();
            for (size_t i = 0; i < cross_batch; ++i) {
                Api::release(slots[i]);
            }
            Api::poll(); // the consumer's own poller: sends what it freed on its way
            q->batch_done();
        }
    });
    cpu_set_t saved;
    ::pthread_getaffinity_np(::pthread_self(), sizeof(saved), &saved);
    pin_to_cpu(::pthread_self(), 0);
    pin_to_cpu(consumer.native_handle(), 1);
    clockid_t consumer_clock;
    clockid_t producer_clock;
    ::pthread_getcpuclockid(consumer.native_handle(), &consumer_clock);
    ::pthread_getcpuclockid(::pthread_self(), &producer_clock);
    for (auto _ : state) {
        double p0 = thread_cpu_seconds(producer_clock);
        double c0 = thread_cpu_seconds(consumer_clock);
        for (size_t sent = 0; sent < cross_messages; sent += cross_batch) {
            void** slots = q->slots();
            for (size_t i = 0; i < cross_batch; ++i) {
                slots[i] = Api::alloc(size);
                benchmark::DoNotOptimize(slots[i]);
            }
            q->post_and_wait();
            Api::poll(); // the owner's poller takes back what the consumer freed
        }
        double cpu = (thread_cpu_seconds(producer_clock) - p0) + (thread_cpu_seconds(consumer_clock) - c0);
        state.SetIterationTime(cpu);
    }
    q->stop();
    consumer.join();
    ::pthread_setaffinity_np(::pthread_self(), sizeof(saved), &saved);
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
    void* probe = std::malloc(64);
    g_malloc_is_shard_allocator = mem::owner_shard(probe) >= 0;
    std::free(probe);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
