// iperf_server: the server side of iperf3's TCP test on this framework, so
// that Debian's iperf3 client measures our network stacks (the POSIX stack,
// or the native stack with --network-stack native).
//
//   iperf_server [--address 127.0.0.1] [--port 5201] [--tests N]
//                plus app_template's flags (--smp 1 is what it uses)
//
// iperf3's protocol: the client opens a control connection and sends a
// 37-byte cookie; the server drives it with one-byte states: PARAM_EXCHANGE
// (the client answers with its parameters, a 4-byte big-endian length and
// JSON), CREATE_STREAMS (the client opens `parallel` data connections, each
// starting with the cookie), TEST_START and TEST_RUNNING (data flows: from
// the client, or to it with --reverse), then the client's TEST_END,
// EXCHANGE_RESULTS (each side sends its results as length + JSON),
// DISPLAY_RESULTS and the client's IPERF_DONE. One test runs at a time; a
// control connection that arrives during a test gets ACCESS_DENIED, as
// iperf3's own server answers. UDP and bidirectional tests are refused: the
// client sees the control connection close, the reason goes to this server's
// log. After --tests tests (0: no limit) the server exits.
#include <arpa/inet.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/gate.hh"
#include "seastar/core/lowres_clock.hh"
#include "seastar/core/print.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/timer.hh"
#include "seastar/core/when_all.hh"
#include "seastar/core/with_timeout.hh"
#include "seastar/json/parse.hh"
#include "seastar/net/api.hh"

using namespace seastar;
using namespace std::chrono_literals;
namespace bpo = boost::program_options;

namespace {

// iperf3's states (src/iperf_api.h).
enum state : int8_t {
    test_start = 1,
    test_running = 2,
    test_end = 4,
    param_exchange = 9,
    create_streams = 10,
    client_terminate = 12,
    exchange_results = 13,
    display_results = 14,
    iperf_done = 16,
    access_denied = -1,
};

constexpr size_t cookie_size = 37;
constexpr uint32_t max_json = 1 << 20;

struct stream {
    connected_socket socket;
    input_stream<char> in;
    output_stream<char> out;
    uint64_t bytes = 0;
};

// The test in progress: its cookie, and the data connections that arrived.
struct test {
    std::string cookie;
    unsigned parallel = 1;
    std::vector<std::unique_ptr<stream>> streams;
    promise<> all_connected;
};

class server {
    server_socket _listener;
    gate _conns;
    std::unique_ptr<test> _test;
    unsigned _tests_left;
    promise<> _done;

public:
    server(server_socket s, unsigned tests) : _listener(std::move(s)), _tests_left(tests) {}

    future<> run() {
        auto accepting = accept_loop();
        co_await _done.get_future();
        _listener.abort_accept();
        co_await std::move(accepting);
        co_await _conns.close();
    }

private:
    future<> accept_loop() {
        for (;;) {
            accept_result ar;
            try {
                ar = co_await _listener.accept();
            } catch (...) {
                co_return;
            }
            if (_conns.is_closed()) {
                co_return;
            }
            (void)with_gate(_conns, [this, c = std::move(ar.connection)]() mutable {
                return handle(std::move(c)).handle_exception([](std::exception_ptr e) {
                    std::cerr << "iperf_server: " << e << "\n";
                });
            });
        }
    }

    future<> handle(connected_socket c) {
        auto s = std::make_unique<stream>();
        s->socket = std::move(c);
        s->in = s->socket.input();
        s->out = s->socket.output();
        // A connection that does not say who it is within 10 s is dropped (so
        // that it cannot keep the server from exiting).
        timer<lowres_clock> silent([&s] { s->socket.shutdown_input(); });
        silent.arm(10s);
        auto cookie = co_await s->in.read_exactly(cookie_size);
        silent.cancel();
        if (cookie.size() != cookie_size) {
            co_return; // gone before saying who it is
        }
        std::string id(cookie.get(), cookie.size());
        if (_test && _test->cookie == id) {
            if (_test->streams.size() < _test->parallel) {
                _test->streams.push_back(std::move(s));
                if (_test->streams.size() == _test->parallel) {
                    _test->all_connected.set_value();
                }
            }
            co_return;
        }
        if (_test) {
            co_await send_state(*s, access_denied);
            co_await s->out.close();
            co_return;
        }
        _test = std::make_unique<test>();
        _test->cookie = id;
        std::exception_ptr err;
        try {
            co_await control(*s, *_test);
        } catch (...) {
            err = std::current_exception();
        }
        for (auto& d : _test->streams) {
            co_await d->out.close().handle_exception([](auto) {});
        }
        _test.reset();
        co_await s->out.close().handle_exception([](auto) {});
        if (err) {
            std::cerr << "iperf_server: test failed: " << err << "\n";
        }
        if (_tests_left && --_tests_left == 0) {
            _done.set_value();
        }
    }

    static future<> send_state(stream& s, int8_t st) {
        co_await s.out.write(reinterpret_cast<const char*>(&st), 1);
        co_await s.out.flush();
    }

    static future<int8_t> read_state(stream& s) {
        auto b = co_await s.in.read_exactly(1);
        if (b.empty()) {
            throw std::runtime_error("the client closed the control connection");
        }
        co_return int8_t(b[0]);
    }

    static future<std::string> read_json(stream& s) {
        auto len = co_await s.in.read_exactly(4);
        if (len.size() != 4) {
            throw std::runtime_error("the client closed the control connection");
        }
        uint32_t n;
        std::memcpy(&n, len.get(), 4);
        n = ntohl(n);
        if (n > max_json) {
            throw std::runtime_error(fmt::format("a JSON message of {} bytes", n));
        }
        auto body = co_await s.in.read_exactly(n);
        if (body.size() != n) {
            throw std::runtime_error("the client closed the control connection inside a message");
        }
        co_return std::string(body.get(), body.size());
    }

