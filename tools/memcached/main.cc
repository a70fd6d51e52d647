// memcached: a memcached-compatible cache server on every shard.
//
//   memcached [-p 11211] [-U 0] [-l 127.0.0.1] [-m 64] [-c 1024] [-I 1m] [-t N]
//             plus app_template's options: --smp N, --cpuset 0-3,
//             --reactor-backend epoll|linux-aio|io_uring, --overprovisioned, --help ...
//
// Serves until SIGINT/SIGTERM. See options.hh for the options and server.hh
// for what is served.
#include <csignal>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "tools/memcached/options.hh"
#include "tools/memcached/server.hh"

using namespace seastar;

int main(int ac, char** av) {
    auto args = memcache::rewrite_short_options(ac, av);
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    app_template app({.name = "memcached", .description = "a memcached-compatible cache server on every shard"});
    memcache::add_options(app.add_options());
    return app.run(int(args.size()), argv.data(), [&]() -> future<int> {
        memcache::server_options opts;
        try {
            opts = memcache::read_options(app.configuration(), smp::count);
        } catch (const std::exception& e) {
            std::cerr << "memcached: " << e.what() << "\n";
            co_return 2;
        }
        memcache::server srv(opts.settings, opts.udp);
        std::exception_ptr failed;
        try {
            co_await srv.start();
        } catch (...) {
            failed = std::current_exception();
        }
        if (failed) {
            co_await srv.stop();
            try {
                std::rethrow_exception(failed);
            } catch (const std::exception& e) {
                std::cerr << "memcached: " << e.what() << "\n";
            }
            co_return 1;
        }
        std::cout << fmt::format("memcached: {} shard(s) on {}:{} (tcp){} ({}), {} MiB, items up to {} bytes\n",
                                 smp::count, opts.settings.address, srv.tcp_port(),
                                 opts.udp ? fmt::format(", {} (udp)", srv.udp_port()) : "", engine().backend_name(),
                                 (opts.settings.store.max_bytes * smp::count) >> 20, opts.settings.store.max_item_size)
                  << std::flush;
        // The handlers stay installed after this function returns (a second
        // signal may come while the shards stop), so they own what they touch.
        struct stop_state {
            promise<> stop;
            bool stopping = false;
        };
        auto st = std::make_shared<stop_state>();
        auto stopped = st->stop.get_future();
        for (int sig : {SIGINT, SIGTERM}) {
            engine().handle_signal(sig, [st] {
                if (!std::exchange(st->stopping, true)) {
                    st->stop.set_value();
                }
            });
        }
        co_await std::move(stopped);
        co_await srv.stop();
        co_return 0;
    });
}
