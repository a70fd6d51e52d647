// seawreck: an HTTP/1.1 load generator on the framework. --conns connections
// are spread over the shards; each sends --pipeline GET requests at a time
// (keep-alive), waits for all their replies (Content-Length or chunked) and
// repeats, for --duration seconds or until --requests replies in total.
// Without keep-alive (--keep-alive 0) each request opens its own connection.
// Prints a progress line each second on stderr and, at the end, one line:
//
//   rps=123456 p50_us=41.2 p90_us=60.1 p99_us=90.3 p999_us=150.0 max_us=812.0 requests=617280 non2xx=0 errors=0
//
//   seawreck [--address 127.0.0.1] [--port 10000] [--path /] [--host localhost]
//            [--conns 32] [--pipeline 1] [--keep-alive 1] [--duration 5] [--requests 0]
//            plus app_template's options (--smp, --cpuset, --reactor-backend, --help ...)
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/net/api.hh"
#include "seastar/net/inet_address.hh"
#include "tools/load/load_report.hh"

using namespace seastar;
using clk = load::clock;
namespace bpo = boost::program_options;

namespace {

struct config {
    socket_address addr;
    std::string request;
    unsigned conns = 32;
    unsigned pipeline = 1;
    bool keep_alive = true;
    double duration = 5;
    uint64_t max_requests = 0;
};

struct shard_result {
    load::latency_histogram hist;
    uint64_t non2xx = 0;
    uint64_t errors = 0;
};

// Finds complete replies in the byte stream (heads, then a Content-Length or
// chunked body); bodies are skipped, not kept.
class reply_scanner {
    std::string _buf;
    size_t _pos = 0;

    static bool iequal_prefix(std::string_view s, std::string_view prefix) {
        if (s.size() < prefix.size()) {
            return false;
        }
        for (size_t i = 0; i < prefix.size(); ++i) {
            if (std::tolower(uint8_t(s[i])) != std::tolower(uint8_t(prefix[i]))) {
                return false;
            }
        }
        return true;
    }

    // The end of a chunked body starting at `p`, or npos if incomplete.
    size_t chunked_end(size_t p) const {
        for (int i = 0; i < 1'000'000; ++i) {
            auto eol = _buf.find("\r\n", p);
            if (eol == std::string::npos) {
                return std::string::npos;
            }
            size_t size = std::stoul(_buf.substr(p, eol - p), nullptr, 16);
            if (!size) {
                auto end = _buf.find("\r\n", eol + 2);
                // No trailers expected: "0\r\n\r\n".
                return end == std::string::npos ? end : end + 2;
            }
            p = eol + 2 + size + 2;
            if (p > _buf.size()) {
                return std::string::npos;
            }
        }
        throw std::runtime_error("too many chunks");
    }

public:
    uint64_t non2xx = 0;

    void feed(const char* p, size_t n) {
        if (_pos == _buf.size()) {
            _buf.clear();
            _pos = 0;
        } else if (_pos > 65536) {
            _buf.erase(0, _pos);
            _pos = 0;
        }
        _buf.append(p, n);
    }
    // The number of replies completed by what was fed.
    unsigned take() {
        unsigned done = 0;
        for (;;) {
            auto head_end = _buf.find("\r\n\r\n", _pos);
            if (head_end == std::string::npos) {
                break;
            }
            std::string_view head(_buf.data() + _pos, head_end - _pos);
            if (head.size() < 12 || !head.starts_with("HTTP/1.")) {
                throw std::runtime_error("malformed reply");
            }
            bool ok = head[9] == '2';
            size_t body_start = head_end + 4;
            size_t end = body_start;
            bool chunked = false;
            size_t len = 0;
            for (size_t l = head.find("\r\n"); l != std::string_view::npos; l = head.find("\r\n", l + 2)) {
                auto line = head.substr(l + 2);
                if (iequal_prefix(line, "content-length:")) {
                    len = std::stoul(std::string(line.substr(15, line.find("\r\n") - 15)));
                } else if (iequal_prefix(line, "transfer-encoding:")) {
                    chunked = true;
                }
            }
            if (chunked) {
                end = chunked_end(body_start);
                if (end == std::string::npos) {
                    break;
                }
            } else {
                end = body_start + len;
                if (end > _buf.size()) {
                    break;
                }
            }
            _pos = end;
            if (!ok) {
                ++non2xx;
            }
            ++done;
        }
        return done;
    }
};

future<> one_connection(const config& cfg, shard_result& res, clk::time_point deadline) {
    std::string batch;
    for (unsigned i = 0; i < cfg.pipeline; ++i) {
        batch += cfg.request;
    }
    bool more = true;
    while (more) {
        connected_socket c;
        try {
            c = co_await seastar::connect(cfg.addr);
        } catch (const std::exception& e) {
            ++res.errors;
            std::cerr << "seawreck: " << e.what() << "\n";
            co_return;
        }
        c.set_nodelay(true);
        auto in = c.input();
        auto out = c.output();
        reply_scanner sc;
        try {
            do {
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
                more = !load::count_answered(cfg.pipeline, cfg.max_requests) && clk::now() < deadline;
            } while (more && cfg.keep_alive);
        } catch (const std::exception& e) {
            ++res.errors;
            more = false;
            std::cerr << "seawreck: " << e.what() << "\n";
        }
        res.non2xx += sc.non2xx;
        try {
            co_await out.close();
        } catch (...) {
        }
        co_await in.close();
    }
}

} // namespace

