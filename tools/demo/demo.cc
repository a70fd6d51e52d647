// A demo of what the framework has, on one reactor started by app_template:
// a pipeline of coroutines joined by bounded queues, a semaphore limiting
// concurrent timers, a stackful thread waiting on futures, blocking work on
// the syscall thread, and the reactor's own counters at the end.
//
//     bazel run --config=opt //tools/demo -- --reactor-backend=io_uring
#include <sys/stat.h>

#include <chrono>
#include <vector>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/internal/reactor_backend.hh"
#include "seastar/core/loop.hh"
#include "seastar/core/queue.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/semaphore.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/thread.hh"
#include "seastar/core/when_all.hh"
#include "seastar/util/log.hh"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

seastar::logger demo_log("demo");

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// Stage 1 -> 2 -> 3: numbers, their squares, their sum; queues of 8 give
// back-pressure between the coroutines. -1 ends the stream.
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

seastar::future<bool> pipeline() {
    constexpr long n = 200000;
    seastar::queue<long> a(8), b(8);
    auto start = clock_type::now();
    // As in Seastar, when_all_succeed drops the results of future<>s.
    auto [total] = co_await seastar::when_all_succeed(sum(b), generate(a, n), square(a, b));
    long expect = n * (n + 1) * (2 * n + 1) / 6;
    demo_log.info("pipeline: sum of squares 1..{} = {} ({}) in {:.1f} ms", n, total, total == expect ? "ok" : "WRONG",
                  ms_since(start));
    co_return total == expect;
}

// 12 sleeps of 20 ms, at most 4 at a time: about 3 rounds of 20 ms.
seastar::future<bool> limited_timers() {
    seastar::semaphore sem(4);
    int in_flight = 0, max_in_flight = 0;
    auto start = clock_type::now();
    co_await seastar::parallel_for_each(std::vector<int>(12), [&](int) -> seastar::future<> {
        auto units = co_await seastar::get_units(sem, 1);
        max_in_flight = std::max(max_in_flight, ++in_flight);
        co_await seastar::sleep(20ms);
        --in_flight;
    });
    double ms = ms_since(start);
    demo_log.info("12 timers of 20 ms under semaphore(4): {:.1f} ms, at most {} at once", ms, max_in_flight);
    co_return max_in_flight == 4 && ms >= 60;
}

// A stackful thread: future::get() blocks only the thread; blocking work
// (stat) runs on the syscall thread.
seastar::future<bool> thread_and_blocking() {
    return seastar::async([] {
        auto start = clock_type::now();
        seastar::sleep(5ms).get();
        struct stat st{};
        int r = seastar::engine().run_blocking([&st] { return ::stat("/", &st); }).get();
        demo_log.info("thread: slept and stat(\"/\") on the syscall thread ({}) in {:.1f} ms",
                      r == 0 && S_ISDIR(st.st_mode) ? "a directory" : "FAILED", ms_since(start));
        return r == 0;
    });
}

} // namespace

int main(int ac, char** av) {
    seastar::app_template app({.name = "demo", .description = "A tour of the framework on one reactor"});
    return app.run(ac, av, []() -> seastar::future<int> {
        demo_log.info("reactor backend: {}", seastar::engine().backend().name());
        bool ok = co_await pipeline();
        ok = co_await limited_timers() && ok;
        ok = co_await thread_and_blocking() && ok;
        auto st = seastar::engine().get_stats();
        demo_log.info("reactor: {} tasks, {} loop turns, {} sleeps, {} timers fired", st.tasks_processed, st.loop_turns,
                      st.sleeps, st.timers_fired);
        co_return ok ? 0 : 1;
    });
}
