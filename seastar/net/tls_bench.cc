// TLS over an in-memory transport: full handshakes per second (client and
// server in one thread, so each iteration is both sides' work) and bulk
// throughput (one side encrypts, the other decrypts).
//
//   bazel run --config=opt //seastar/net:tls_bench -- --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/when_all.hh"
#include "seastar/net/tls.hh"
#include "seastar/net/tls_test_util.hh"

namespace seastar {
namespace {

using tls::testing::cert_path;
using tls::testing::read_file;

reactor_config bench_config() {
    reactor_config cfg;
    cfg.handle_sigint_sigterm = false;
    return cfg;
}

struct creds {
    std::shared_ptr<tls::certificate_credentials> client = std::make_shared<tls::certificate_credentials>();
    std::shared_ptr<tls::server_credentials> server = std::make_shared<tls::server_credentials>();
    creds() {
        constexpr auto PEM = tls::x509_crt_format::PEM;
        client->set_x509_trust(read_file(cert_path("ca.pem")), PEM);
        server->set_x509_key(read_file(cert_path("server.pem")), read_file(cert_path("server.key")), PEM);
    }
};

struct pair_ends {
    data_source cin, sin;
    data_sink cout, sout;
    tls::session c, s;
};

pair_ends make_sessions(creds& cr) {
    auto [a, b] = tls::testing::memory_transport_pair();
    auto c = tls::wrap_client(cr.client, std::move(a.source), std::move(a.sink),
                              {.wait_for_eof_on_shutdown = false, .server_name = "localhost"});
    auto s = tls::wrap_server(cr.server, std::move(b.source), std::move(b.sink));
    auto cin = c.source();
    auto cout = c.sink();
    auto sin = s.source();
    auto sout = s.sink();
    return pair_ends{std::move(cin), std::move(sin), std::move(cout), std::move(sout), std::move(c), std::move(s)};
}

future<> close_all(pair_ends& p) {
    co_await when_all(p.cout.close(), p.sout.close());
    co_await when_all(p.cin.close(), p.sin.close());
}

void BM_handshake(benchmark::State& state) {
    creds cr;
    reactor r(bench_config());
    r.run([&]() -> future<int> {
        for (auto _ : state) {
            auto p = make_sessions(cr);
            co_await when_all_succeed(p.c.handshake(), p.s.handshake());
            co_await close_all(p);
        }
        co_return 0;
    });
    state.counters["handshakes/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
// Rates are per CPU second of the (single) reactor thread: the machine is shared.
BENCHMARK(BM_handshake);

void BM_bulk(benchmark::State& state) {
    creds cr;
    const size_t chunk = size_t(state.range(0));
    constexpr size_t per_iteration = 4 << 20;
    reactor r(bench_config());
    r.run([&]() -> future<int> {
        auto p = make_sessions(cr);
        co_await when_all_succeed(p.c.handshake(), p.s.handshake());
        temporary_buffer<char> payload(chunk);
        std::memset(payload.get_write(), 'x', chunk);
        for (auto _ : state) {
            auto writer = [&]() -> future<> {
                for (size_t sent = 0; sent < per_iteration; sent += chunk) {
                    co_await p.cout.put(payload.share());
                }
            };
            auto reader = [&]() -> future<> {
                size_t got = 0;
                while (got < per_iteration) {
                    got += (co_await p.sin.get()).size();
                }
            };
            co_await when_all_succeed(writer(), reader());
        }
        co_await close_all(p);
        co_return 0;
    });
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(per_iteration));
}
BENCHMARK(BM_bulk)->Arg(1024)->Arg(16 * 1024)->Arg(256 * 1024);

} // namespace
} // namespace seastar

BENCHMARK_MAIN();