int main(int ac, char** av) {
    app_template app(load::app_config("seawreck", "an HTTP/1.1 load generator"));
    app.add_options()("address", bpo::value<std::string>()->default_value("127.0.0.1"),
                      "server address")("port", bpo::value<uint16_t>()->default_value(10000), "server port")(
        "path", bpo::value<std::string>()->default_value("/"),
        "request path")("host", bpo::value<std::string>()->default_value("localhost"), "Host header")(
        "conns", bpo::value<unsigned>()->default_value(32), "connections in total, spread over the shards")(
        "pipeline", bpo::value<unsigned>()->default_value(1), "requests in flight per connection")(
        "keep-alive", bpo::value<bool>()->default_value(true), "reuse connections (0: one per request)")(
        "duration", bpo::value<double>()->default_value(5), "seconds to run (at most 600)")(
        "requests", bpo::value<uint64_t>()->default_value(0), "stop after this many replies in total (0: no limit)");
    return app.run(ac, av, [&]() -> future<int> {
        auto& vm = app.configuration();
        config cfg;
        cfg.addr = socket_address(net::inet_address(vm["address"].as<std::string>()), vm["port"].as<uint16_t>());
        cfg.conns = std::max(1u, vm["conns"].as<unsigned>());
        cfg.pipeline = std::clamp(vm["pipeline"].as<unsigned>(), 1u, 1024u);
        cfg.keep_alive = vm["keep-alive"].as<bool>();
        cfg.duration = std::clamp(vm["duration"].as<double>(), 0.0, 600.0);
        cfg.max_requests = vm["requests"].as<uint64_t>();
        cfg.request = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\n{}\r\n", vm["path"].as<std::string>(),
                                  vm["host"].as<std::string>(), cfg.keep_alive ? "" : "Connection: close\r\n");
        if (!cfg.keep_alive && cfg.pipeline > 1) {
            std::cerr << "seawreck: --pipeline needs --keep-alive\n";
            co_return 2;
        }
        auto start = clk::now();
        auto deadline = start + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(cfg.duration));
        std::vector<shard_result> results(smp::count);
        bool running = true;
        auto reporter = load::report_progress(running, start, "seawreck", "requests", "replies");
        co_await smp::invoke_on_all([&cfg, &results, deadline]() -> future<> {
            // Copied into the frame before the first suspension.
            const config* c = &cfg;
            shard_result* mine_result = &results[this_shard_id()];
            auto until = deadline;
            unsigned mine = load::connections_here(c->conns);
            std::vector<future<>> conns;
            for (unsigned i = 0; i < mine; ++i) {
                conns.push_back(one_connection(*c, *mine_result, until));
            }
            for (auto& f : conns) {
                co_await std::move(f);
            }
        });
        double secs = std::chrono::duration<double>(clk::now() - start).count();
        running = false;
        co_await std::move(reporter);
        shard_result all;
        for (auto& r : results) {
            all.hist.merge(r.hist);
            all.non2xx += r.non2xx;
            all.errors += r.errors;
        }
        uint64_t n = all.hist.count();
        std::cout << fmt::format("rps={:.0f} p50_us={:.1f} p90_us={:.1f} p99_us={:.1f} p999_us={:.1f} max_us={:.1f} "
                                 "requests={} non2xx={} errors={}\n",
                                 double(n) / secs, all.hist.percentile_us(0.50), all.hist.percentile_us(0.90),
                                 all.hist.percentile_us(0.99), all.hist.percentile_us(0.999), all.hist.max_us(), n,
                                 all.non2xx, all.errors)
                  << std::flush;
        co_return all.errors ? 1 : 0;
    });
}
