// httpd: an HTTP/1.1 server on every shard, serving a small route set and,
// optionally, a directory.
//
//   httpd [--port 10000] [--address 127.0.0.1] [--dir PATH] [--tls-cert F --tls-key F]
//         [--duration SECONDS] plus app_template's options: --smp N, --cpuset,
//         --reactor-backend epoll|linux-aio|io_uring, --overprovisioned, --help ...
//
// Routes:
//   GET  /               "hello" (text/plain; the benchmark's small response)
//   GET  /json           {"hello": "world", "shard": N}
//   GET  /user/{id}      {"id": "<id>"}
//   POST /echo           the request body back
//   GET  /stream?n=N     a JSON array of N numbers, streamed (chunked)
//   GET  /files/...      files under --dir (directory_handler)
//
// Serves until SIGINT/SIGTERM (or --duration), then stops gracefully.
#include <csignal>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/core/timer.hh"
#include "seastar/http/file_handler.hh"
#include "seastar/http/function_handlers.hh"
#include "seastar/http/httpd.hh"
#include "seastar/net/tls.hh"

using namespace seastar;
namespace bpo = boost::program_options;

namespace {

void set_routes(httpd::routes& r, const std::string& dir) {
    using namespace httpd;
    r.put(GET, "/", new function_handler([](const_req) { return "hello"; }, "txt"));
    r.put(GET, "/json", new function_handler([](const_req) {
              return json::json_return_type(
                  std::map<std::string, std::string>{{"hello", "world"}, {"shard", std::to_string(this_shard_id())}});
          }));
    r.add(GET, url("/user/{id}"), new function_handler([](const_req req) {
              return json::json_return_type(
                  std::map<std::string, std::string>{{"id", std::string(req.param.get_decoded_param("id"))}});
          }));
    r.put(POST, "/echo", new function_handler([](const_req req) { return req.content; }, "txt"));
    r.put(GET, "/stream", new function_handler([](const_req req) {
              size_t n = 100;
              try {
                  if (auto q = req.get_query_param("n"); !q.empty()) {
                      n = std::min<size_t>(std::stoul(std::string(q)), 10'000'000);
                  }
              } catch (...) {
                  throw bad_param_exception("n must be a number");
              }
              std::vector<size_t> v(n);
              for (size_t i = 0; i < n; ++i) {
                  v[i] = i;
              }
              return json::stream_range_as_array(std::move(v), [](size_t i) { return i; });
          }));
    if (!dir.empty()) {
        r.add(GET, url("/files").remainder("path"), new directory_handler(sstring(dir)));
    }
}

} // namespace

int main(int ac, char** av) {
    app_template app({.name = "httpd", .description = "an HTTP/1.1 server on every shard"});
    app.add_options()("port", bpo::value<uint16_t>()->default_value(10000), "TCP port (0: any free port)")(
        "address", bpo::value<std::string>()->default_value("127.0.0.1"),
        "address to listen on")("dir", bpo::value<std::string>()->default_value(""), "directory served under /files/")(
        "tls-cert", bpo::value<std::string>()->default_value(""), "PEM certificate: serve HTTPS")(
        "tls-key", bpo::value<std::string>()->default_value(""), "PEM private key for --tls-cert")(
        "duration", bpo::value<unsigned>()->default_value(0), "stop after this many seconds (0: run until a signal)");
    return app.run(ac, av, [&]() -> future<int> {
        auto& cfg = app.configuration();
        auto port = cfg["port"].as<uint16_t>();
        auto address = cfg["address"].as<std::string>();
        auto dir = cfg["dir"].as<std::string>();
        auto cert = cfg["tls-cert"].as<std::string>();
        auto key = cfg["tls-key"].as<std::string>();
        auto duration = cfg["duration"].as<unsigned>();
        httpd::http_server_control server;
        co_await server.start("httpd");
        std::exception_ptr failed;
        try {
            co_await server.set_routes([dir](httpd::routes& r) { set_routes(r, dir); });
            socket_address addr(ipv4_addr(address, port));
            if (!cert.empty()) {
                auto builder = std::make_shared<tls::credentials_builder>();
                co_await builder->set_x509_key_file(cert, key, tls::x509_crt_format::PEM);
                co_await server.listen(addr, builder);
            } else {
                co_await server.listen(addr);
            }
        } catch (...) {
            failed = std::current_exception();
        }
        if (failed) {
            co_await server.stop();
            try {
                std::rethrow_exception(failed);
            } catch (const std::exception& e) {
                std::cerr << "httpd: " << e.what() << "\n";
            }
            co_return 1;
        }
        std::cout << fmt::format("httpd: {} shard(s) on {}://{}:{} ({})\n", smp::count, cert.empty() ? "http" : "https",
                                 address, server.port(), engine().backend_name())
                  << std::flush;
        promise<> stop;
        bool stopping = false;
        auto stopped = stop.get_future();
        for (int sig : {SIGINT, SIGTERM}) {
            engine().handle_signal(sig, [&] {
                if (!std::exchange(stopping, true)) {
                    stop.set_value();
                }
            });
        }
        // A timer, not a detached sleep: it goes away with this frame when a
        // signal stops the server first.
        timer<> deadline([&] {
            if (!std::exchange(stopping, true)) {
                stop.set_value();
            }
        });
        if (duration) {
            deadline.arm(std::chrono::seconds(duration));
        }
        co_await std::move(stopped);
        co_await server.stop();
        co_return 0;
    });
}
