// Bulk TCP through the native stack: two native stacks in one reactor,
// back to back over the pair device (clean, or through the fault device
// with 1% loss), moving 100 MiB per iteration over connected_socket streams
// (64 KiB writes). The named peer, in the same run: the POSIX stack over
// loopback (Linux's TCP), client and server in the same reactor. Wall-clock
// rates; both ends' work is in each figure.
//
//   bazel run --config=opt //seastar/net:native_stack_tcp_bench -- --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>

#include "seastar/core/coroutine.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/when_all.hh"
#include "seastar/net/fault-device.hh"
#include "seastar/net/native-stack.hh"
#include "seastar/net/pair-device.hh"
#include "seastar/net/posix-stack.hh"

namespace seastar::net {
namespace {

constexpr uint64_t bytes_per_iteration = 100 << 20; // a multiple of write_size
constexpr std::size_t write_size = 64 * 1024;

reactor_config bench_config() {
    reactor_config cfg;
    cfg.handle_sigint_sigterm = false;
    return cfg;
}

future<> send_all(connected_socket& c) {
    auto out = c.output(write_size);
    temporary_buffer<char> payload(write_size);
    std::memset(payload.get_write(), 'x', write_size);
    for (uint64_t sent = 0; sent < bytes_per_iteration; sent += write_size) {
        co_await out.write(payload.share());
    }
    co_await out.close();
}

future<uint64_t> receive_all(connected_socket& c) {
    auto in = c.input();
    uint64_t got = 0;
    for (;;) {
        auto b = co_await in.read();
        if (b.empty()) {
            break;
        }
        got += b.size();
    }
    co_await in.close();
    co_return got;
}

// One 100 MiB stream from `client` to a listener of `server` at `addr`.
future<uint64_t> one_stream(network_stack& server, network_stack& client, socket_address addr) {
    auto ss = server.listen(addr, listen_options{.reuse_address = true});
    auto accepted = ss.accept();
    auto c = co_await client.socket().connect(ss.local_address());
    auto ar = co_await std::move(accepted);
    auto [got] = co_await when_all_succeed(send_all(c), receive_all(ar.connection));
    ss.abort_accept();
    co_return got;
}

// 0: POSIX stack over loopback; 1: native, clean cable; 2: native, 1% loss.
void bm_stream(benchmark::State& state) {
    int kind = int(state.range(0));
    reactor r(bench_config());
    uint64_t total = 0;
    uint64_t retransmitted = 0;
    r.run([&]() -> future<int> {
        uint64_t seed = 1;
        for (auto _ : state) {
            if (kind == 0) {
                posix_network_stack posix;
                total += co_await one_stream(posix, posix, socket_address(ipv4_addr("127.0.0.1", 0)));
                continue;
            }
            auto [da, db] = make_device_pair();
            std::shared_ptr<device> dev_a = da, dev_b = db;
            if (kind == 2) {
                fault_config fc{.drop = 0.01};
                dev_a = make_fault_device(da, fault_options{.seed = seed++, .tx = fc});
                dev_b = make_fault_device(db, fault_options{.seed = seed++, .tx = fc});
            }
            native_network_stack a(dev_a, native_stack_config{.host = ipv4_address(0xc0000201)});
            native_network_stack b(dev_b, native_stack_config{.host = ipv4_address(0xc0000202)});
            total += co_await one_stream(a, b, socket_address(ipv4_addr(0xc0000201, 5000)));
            retransmitted += b.tcp().stats().retransmitted_segments;
        }
        co_return 0;
    });
    if (total != uint64_t(state.iterations()) * bytes_per_iteration) {
        state.SkipWithError("a stream lost bytes");
    }
    state.SetBytesProcessed(int64_t(total));
    state.counters["retransmitted"] = double(retransmitted) / double(std::max<int64_t>(state.iterations(), 1));
}
BENCHMARK(bm_stream)->ArgName("stack")->Arg(0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

} // namespace
} // namespace seastar::net

BENCHMARK_MAIN();