    static future<> send_json(stream& s, const std::string& j) {
        uint32_t n = htonl(uint32_t(j.size()));
        co_await s.out.write(reinterpret_cast<const char*>(&n), 4);
        co_await s.out.write(j);
        co_await s.out.flush();
    }

    static future<> receive(stream& s, const bool& ending) {
        while (!ending) {
            auto b = co_await s.in.read();
            if (b.empty()) {
                break;
            }
            s.bytes += b.size();
        }
    }

    static future<> send(stream& s, size_t len, const bool& ending) {
        temporary_buffer<char> block(len);
        std::memset(block.get_write(), 'x', len);
        while (!ending) {
            co_await s.out.write(block.share());
            s.bytes += len;
        }
        co_await s.out.flush();
    }

    future<> control(stream& ctl, test& t) {
        co_await send_state(ctl, param_exchange);
        json::document params(co_await read_json(ctl));
        auto p = params.root();
        bool udp = false, bidir = false, reverse = false;
        (void)p["udp"].get(udp);
        (void)p["bidirectional"].get(bidir);
        (void)p["reverse"].get(reverse);
        int64_t parallel = 1, len = 128 * 1024;
        (void)p["parallel"].get(parallel);
        (void)p["len"].get(len);
        if (udp || bidir || parallel < 1 || parallel > 128 || len < 1 || len > (16 << 20)) {
            throw std::runtime_error(fmt::format("unsupported test (udp {}, bidirectional {}, parallel {}, len {})",
                                                 udp, bidir, parallel, len));
        }
        t.parallel = unsigned(parallel);
        co_await send_state(ctl, create_streams);
        auto connected = t.all_connected.get_future();
        co_await with_timeout(lowres_clock::now() + 10s, std::move(connected));
        co_await send_state(ctl, test_start);
        co_await send_state(ctl, test_running);
        auto started = std::chrono::steady_clock::now();
        bool ending = false;
        std::vector<future<>> flows;
        flows.reserve(t.streams.size());
        for (auto& s : t.streams) {
            flows.push_back(reverse ? send(*s, size_t(len), ending) : receive(*s, ending));
        }
        // The flows use `ending` and the streams: whatever the control
        // connection does, they end before this frame does.
        int8_t st = 0;
        std::exception_ptr control_failed;
        try {
            st = co_await read_state(ctl);
        } catch (...) {
            control_failed = std::current_exception();
        }
        ending = true;
        auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        // Unblock what still waits on the data connections.
        for (auto& s : t.streams) {
            s->socket.shutdown_input();
            s->socket.shutdown_output();
        }
        for (auto& f : co_await when_all(flows.begin(), flows.end())) {
            f.ignore_ready_future(); // a client that closed its streams first ended them
        }
        if (control_failed) {
            std::rethrow_exception(control_failed);
        }
        if (st == client_terminate) {
            throw std::runtime_error("the client terminated the test");
        }
        if (st != test_end) {
            throw std::runtime_error(fmt::format("unexpected state {} from the client", int(st)));
        }
        co_await send_state(ctl, exchange_results);
        json::document client_results(co_await read_json(ctl));
        std::string streams;
        uint64_t total = 0;
        for (size_t i = 0; i < t.streams.size(); ++i) {
            // iperf3 numbers a test's streams 1, 3, 4, 5, ... (iperf_add_stream).
            int id = i == 0 ? 1 : int(i) + 2;
            total += t.streams[i]->bytes;
            streams += fmt::format(
                "{}{{\"id\":{},\"bytes\":{},\"retransmits\":-1,\"jitter\":0,\"errors\":0,\"omitted_errors\":0,"
                "\"packets\":0,\"omitted_packets\":0,\"start_time\":0,\"end_time\":{:.6f}}}",
                i ? "," : "", id, t.streams[i]->bytes, seconds);
        }
        co_await send_json(ctl, fmt::format("{{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,"
                                            "\"sender_has_retransmits\":0,\"streams\":[{}]}}",
                                            streams));
        co_await send_state(ctl, display_results);
        auto last = co_await read_state(ctl);
        if (last != iperf_done) {
            throw std::runtime_error(fmt::format("unexpected state {} after the results", int(last)));
        }
        std::cout << fmt::format("iperf_server: {} test, {} stream(s), {} bytes in {:.3f} s = {:.3f} Gbit/s\n",
                                 reverse ? "reverse" : "forward", t.streams.size(), total, seconds,
                                 seconds > 0 ? double(total) * 8 / seconds / 1e9 : 0.0)
                  << std::flush;
    }
};

} // namespace

int main(int ac, char** av) {
    app_template app({.name = "iperf_server", .description = "the server side of iperf3's TCP test"});
    app.add_options()("address", bpo::value<std::string>()->default_value("127.0.0.1"),
                      "address to listen on")("port", bpo::value<uint16_t>()->default_value(5201), "TCP port")(
        "tests", bpo::value<unsigned>()->default_value(0), "exit after this many tests (0: run until a signal)");
    return app.run(ac, av, [&]() -> future<int> {
        auto& cfg = app.configuration();
        listen_options lo;
        lo.reuse_address = true;
        auto addr = socket_address(ipv4_addr(cfg["address"].as<std::string>(), cfg["port"].as<uint16_t>()));
        auto srv = std::make_unique<server>(seastar::listen(addr, lo), cfg["tests"].as<unsigned>());
        std::cout << fmt::format("iperf_server: listening on {}:{}\n", cfg["address"].as<std::string>(),
                                 cfg["port"].as<uint16_t>())
                  << std::flush;
        co_await srv->run();
        co_return 0;
    });
}
