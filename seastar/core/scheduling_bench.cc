// Cost of the scheduling-group scheduler, and the lag a latency-sensitive
// group sees beside a CPU-bound one.
//
//   bazel run --config=opt //seastar/core:scheduling_bench -- --benchmark_min_time=0.2
//
// BM_tasks_in_groups/N: tasks per second through the loop when the work is
// spread over N busy groups (N=1: the default group only) - the price of
// per-group queues, virtual-runtime accounting and group switches.
// BM_wakeup_lag: a group with shares 1000 is woken every millisecond by a
// timer while a group with shares 100 keeps the shard busy; the counters are
// the time from the wake-up task being queued to it running (percentiles).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/timer.hh"
#include "seastar/core/with_scheduling_group.hh"
#include "seastar/util/later.hh"

namespace seastar {
namespace {

reactor_config bench_config() {
    reactor_config cfg;
    cfg.handle_sigint_sigterm = false;
    return cfg;
}

// A task that reschedules itself `left` times in its group, then fulfils a promise.
struct chain_task final : task {
    size_t left;
    promise<> done;
    chain_task(scheduling_group sg, size_t n) : task(sg), left(n) {}
    void run_and_dispose() noexcept override {
        if (--left == 0) {
            done.set_value();
            return; // owned by the benchmark
        }
        engine().add_task(this);
    }
};

void BM_tasks_in_groups(benchmark::State& state) {
    const auto n = size_t(state.range(0));
    constexpr size_t batch = 40000;
    reactor r(bench_config());
    r.run([&]() -> future<int> {
        std::vector<scheduling_group> groups;
        if (n == 1) {
            groups.push_back(default_scheduling_group());
        } else {
            for (size_t i = 0; i < n; ++i) {
                groups.push_back(co_await create_scheduling_group("g" + std::to_string(i), 100));
            }
        }
        for (auto _ : state) {
            std::vector<std::unique_ptr<chain_task>> chains;
            std::vector<future<>> done;
            for (auto sg : groups) {
                chains.push_back(std::make_unique<chain_task>(sg, batch / n));
                done.push_back(chains.back()->done.get_future());
                engine().add_task(chains.back().get());
            }
            for (auto& f : done) {
                co_await std::move(f);
            }
        }
        for (auto sg : groups) {
            if (!sg.is_main()) {
                co_await destroy_scheduling_group(sg);
            }
        }
        co_return 0;
    });
    state.SetItemsProcessed(int64_t(state.iterations() * batch));
}
BENCHMARK(BM_tasks_in_groups)->Arg(1)->Arg(8)->UseRealTime();

void spin(unsigned iterations) {
    uint64_t x = 1;
    for (unsigned i = 0; i < iterations; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        asm volatile("" : "+r"(x));
    }
}

void BM_wakeup_lag(benchmark::State& state) {
    const float busy_shares = float(state.range(0));
    constexpr int samples = 300;
    std::vector<double> lags;
    uint64_t busy_tasks = 0;
    reactor r(bench_config());
    r.run([&]() -> future<int> {
        auto fast = co_await create_scheduling_group("latency", 1000);
        auto slow = co_await create_scheduling_group("batch", busy_shares);
        for (auto _ : state) {
            bool stop = false;
            std::vector<future<>> workers;
            for (int i = 0; i < 4; ++i) {
                workers.push_back(with_scheduling_group(slow, [&stop]() -> future<> {
                    while (!stop) {
                        spin(5000);
                        co_await yield();
                    }
                }));
            }
            promise<> finished;
            int left = samples;
            timer<> tick([&] {
                auto queued = std::chrono::steady_clock::now();
                (void)with_scheduling_group(fast, [&, queued] {
                    lags.push_back(
                        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - queued).count());
                    if (--left == 0) {
                        finished.set_value();
                    }
                });
            });
            tick.arm_periodic(std::chrono::milliseconds(1));
            co_await finished.get_future();
            tick.cancel();
            stop = true;
            for (auto& f : workers) {
                co_await std::move(f);
            }
        }
        busy_tasks = engine().get_scheduling_group_stats(slow).tasks_processed;
        co_await destroy_scheduling_group(fast);
        co_await destroy_scheduling_group(slow);
        co_return 0;
    });
    std::sort(lags.begin(), lags.end());
    auto pct = [&](double p) { return lags.empty() ? 0 : lags[std::min(lags.size() - 1, size_t(p * lags.size()))]; };
    state.counters["lag_p50_us"] = pct(0.5);
    state.counters["lag_p99_us"] = pct(0.99);
    state.counters["lag_max_us"] = lags.empty() ? 0 : lags.back();
    state.counters["busy_tasks"] = double(busy_tasks);
}
// Arg: the busy group's shares (100 as asked; 1000 for comparison, equal shares).
BENCHMARK(BM_wakeup_lag)->Arg(100)->Arg(1000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

} // namespace
} // namespace seastar

BENCHMARK_MAIN();
