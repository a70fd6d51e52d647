// Reactor micro-benchmarks: tasks through the loop, timer arm/cancel/fire,
// wake-up latency of a sleeping reactor, per backend where it matters.
//
//   bazel run --config=opt //seastar/core:reactor_bench -- --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/internal/reactor_backend_selector.hh"
#include "seastar/core/pollable_fd.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/timer.hh"

namespace seastar {
namespace {

const std::vector<std::string>& backends() {
    static const std::vector<std::string> names = internal::default_backend_order();
    return names;
}

reactor_config config_for(int backend) {
    reactor_config cfg;
    cfg.backend = backends()[size_t(backend)];
    cfg.handle_sigint_sigterm = false;
    return cfg;
}

// A task that reschedules itself `left` times, then fulfils a promise.
struct chain_task final : task {
    size_t left;
    promise<> done;
    explicit chain_task(size_t n) : left(n) {}
    void run_and_dispose() noexcept override {
        if (--left == 0) {
            done.set_value();
            return; // owned by the benchmark
        }
        engine().add_task(this);
    }
};

void BM_tasks_through_loop(benchmark::State& state) {
    reactor r(config_for(0));
    constexpr size_t batch = 10000;
    r.run([&]() -> future<int> {
        for (auto _ : state) {
            chain_task t(batch);
            auto f = t.done.get_future();
            engine().add_task(&t);
            co_await std::move(f);
        }
        co_return 0;
    });
    state.SetItemsProcessed(int64_t(state.iterations() * batch));
}
BENCHMARK(BM_tasks_through_loop)->UseRealTime();

void BM_timer_arm_cancel(benchmark::State& state) {
    reactor r(config_for(0));
    timer<> t([] {});
    auto when = steady_clock_type::now() + std::chrono::hours(1);
    for (auto _ : state) {
        t.arm(when);
        t.cancel();
    }
}
BENCHMARK(BM_timer_arm_cancel);

void BM_timer_arm_cancel_with_1000_armed(benchmark::State& state) {
    reactor r(config_for(0));
    std::vector<timer<>> others(1000);
    auto now = steady_clock_type::now();
    for (size_t i = 0; i < others.size(); ++i) {
        others[i].arm(now + std::chrono::hours(1) + std::chrono::microseconds(i));
    }
    timer<> t([] {});
    size_t i = 0;
    for (auto _ : state) {
        t.arm(now + std::chrono::hours(1) + std::chrono::microseconds(i++ % 1000));
        t.cancel();
    }
}
BENCHMARK(BM_timer_arm_cancel_with_1000_armed);

// Arm a batch of already-due timers and let the loop fire them.
void BM_timer_fire(benchmark::State& state) {
    reactor r(config_for(0));
    constexpr size_t batch = 1000;
    r.run([&]() -> future<int> {
        std::vector<timer<>> timers(batch);
        size_t fired = 0;
        for (auto& t : timers) {
            t.set_callback([&] { ++fired; });
        }
        for (auto _ : state) {
            fired = 0;
            promise<> done;
            timer<> last([&] { done.set_value(); });
            auto now = steady_clock_type::now();
            for (auto& t : timers) {
                t.arm(now);
            }
            last.arm(now);
            co_await done.get_future();
            benchmark::DoNotOptimize(fired);
        }
        co_return 0;
    });
    state.SetItemsProcessed(int64_t(state.iterations() * batch));
}
BENCHMARK(BM_timer_fire)->UseRealTime();

// Another thread writes an eventfd while the reactor sleeps in its backend;
// the time from the write to the reactor seeing it is the wake-up latency.
void BM_wakeup_latency(benchmark::State& state) {
    auto cfg = config_for(int(state.range(0)));
    cfg.idle_poll_time = std::chrono::nanoseconds(0); // sleep at once: measure the backend's wake-up
    std::string why;
    reactor r(cfg);
    state.SetLabel(std::string(r.backend_name()));
    pollable_fd efd(file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    int fd = efd.get_fd();
    std::atomic<int64_t> sent_at{0};
    std::atomic<bool> go{false}, stop{false};
    std::thread writer([&] {
        while (!stop.load()) {
            if (!go.exchange(false)) {
                std::this_thread::sleep_for(std::chrono::microseconds(50));
                continue;
            }
            // Give the reactor time to fall asleep.
            std::this_thread::sleep_for(std::chrono::microseconds(500));
            sent_at.store(std::chrono::steady_clock::now().time_since_epoch().count());
            uint64_t one = 1;
            [[maybe_unused]] auto w = ::write(fd, &one, sizeof(one));
        }
    });
    r.run([&]() -> future<int> {
        for (auto _ : state) {
            auto readable = efd.readable();
            go.store(true);
            co_await std::move(readable);
            auto now = std::chrono::steady_clock::now().time_since_epoch().count();
            state.SetIterationTime(double(now - sent_at.load()) * 1e-9);
            uint64_t v;
            [[maybe_unused]] auto rd = ::read(fd, &v, sizeof(v));
        }
        co_return 0;
    });
    stop.store(true);
    writer.join();
}
BENCHMARK(BM_wakeup_latency)->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace seastar

BENCHMARK_MAIN();
