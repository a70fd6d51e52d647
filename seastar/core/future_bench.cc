// ns per operation for the basic shapes of asynchronous code, with this
// framework's futures and, as peers, std::promise/std::future and
// boost::future (BOOST_THREAD_VERSION=4, continuations with launch::sync so
// that they run on the calling thread, the fair single-thread shape).
//
//   bazel run --config=opt //seastar/core:future_bench -- --benchmark_min_time=0.2
#include <boost/thread/future.hpp>

#include <future>
#include <vector>

#include "benchmark/benchmark.h"
#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/when_all.hh"
#include "seastar/util/later.hh"

namespace {

using seastar::future;
using seastar::make_ready_future;

// --- seastar futures ---

void seastar_ready_then(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) {
        v = make_ready_future<int>(v).then([](int x) { return x + 1; }).get();
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(seastar_ready_then);

void seastar_ready_then_empty(benchmark::State& state) {
    for (auto _ : state) {
        auto f = make_ready_future<>().then([] {});
        benchmark::DoNotOptimize(f);
        f.get();
    }
}
BENCHMARK(seastar_ready_then_empty);

void seastar_chain_of_5_thens(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) {
        v = make_ready_future<int>(v)
                    .then([](int x) { return x + 1; })
                    .then([](int x) { return x + 1; })
                    .then([](int x) { return x + 1; })
                    .then([](int x) { return x + 1; })
                    .then([](int x) { return x + 1; })
                    .get();
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(seastar_chain_of_5_thens);

void seastar_promise_wakes_continuation(benchmark::State& state) {
    seastar::local_scheduler sched;
    int v = 0;
    for (auto _ : state) {
        seastar::promise<int> p;
        auto f = p.get_future().then([](int x) { return x + 1; });
        p.set_value(v);
        sched.run_one();
        v = f.get();
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(seastar_promise_wakes_continuation);

future<int> await_ready(int v) {
    int x = co_await make_ready_future<int>(v);
    co_return x + 1;
}

void seastar_co_await_ready(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) {
        v = await_ready(v).get();
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(seastar_co_await_ready);

future<int> after_yield(int v) {
    co_await seastar::yield();
    co_return v + 1;
}

void seastar_coroutine_after_yield(benchmark::State& state) {
    seastar::local_scheduler sched;
    int v = 0;
    for (auto _ : state) {
        auto f = after_yield(v);
        sched.run_one();
        v = f.get();
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(seastar_coroutine_after_yield);

void seastar_when_all_10_ready(benchmark::State& state) {
    for (auto _ : state) {
        std::vector<future<int>> fs;
        fs.reserve(10);
        for (int i = 0; i < 10; ++i) {
            fs.push_back(make_ready_future<int>(i));
        }
        auto r = seastar::when_all(fs.begin(), fs.end()).get();
        benchmark::DoNotOptimize(r);
        for (auto& f : r) {
            f.ignore_ready_future();
        }
    }
}
BENCHMARK(seastar_when_all_10_ready);

void seastar_when_all_10_pending(benchmark::State& state) {
    seastar::local_scheduler sched;
    for (auto _ : state) {
        std::vector<seastar::promise<int>> ps(10);
        std::vector<future<int>> fs;
        fs.reserve(10);
        for (auto& p : ps) {
            fs.push_back(p.get_future());
        }
        auto all = seastar::when_all(fs.begin(), fs.end());
        for (int i = 0; i < 10; ++i) {
            ps[i].set_value(i);
        }
        sched.run_until_idle();
        auto r = all.get();
        benchmark::DoNotOptimize(r);
        for (auto& f : r) {
            f.ignore_ready_future();
        }
    }
}
BENCHMARK(seastar_when_all_10_pending);

// --- std::promise / std::future: no continuations, so a "then" is get() + work ---

void std_ready_then(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) {
        std::promise<int> p;
        p.set_value(v);
        v = p.get_future().get() + 1;
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(std_ready_then);

void std_chain_of_5(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) {
        for (int i = 0; i < 5; ++i) {
            std::promise<int> p;
            p.set_value(v);
            v = p.get_future().get() + 1;
        }
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(std_chain_of_5);

void std_when_all_10(benchmark::State& state) {
    for (auto _ : state) {
        std::vector<std::promise<int>> ps(10);
        std::vector<std::future<int>> fs;
        for (auto& p : ps) {
            fs.push_back(p.get_future());
        }
        for (int i = 0; i < 10; ++i) {
            ps[i].set_value(i);
        }
        int sum = 0;
        for (auto& f : fs) {
            sum += f.get();
        }
        benchmark::DoNotOptimize(sum);
    }
}
BENCHMARK(std_when_all_10);

// --- boost::future with then(launch::sync) ---

struct boost_inc {
    int operator()(boost::future<int> f) const { return f.get() + 1; }
};

void boost_ready_then(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) {
        v = boost::make_ready_future(v).then(boost::launch::sync, [](boost::future<int> f) { return f.get() + 1; }).get();
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(boost_ready_then);

void boost_chain_of_5_thens(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) {
        v = boost::make_ready_future(v)
                    .then(boost::launch::sync, boost_inc{})
                    .then(boost::launch::sync, boost_inc{})
                    .then(boost::launch::sync, boost_inc{})
                    .then(boost::launch::sync, boost_inc{})
                    .then(boost::launch::sync, boost_inc{})
                    .get();
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(boost_chain_of_5_thens);

void boost_promise_wakes_continuation(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) {
        boost::promise<int> p;
        auto f = p.get_future().then(boost::launch::sync, [](boost::future<int> x) { return x.get() + 1; });
        p.set_value(v);
        v = f.get();
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(boost_promise_wakes_continuation);

void boost_when_all_10(benchmark::State& state) {
    for (auto _ : state) {
        std::vector<boost::promise<int>> ps(10);
        std::vector<boost::future<int>> fs;
        for (auto& p : ps) {
            fs.push_back(p.get_future());
        }
        auto all = boost::when_all(fs.begin(), fs.end());
        for (int i = 0; i < 10; ++i) {
            ps[i].set_value(i);
        }
        auto r = all.get();
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(boost_when_all_10);

} // namespace

BENCHMARK_MAIN();
