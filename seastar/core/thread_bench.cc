// Costs of seastar::thread: a context switch (two threads yielding to each
// other), async() spawn + join, and, for scale, a plain scheduled task.
//
//     bazel run --config=opt //seastar/core:thread_bench -- --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include "seastar/core/future.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/task.hh"
#include "seastar/core/thread.hh"

namespace seastar {
namespace {

// Two threads yield to each other; each iteration is one yield (a switch out
// to the scheduler, which resumes the other thread: two context switches).
void BM_thread_yield_pingpong(benchmark::State& state) {
    local_scheduler sched;
    bool stop = false;
    std::size_t yields = 0;
    auto body = [&] {
        while (!stop) {
            thread::yield();
            ++yields;
        }
    };
    auto a = async(body);
    auto b = async(body);
    for (auto _ : state) {
        sched.run_one();
    }
    stop = true;
    sched.wait(std::move(a));
    sched.wait(std::move(b));
    state.SetItemsProcessed(std::int64_t(yields));
}
BENCHMARK(BM_thread_yield_pingpong);

// async() of an empty body, waited for: mmap'd stack, first switch in,
// finish, join continuation, munmap.
void BM_async_spawn_join(benchmark::State& state) {
    local_scheduler sched;
    for (auto _ : state) {
        sched.wait(async([] {}));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_async_spawn_join);

// The same with a body that waits once (a suspend and a resume).
void BM_async_spawn_wait_join(benchmark::State& state) {
    local_scheduler sched;
    for (auto _ : state) {
        promise<> p;
        auto f = async([&p] { p.get_future().get(); });
        p.set_value();
        sched.wait(std::move(f));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_async_spawn_wait_join);

// For scale: one task scheduled and run, no context switch.
void BM_plain_task(benchmark::State& state) {
    local_scheduler sched;
    struct noop final : task {
        void run_and_dispose() noexcept override {}
    } t;
    for (auto _ : state) {
        schedule(&t);
        sched.run_one();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_plain_task);

} // namespace
} // namespace seastar

BENCHMARK_MAIN();
