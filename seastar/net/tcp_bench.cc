// TCP through the in-memory wire of tcp_test_util (1 ms each way, manual
// clock): one stream of 8 MiB per iteration, NewReno vs CUBIC, with and
// without loss. Two figures: how fast the stack's code runs (bytes_per_second,
// CPU of sender and receiver together) and the goodput the simulated link
// reached (sim_MBps: bytes / simulated seconds, which depends only on the
// algorithms, not on the machine).
//
//   bazel run --config=opt //seastar/net:tcp_bench -- --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <chrono>

#include "seastar/core/local_scheduler.hh"
#include "seastar/net/tcp.hh"
#include "seastar/net/tcp_test_util.hh"

namespace seastar::net {
namespace {

using namespace testing;

void bm_transfer(benchmark::State& state) {
    auto algo = state.range(0) ? tcp_congestion_algorithm::cubic : tcp_congestion_algorithm::newreno;
    double loss = state.range(1) / 1000.0;
    constexpr uint64_t bytes = 8 << 20;
    uint64_t seed = 1;
    double sim_seconds = 0;
    uint64_t retransmits = 0;
    std::string chunk(64 * 1024, 'x');
    for (auto _ : state) {
        local_scheduler sched;
        wire w({seed++, loss, 0, 0});
        tcp_config cfg;
        cfg.congestion = algo;
        cfg.min_rto = std::chrono::milliseconds(20);
        mtcp ta(w.a, cfg), tb(w.b, cfg);
        w.tcp[0] = &ta;
        w.tcp[1] = &tb;
        auto l = tb.listen(0, 80);
        auto fc = ta.connect(ip_a, ip_b, 80);
        auto fa = l.accept();
        w.run(sched, [&] { return fc.available() && fa.available(); }, 10000);
        auto a = fc.get();
        auto b = fa.get();
        auto start = manual_clock::now();
        uint64_t sent = 0, got = 0;
        std::optional<future<>> pending;
        w.run(
            sched,
            [&] {
                if (pending && pending->available()) {
                    std::exchange(pending, std::nullopt)->get();
                }
                while (!pending && sent < bytes) {
                    auto f = a.send(packet(chunk.data(), chunk.size()));
                    sent += chunk.size();
                    if (!f.available()) {
                        pending.emplace(std::move(f));
                    } else {
                        f.get();
                    }
                }
                got += b.read().len();
                return got >= bytes;
            },
            10000000);
        sim_seconds += std::chrono::duration<double>(manual_clock::now() - start).count();
        retransmits += ta.stats().retransmitted_segments;
        a.abort();
    }
    state.SetBytesProcessed(int64_t(state.iterations() * bytes));
    state.counters["sim_MBps"] = double(state.iterations() * bytes) / sim_seconds / 1e6;
    state.counters["retransmits"] = double(retransmits) / double(state.iterations());
}

BENCHMARK(bm_transfer)
    ->ArgNames({"cubic", "loss_permille"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 10})
    ->Args({1, 10})
    ->Unit(benchmark::kMillisecond);

} // namespace
} // namespace seastar::net

BENCHMARK_MAIN();
