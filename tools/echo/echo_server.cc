// echo_server: a sharded TCP echo server. Every shard listens on the same
// address; connections are spread by --lba (or by the kernel with
// --reuse-port) and served entirely on the shard that gets them. Whatever a
// client sends comes back, so a request of N bytes gets an N-byte response.
//
//   echo_server [--address 127.0.0.1] [--port 10000]
//               [--lba distribution|port|fixed] [--fixed-cpu 0] [--reuse-port]
//               [--duration SECONDS]   (0: until SIGINT/SIGTERM)
//               plus app_template's flags: --smp N, --cpuset 0-3,
//               --reactor-backend epoll|linux-aio|io_uring, --overprovisioned, --help ...
//
// Binds to 127.0.0.1 unless told otherwise. Prints one line per shard at
// exit: connections and bytes served.
#include <csignal>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/gate.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/core/timer.hh"
#include "seastar/net/api.hh"
#include "seastar/net/posix-stack.hh"

using namespace seastar;

namespace bpo = boost::program_options;

namespace {

struct echo_shard {
    server_socket ss;
    gate conns;
    future<> loop = make_ready_future<>();
    uint64_t served = 0;
    uint64_t bytes = 0;

    future<> serve(connected_socket c) {
        auto in = c.input();
        auto out = c.output();
        try {
            for (;;) {
                auto b = co_await in.read();
                if (b.empty()) {
                    break;
                }
                bytes += b.size();
                co_await out.write(std::move(b));
                co_await out.flush();
            }
        } catch (...) {
            // A client that resets is its own business.
        }
        try {
            co_await out.close();
        } catch (...) {
        }
        co_await in.close();
    }

    future<> accept_loop() {
        for (;;) {
            accept_result ar;
            try {
                ar = co_await ss.accept();
            } catch (...) {
                co_return; // stopped
            }
            ++served;
            ar.connection.set_nodelay(true);
            (void)with_gate(conns, [this, c = std::move(ar.connection)]() mutable { return serve(std::move(c)); });
        }
    }
};

thread_local std::unique_ptr<echo_shard> shard;

server_socket::load_balancing_algorithm parse_lba(const std::string& s) {
    if (s == "distribution" || s == "connection_distribution") {
        return server_socket::load_balancing_algorithm::connection_distribution;
    }
    if (s == "port") {
        return server_socket::load_balancing_algorithm::port;
    }
    if (s == "fixed") {
        return server_socket::load_balancing_algorithm::fixed;
    }
    throw std::invalid_argument("--lba wants distribution, port or fixed, got " + s);
}

} // namespace

int main(int ac, char** av) {
    app_template::config cfg;
    cfg.name = "echo_server";
    cfg.description = "a sharded TCP echo server";
    app_template app(cfg);
    // clang-format off
    app.add_options()
        ("address", bpo::value<std::string>()->default_value("127.0.0.1"), "address to listen on")
        ("port", bpo::value<uint16_t>()->default_value(10000), "TCP port to listen on")
        ("lba", bpo::value<std::string>()->default_value("distribution"),
         "how connections are spread: distribution, port or fixed")
        ("fixed-cpu", bpo::value<unsigned>()->default_value(0), "the shard that serves every connection with --lba=fixed")
        ("reuse-port", bpo::bool_switch(), "one socket per shard (SO_REUSEPORT): the kernel spreads connections")
        ("duration", bpo::value<double>()->default_value(0), "stop after this many seconds (0: at SIGINT/SIGTERM)");
    // clang-format on
    return app.run(ac, av, [&]() -> future<int> {
        auto& opts = app.configuration();
        auto addr = socket_address(net::inet_address(opts["address"].as<std::string>()), opts["port"].as<uint16_t>());
        listen_options lo;
        lo.lba = parse_lba(opts["lba"].as<std::string>());
        lo.fixed_cpu = opts["fixed-cpu"].as<unsigned>();
        lo.reuse_port = opts["reuse-port"].as<bool>();
        lo.reuse_address = true;
        lo.listen_backlog = 1024;
        double duration = opts["duration"].as<double>();
        co_await smp::invoke_on_all([addr, lo] {
            shard = std::make_unique<echo_shard>();
            shard->ss = seastar::listen(addr, lo);
            shard->loop = shard->accept_loop();
            engine().at_exit([]() -> future<> {
                shard->ss.abort_accept();
                co_await std::move(shard->loop);
                co_await shard->conns.close();
                std::cout << fmt::format("shard {}: {} connections, {} bytes echoed\n", this_shard_id(), shard->served,
                                         shard->bytes)
                          << std::flush;
                shard.reset();
            });
        });
        std::cout << fmt::format("echo_server: {} shard(s) on {} ({})\n", smp::count, addr, engine().backend_name())
                  << std::flush;
        // Until SIGINT/SIGTERM or --duration; main then returns and smp::run shuts down.
        // The handlers stay installed after main returns (a second signal may
        // come while the shards stop), so they own what they touch.
        struct stop_state {
            promise<> stop;
            bool stopping = false;
        };
        auto st = std::make_shared<stop_state>();
        auto stopped = st->stop.get_future();
        auto trigger = [st] {
            if (!std::exchange(st->stopping, true)) {
                st->stop.set_value();
            }
        };
        for (int sig : {SIGINT, SIGTERM}) {
            engine().handle_signal(sig, trigger);
        }
        timer<> deadline(trigger);
        if (duration > 0) {
            deadline.arm(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(duration)));
        }
        co_await std::move(stopped);
        co_return 0;
    });
}
