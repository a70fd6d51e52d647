// memcached_load: a closed-loop load generator for memcached servers (text
// protocol), on every shard of this framework.
//
// --conns connections are spread over the shards; each keeps --pipeline
// requests in flight (sent together, answered in order), picks keys
// uniformly from --keys keys and sends a get with probability --get-ratio,
// otherwise a set of --value-size bytes. Before measuring, every key is set
// once (--prefill). Runs for --duration seconds or until --requests answered
// requests (whichever comes first), prints a progress line each second on
// stderr and, at the end, one line that scripts parse:
//
//   ops=512345 p50_us=41.2 p99_us=90.3 p999_us=150.0 max_us=812.0 requests=2561725 hits=... misses=... errors=0
//
//   memcached_load [--address 127.0.0.1] [--port 11211] [--conns 16] [--pipeline 1]
//                  [--keys 10000] [--value-size 32] [--get-ratio 0.9] [--duration 5]
//                  [--requests 0] [--prefill true]
//                  plus app_template's flags (--smp, --cpuset, --reactor-backend, --help ...)
#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/loop.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/net/api.hh"
#include "tools/load/load_report.hh"

using namespace seastar;
using clk = load::clock;
namespace bpo = boost::program_options;

namespace {

struct config {
    socket_address addr;
    unsigned conns = 16;
    unsigned pipeline = 1;
    unsigned keys = 10000;
    unsigned value_size = 32;
    double get_ratio = 0.9;
    double duration = 5;
    uint64_t max_requests = 0;
    bool prefill = true;
};

struct shard_result {
    load::latency_histogram hist;
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t errors = 0;
};

std::string key_name(unsigned k) {
    return fmt::format("key:{:010}", k);
}

// Counts complete replies in a byte stream of text-protocol replies.
class reply_scanner {
    std::string _buf;
    size_t _pos = 0;

public:
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t errors = 0;
    bool in_get = false; // inside VALUE ... END

    void feed(const char* p, size_t n) {
        if (_pos == _buf.size()) {
            _buf.clear();
            _pos = 0;
        }
        _buf.append(p, n);
    }
    // Returns the number of complete replies now available.
    unsigned take() {
        unsigned done = 0;
        for (;;) {
            auto nl = _buf.find("\r\n", _pos);
            if (nl == std::string::npos) {
                break;
            }
            std::string_view line(_buf.data() + _pos, nl - _pos);
            if (line.substr(0, 6) == "VALUE ") {
                // "VALUE key flags bytes [cas]": the bytes are the 4th token.
                std::vector<std::string_view> t;
                size_t s = 0;
                while (s < line.size()) {
                    auto e = std::min(line.find(' ', s), line.size());
                    t.push_back(line.substr(s, e - s));
                    s = e + 1;
                }
                size_t len = t.size() >= 4 ? std::stoul(std::string(t[3])) : 0;
                if (_buf.size() < nl + 2 + len + 2) {
                    break; // the data block has not arrived
                }
                _pos = nl + 2 + len + 2;
                in_get = true;
                continue;
            }
            _pos = nl + 2;
            if (line == "END") {
                ++(in_get ? hits : misses);
                in_get = false;
            } else if (line != "STORED") {
                ++errors;
            }
            ++done;
        }
        return done;
    }
};

future<> one_connection(const config& cfg, shard_result& res, unsigned seed, clk::time_point deadline) {
    connected_socket c;
    try {
        c = co_await seastar::connect(cfg.addr);
    } catch (const std::exception& e) {
        ++res.errors;
        std::cerr << "memcached_load: " << e.what() << "\n";
        co_return;
    }
    c.set_nodelay(true);
    auto in = c.input();
    auto out = c.output();
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<unsigned> key_dist(0, cfg.keys - 1);
    std::bernoulli_distribution is_get(cfg.get_ratio);
    std::string value(cfg.value_size, 'v');
    std::string batch;
    reply_scanner sc;
    try {
        while (!load::stopping_here() && clk::now() < deadline) {
            batch.clear();
            for (unsigned i = 0; i < cfg.pipeline; ++i) {
                auto k = key_name(key_dist(rng));
                if (is_get(rng)) {
                    batch += fmt::format("get {}\r\n", k);
                } else {
                    batch += fmt::format("set {} 0 0 {}\r\n{}\r\n", k, value.size(), value);
                }
            }
            auto t0 = clk::now();
            co_await out.write(batch);
            co_await out.flush();
            unsigned got = 0;
            while (got < cfg.pipeline) {
                auto b = co_await in.read();
                if (b.empty()) {
                    throw std::runtime_error("server closed the connection");
                }
                sc.feed(b.get(), b.size());
                got += sc.take();
            }
            auto ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(clk::now() - t0).count());
            res.hist.add(ns, cfg.pipeline);
            load::count_answered(cfg.pipeline, cfg.max_requests);
        }
    } catch (const std::exception& e) {
        ++res.errors;
        std::cerr << "memcached_load: " << e.what() << "\n";
    }
    res.hits += sc.hits;
    res.misses += sc.misses;
    res.errors += sc.errors;
    try {
        co_await out.close();
    } catch (...) {
    }
    co_await in.close();
}

