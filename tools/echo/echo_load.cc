// echo_load: a closed-loop load generator for echo_server (and the epoll
// floor). Each of --conns connections sends a --size byte request, waits for
// the whole echo, and repeats, for --duration seconds or until --requests
// requests were answered in total (whichever comes first); with --smp N the
// connections and the request budget are spread over the N shards. Prints requests/s
// and latency percentiles (p50, p99, max) over all requests, on one line
// that bench.sh parses:
//
//   rps=123456 p50_us=41.2 p99_us=90.3 max_us=812.0 requests=617280 errors=0
//
//   echo_load [--address 127.0.0.1] [--port 10000] [--conns 32] [--size 64]
//             [--duration 3] [--requests 0 (no limit)]
//             plus app_template's flags (--smp, --cpuset, --reactor-backend, --help ...)
#include <algorithm>
#include <chrono>
#include <iostream>
#include <vector>

#include <fmt/format.h>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/loop.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/net/api.hh"
#include "seastar/net/posix-stack.hh"
#include "tools/load/load_report.hh"

using namespace seastar;

namespace bpo = boost::program_options;
using clk = std::chrono::steady_clock;

namespace {

struct load_config {
    socket_address addr;
    unsigned conns = 32;
    size_t size = 64;
    double duration = 3;
    uint64_t max_requests = 0;
};

struct load_state {
    clk::time_point deadline;
    uint64_t started = 0;
    uint64_t errors = 0;
    std::vector<uint32_t> latencies_ns;
};

future<> one_connection(const load_config& cfg, load_state& st) {
    connected_socket c;
    try {
        c = co_await seastar::connect(cfg.addr);
    } catch (const std::exception& e) {
        ++st.errors;
        std::cerr << "echo_load: " << e.what() << "\n";
        co_return;
    }
    c.set_nodelay(true);
    auto in = c.input();
    auto out = c.output();
    std::string req(cfg.size, 'r');
    try {
        while (clk::now() < st.deadline && (!cfg.max_requests || st.started < cfg.max_requests)) {
            ++st.started;
            auto t0 = clk::now();
            co_await out.write(req);
            co_await out.flush();
            auto rep = co_await in.read_exactly(cfg.size);
            if (rep.size() != cfg.size) {
                ++st.errors;
                break;
            }
            st.latencies_ns.push_back(uint32_t(std::min<int64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(clk::now() - t0).count(), UINT32_MAX)));
        }
    } catch (const std::exception& e) {
        ++st.errors;
        std::cerr << "echo_load: " << e.what() << "\n";
    }
    try {
        co_await out.close();
    } catch (...) {
    }
    co_await in.close();
}

} // namespace

int main(int ac, char** av) {
    app_template app(load::app_config("echo_load", "a closed-loop load generator for echo servers"));
    // clang-format off
    app.add_options()
        ("address", bpo::value<std::string>()->default_value("127.0.0.1"), "server address")
        ("port", bpo::value<uint16_t>()->default_value(10000), "server port")
        ("conns", bpo::value<unsigned>()->default_value(32), "connections, each with one request in flight")
        ("size", bpo::value<size_t>()->default_value(64), "request (and response) size in bytes")
        ("duration", bpo::value<double>()->default_value(3), "seconds to run (at most 600)")
        ("requests", bpo::value<uint64_t>()->default_value(0),
         "stop after this many answered requests in total (0: no limit)");
    // clang-format on
    return app.run(ac, av, [&]() -> future<int> {
        auto& opts = app.configuration();
        load_config cfg;
        cfg.addr = socket_address(net::inet_address(opts["address"].as<std::string>()), opts["port"].as<uint16_t>());
        cfg.conns = std::max(1u, opts["conns"].as<unsigned>());
        cfg.size = std::max<size_t>(1, opts["size"].as<size_t>());
        cfg.duration = std::clamp(opts["duration"].as<double>(), 0.0, 600.0);
        cfg.max_requests = opts["requests"].as<uint64_t>();
        auto start = clk::now();
        auto deadline = start + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(cfg.duration));
        // The connections (and the request budget) spread over the shards.
        unsigned active = std::min(smp::count, cfg.conns);
        std::vector<future<load_state>> per_shard;
        for (unsigned s = 0; s < active; ++s) {
            load_config c = cfg;
            c.conns = cfg.conns / active + (s < cfg.conns % active);
            c.max_requests = cfg.max_requests ? cfg.max_requests / active + (s < cfg.max_requests % active) : 0;
            if (cfg.max_requests && c.max_requests == 0) {
                continue;
            }
            per_shard.push_back(smp::submit_to(s, [c, deadline]() -> future<load_state> {
                load_state st;
                st.deadline = deadline;
                st.latencies_ns.reserve(1 << 20);
                std::vector<unsigned> ids(c.conns);
                co_await parallel_for_each(ids, [&](unsigned) { return one_connection(c, st); });
                co_return st;
            }));
        }
        load_state st;
        for (auto& f : per_shard) {
            auto one = co_await std::move(f);
            st.errors += one.errors;
            st.latencies_ns.insert(st.latencies_ns.end(), one.latencies_ns.begin(), one.latencies_ns.end());
        }
        double secs = std::chrono::duration<double>(clk::now() - start).count();
        auto& l = st.latencies_ns;
        std::sort(l.begin(), l.end());
        auto pct = [&](double p) {
            return l.empty() ? 0.0 : l[std::min(l.size() - 1, size_t(p * double(l.size())))] / 1e3;
        };
        std::cout << fmt::format("rps={:.0f} p50_us={:.1f} p99_us={:.1f} max_us={:.1f} requests={} errors={}\n",
                                 double(l.size()) / secs, pct(0.50), pct(0.99), l.empty() ? 0.0 : l.back() / 1e3,
                                 l.size(), st.errors)
                  << std::flush;
        co_return st.errors ? 1 : 0;
    });
}
