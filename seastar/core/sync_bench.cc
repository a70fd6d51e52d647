// Uncontended cost of the sync primitives, next to thread-based peers doing the same work
// in the same binary. Run with --config=opt, briefly:
//   bazel run --config=opt //seastar/core:sync_bench -- --benchmark_min_time=0.2
// The peers pay for atomics (and a mutex) that a shard-local semaphore does not need;
// the comparison shows what that costs, not which is "better".

#include "seastar/core/local_scheduler.hh"
#include "seastar/core/queue.hh"
#include "seastar/core/semaphore.hh"
#include "seastar/core/shared_mutex.hh"

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <mutex>
#include <semaphore>

namespace {

// seastar::semaphore: wait() on available units returns a ready future; signal() returns
// them. One iteration = one wait + one signal.
void BM_semaphore_wait_signal(benchmark::State& state) {
    seastar::local_scheduler sched;
    seastar::semaphore sem(1);
    for (auto _ : state) {
        auto f = sem.wait();
        benchmark::DoNotOptimize(f.available());
        f.get();
        sem.signal();
    }
}
BENCHMARK(BM_semaphore_wait_signal);

void BM_semaphore_try_wait_signal(benchmark::State& state) {
    seastar::semaphore sem(1);
    for (auto _ : state) {
        benchmark::DoNotOptimize(sem.try_wait());
        sem.signal();
    }
}
BENCHMARK(BM_semaphore_try_wait_signal);

void BM_semaphore_get_units(benchmark::State& state) {
    seastar::local_scheduler sched;
    seastar::semaphore sem(1);
    for (auto _ : state) {
        auto u = seastar::get_units(sem, 1).get();
        benchmark::DoNotOptimize(u.count());
    }
}
BENCHMARK(BM_semaphore_get_units);

// Peer: C++20 counting_semaphore. With libstdc++ 12 every release() issues a futex wake
// system call even when nobody waits (seen with strace -c), which dominates its cost here.
void BM_std_counting_semaphore_try_acquire_release(benchmark::State& state) {
    std::counting_semaphore<> sem(1);
    for (auto _ : state) {
        benchmark::DoNotOptimize(sem.try_acquire());
        sem.release();
    }
}
BENCHMARK(BM_std_counting_semaphore_try_acquire_release);

// Peer: the classic mutex + condition variable counting semaphore.
class mutex_semaphore {
    std::mutex _m;
    std::condition_variable _cv;
    size_t _count;

public:
    explicit mutex_semaphore(size_t n) : _count(n) {}
    void wait() {
        std::unique_lock lk(_m);
        _cv.wait(lk, [this] { return _count > 0; });
        --_count;
    }
    void signal() {
        {
            std::lock_guard lk(_m);
            ++_count;
        }
        _cv.notify_one();
    }
};

void BM_mutex_semaphore_wait_signal(benchmark::State& state) {
    mutex_semaphore sem(1);
    for (auto _ : state) {
        sem.wait();
        sem.signal();
    }
}
BENCHMARK(BM_mutex_semaphore_wait_signal);

void BM_shared_mutex_lock_unlock(benchmark::State& state) {
    seastar::shared_mutex m;
    for (auto _ : state) {
        auto f = m.lock();
        f.get();
        m.unlock();
    }
}
BENCHMARK(BM_shared_mutex_lock_unlock);

void BM_queue_push_pop(benchmark::State& state) {
    seastar::queue<int> q(16);
    int i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(q.push(int(i++)));
        benchmark::DoNotOptimize(q.pop());
    }
}
BENCHMARK(BM_queue_push_pop);

} // namespace

BENCHMARK_MAIN();