future<uint64_t> prefill(const config& cfg) {
    auto c = co_await seastar::connect(cfg.addr);
    auto in = c.input();
    auto out = c.output();
    std::string value(cfg.value_size, 'v');
    reply_scanner sc;
    uint64_t errors = 0;
    for (unsigned first = this_shard_id(); first < cfg.keys;) {
        std::string batch;
        unsigned n = 0;
        for (; n < 100 && first < cfg.keys; ++n, first += smp::count) {
            batch += fmt::format("set {} 0 0 {}\r\n{}\r\n", key_name(first), value.size(), value);
        }
        co_await out.write(batch);
        co_await out.flush();
        unsigned got = 0;
        while (got < n) {
            auto b = co_await in.read();
            if (b.empty()) {
                throw std::runtime_error("server closed the connection during prefill");
            }
            sc.feed(b.get(), b.size());
            got += sc.take();
        }
    }
    errors += sc.errors;
    co_await out.close();
    co_await in.close();
    co_return errors;
}

} // namespace

int main(int ac, char** av) {
    app_template app(load::app_config("memcached_load", "a closed-loop load generator for memcached servers"));
    app.add_options()("address", bpo::value<std::string>()->default_value("127.0.0.1"),
                      "server address")("port", bpo::value<uint16_t>()->default_value(11211), "server port")(
        "conns", bpo::value<unsigned>()->default_value(16), "connections in total, spread over the shards")(
        "pipeline", bpo::value<unsigned>()->default_value(1),
        "requests in flight per connection")("keys", bpo::value<unsigned>()->default_value(10000), "key space")(
        "value-size", bpo::value<unsigned>()->default_value(32), "value size in bytes")(
        "get-ratio", bpo::value<double>()->default_value(0.9), "share of gets (the rest are sets), 0..1")(
        "duration", bpo::value<double>()->default_value(5),
        "seconds to run (at most 600)")("requests", bpo::value<uint64_t>()->default_value(0),
                                        "stop after this many answered requests in total (0: no limit)")(
        "prefill", bpo::value<bool>()->default_value(true), "set every key once before measuring");
    return app.run(ac, av, [&]() -> future<int> {
        auto& vm = app.configuration();
        config cfg;
        cfg.addr =
            socket_address(net::inet_address(vm["address"].as<std::string>()), uint16_t(vm["port"].as<uint16_t>()));
        cfg.conns = std::max(1u, vm["conns"].as<unsigned>());
        cfg.pipeline = std::clamp(vm["pipeline"].as<unsigned>(), 1u, 1024u);
        cfg.keys = std::max(1u, vm["keys"].as<unsigned>());
        cfg.value_size = vm["value-size"].as<unsigned>();
        cfg.get_ratio = std::clamp(vm["get-ratio"].as<double>(), 0.0, 1.0);
        cfg.duration = std::clamp(vm["duration"].as<double>(), 0.0, 600.0);
        cfg.max_requests = vm["requests"].as<uint64_t>();
        cfg.prefill = vm["prefill"].as<bool>();
        if (cfg.value_size > (1u << 20)) {
            std::cerr << "memcached_load: --value-size above 1 MiB\n";
            co_return 2;
        }
        if (cfg.prefill) {
            uint64_t errors = 0;
            try {
                for (unsigned s = 0; s < smp::count; ++s) {
                    errors += co_await smp::submit_to(s, [&cfg] { return prefill(cfg); });
                }
            } catch (const std::exception& e) {
                std::cerr << "memcached_load: prefill: " << e.what() << "\n";
                co_return 1;
            }
            if (errors) {
                std::cerr << "memcached_load: prefill: " << errors << " sets failed\n";
                co_return 1;
            }
        }
        auto start = clk::now();
        auto deadline = start + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(cfg.duration));
        std::vector<shard_result> results(smp::count);
        bool running = true;
        auto reporter = load::report_progress(running, start, "memcached_load", "ops", "requests");
        co_await smp::invoke_on_all([&cfg, &results, deadline] {
            unsigned me = this_shard_id();
            unsigned mine = load::connections_here(cfg.conns);
            std::vector<unsigned> ids(mine);
            for (unsigned i = 0; i < mine; ++i) {
                ids[i] = me + i * smp::count;
            }
            return parallel_for_each(ids, [&cfg, &results, me, deadline](unsigned id) {
                return one_connection(cfg, results[me], 1000 + id, deadline);
            });
        });
        double secs = std::chrono::duration<double>(clk::now() - start).count();
        running = false;
        co_await std::move(reporter);
        shard_result all;
        for (auto& r : results) {
            all.hist.merge(r.hist);
            all.hits += r.hits;
            all.misses += r.misses;
            all.errors += r.errors;
        }
        uint64_t n = all.hist.count();
        std::cout << fmt::format(
                         "ops={:.0f} p50_us={:.1f} p99_us={:.1f} p999_us={:.1f} max_us={:.1f} requests={} hits={} "
                         "misses={} errors={}\n",
                         double(n) / secs, all.hist.percentile_us(0.50), all.hist.percentile_us(0.99),
                         all.hist.percentile_us(0.999), all.hist.max_us(), n, all.hits, all.misses, all.errors)
                  << std::flush;
        co_return all.errors ? 1 : 0;
    });
}
