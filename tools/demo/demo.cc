// A demo of the futures layer, driven by the run-until-idle scheduler:
// a pipeline of coroutines joined by bounded queues, a semaphore limiting
// concurrent work, a gate waiting for it all, and the cost of continuations.
#include <chrono>
#include <cstdio>
#include <exception>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/gate.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/queue.hh"
#include "seastar/core/semaphore.hh"

namespace {

using clock_type = std::chrono::steady_clock;

// Stage 1 -> 2 -> 3: numbers, their squares, their sum. Each stage is a
// coroutine; queues of 8 give back-pressure between them.
seastar::future<> generate(seastar::queue<long>& out, long n) {
    for (long i = 1; i <= n; ++i) {
        co_await out.push_eventually(long(i));
    }
    co_await out.push_eventually(-1L);
}

seastar::future<> square(seastar::queue<long>& in, seastar::queue<long>& out) {
    for (;;) {
        long v = co_await in.pop_eventually();
        co_await out.push_eventually(v < 0 ? v : v * v);
        if (v < 0) {
            co_return;
        }
    }
}

seastar::future<long> sum(seastar::queue<long>& in) {
    long total = 0;
    for (long v; (v = co_await in.pop_eventually()) >= 0;) {
        total += v;
    }
    co_return total;
}

// Work items that each hold one of `limit` semaphore units, tracked by a gate.
seastar::future<> limited_work(seastar::semaphore& sem, seastar::gate& g, int id, int& max_in_flight, int& in_flight,
                               seastar::promise<>& release) {
    auto holder = g.hold();
    auto units = co_await seastar::get_units(sem, 1);
    max_in_flight = std::max(max_in_flight, ++in_flight);
    co_await release.get_future().then([] {}).handle_exception([](std::exception_ptr) {});
    --in_flight;
}

} // namespace

int main() {
    seastar::local_scheduler sched;

    // 1. A pipeline of three coroutines.
    constexpr long n = 100000;
    seastar::queue<long> a(8), b(8);
    auto start = clock_type::now();
    auto g1 = generate(a, n);
    auto g2 = square(a, b);
    long total = sched.wait(sum(b));
    sched.wait(std::move(g1));
    sched.wait(std::move(g2));
    double ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
    long expect = n * (n + 1) * (2 * n + 1) / 6;
    std::printf("pipeline: sum of squares 1..%ld = %ld (%s) in %.1f ms\n", n, total, total == expect ? "ok" : "WRONG",
                ms);

    // 2. A semaphore of 3 units limits 10 work items; a gate waits for all.
    seastar::semaphore sem(3);
    seastar::gate g;
    int max_in_flight = 0, in_flight = 0;
    std::vector<seastar::promise<>> releases(10);
    std::vector<seastar::future<>> work;
    for (int i = 0; i < 10; ++i) {
        work.push_back(limited_work(sem, g, i, max_in_flight, in_flight, releases[i]));
    }
    sched.run_until_idle();
    for (auto& r : releases) {
        r.set_value();
        sched.run_until_idle();
    }
    sched.wait(g.close());
    for (auto& f : work) {
        sched.wait(std::move(f));
    }
    std::printf("semaphore(3) over 10 items: at most %d ran at once (%s)\n", max_in_flight,
                max_in_flight == 3 ? "ok" : "WRONG");

    // 3. The cost of a continuation woken by a promise.
    constexpr int rounds = 1000000;
    start = clock_type::now();
    long counted = 0;
    for (int i = 0; i < rounds; ++i) {
        seastar::promise<int> p;
        auto f = p.get_future().then([&counted](int v) { counted += v; });
        p.set_value(1);
        sched.run_until_idle();
        sched.wait(std::move(f));
    }
    double ns = std::chrono::duration<double, std::nano>(clock_type::now() - start).count() / rounds;
    std::printf("promise -> continuation -> scheduler: %.1f ns per round (%ld rounds)\n", ns, counted);

    bool ok = total == expect && max_in_flight == 3 && counted == rounds;
    return ok ? 0 : 1;
}
