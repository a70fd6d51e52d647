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
//             and hands them through a ring to another thread (shard 1) that frees them;
//             for the shard allocator each free is a cross-shard return, drained by the
//             producer every 64 allocations as a reactor poller would. Time is per object.

#include <benchmark/benchmark.h>

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

// A single-producer single-consumer ring of pointers.
class ring {
public:
    bool push(void* p) noexcept {
        size_t t = _tail.load(std::memory_order_relaxed);
        if (t - _head_cache == size) {
            _head_cache = _head.load(std::memory_order_acquire);
            if (t - _head_cache == size) {
                return false;
            }
        }
        _slots[t % size] = p;
        _tail.store(t + 1, std::memory_order_release);
        return true;
    }
    // Pops up to everything available into fn; returns how many.
    template <typename Fn>
    size_t consume(Fn fn) noexcept {
        size_t h = _head.load(std::memory_order_relaxed);
        size_t t = _tail.load(std::memory_order_acquire);
        for (size_t i = h; i != t; ++i) {
            fn(_slots[i % size]);
        }
        _head.store(t, std::memory_order_release);
        return t - h;
    }

private:
    static constexpr size_t size = 1024;
    alignas(64) std::atomic<size_t> _head{0};
    alignas(64) std::atomic<size_t> _tail{0};
    size_t _head_cache = 0;
    alignas(64) void* _slots[size];
};

template <typename Api>
void BM_cross(benchmark::State& state) {
    size_t size = size_t(state.range(0));
    ring r;
    std::atomic<bool> done{false};
    std::thread consumer([&] {
        Api::enter_consumer();
        for (;;) {
            bool finished = done.load(std::memory_order_acquire);
            if (r.consume([](void* p) { Api::release(p); }) == 0) {
                if (finished) {
                    return;
                }
                std::this_thread::yield();
            }
        }
    });
    unsigned n = 0;
    for (auto _ : state) {
        void* p = Api::alloc(size);
        benchmark::DoNotOptimize(p);
        while (!r.push(p)) {
            Api::poll();
            std::this_thread::yield();
        }
        if (++n % 64 == 0) {
            Api::poll();
        }
    }
    done.store(true, std::memory_order_release);
    consumer.join();
    Api::poll();
    state.SetItemsProcessed(int64_t(state.iterations()));
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
BENCHMARK_TEMPLATE(BM_cross, shard_api)->Arg(64)->UseRealTime();
BENCHMARK_TEMPLATE(BM_cross, libc_api)->Arg(64)->UseRealTime();

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
