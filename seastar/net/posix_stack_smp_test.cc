// The POSIX stack on two shards: every shard listens on one address and the
// load-balancing algorithms place connections as listen_options says.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "seastar/net/api.hh"
#include "seastar/net/posix-stack.hh"
#include "seastar/testing/seastar_test.hh"

using namespace seastar;
using namespace std::chrono_literals;
using lba = server_socket::load_balancing_algorithm;

namespace {

constexpr unsigned shards = 2;

socket_address loopback(uint16_t port = 0) {
    return socket_address(ipv4_addr("127.0.0.1", port));
}

// One per shard: the listener and what it accepted.
struct shard_server {
    server_socket ss;
    std::vector<connected_socket> conns;
    std::vector<uint16_t> remote_ports;
    future<> loop = make_ready_future<>();
};
thread_local std::unique_ptr<shard_server> server;

// Accepts until abort_accept(), keeping every connection.
future<> keep_accepting(shard_server* s) {
    for (;;) {
        try {
            auto ar = co_await s->ss.accept();
            s->remote_ports.push_back(ar.remote_address.port());
            s->conns.push_back(std::move(ar.connection));
        } catch (...) {
            co_return; // abort_accept
        }
    }
}

// This shard listens on addr and accepts in the background.
void start_server_here(socket_address addr, listen_options lo) {
    server = std::make_unique<shard_server>();
    server->ss = seastar::listen(addr, lo);
    server->loop = keep_accepting(server.get());
}

future<> start_servers(socket_address addr, listen_options lo) {
    return smp::invoke_on_all([addr, lo] { start_server_here(addr, lo); });
}

future<> stop_servers() {
    return smp::invoke_on_all([]() -> future<> {
        server->ss.abort_accept();
        co_await std::move(server->loop);
        server.reset();
    });
}

future<std::vector<std::vector<uint16_t>>> accepted_ports() {
    std::vector<std::vector<uint16_t>> r(smp::count);
    for (unsigned s = 0; s < smp::count; ++s) {
        r[s] = co_await smp::submit_to(s, [] { return server->remote_ports; });
    }
    co_return r;
}

future<size_t> total_accepted() {
    size_t n = 0;
    for (auto& v : co_await accepted_ports()) {
        n += v.size();
    }
    co_return n;
}

// Waits (bounded) until the shards together accepted `n` connections.
future<> wait_accepted(size_t n) {
    for (int i = 0; i < 5000 && co_await total_accepted() < n; ++i) {
        co_await seastar::sleep(1ms);
    }
    EXPECT_EQ(co_await total_accepted(), n);
}

// Waits for `n` accepted connections and checks that shard 1 (of two) got them all.
future<> expect_all_accepted_on_shard_1(size_t n) {
    co_await wait_accepted(n);
    auto ports = co_await accepted_ports();
    EXPECT_EQ(ports[0].size(), 0u);
    EXPECT_EQ(ports[1].size(), n);
}

void run(std::function<future<>()> body) {
    EXPECT_EQ(seastar::testing::run_on_shards(seastar::testing::smp_test_options(shards, true, size_t(256) << 20),
                                              std::move(body)),
              0);
}

// Opens `n` connections from shard 0 and keeps them.
future<std::vector<connected_socket>> open_connections(socket_address addr, unsigned n) {
    std::vector<connected_socket> cs;
    for (unsigned i = 0; i < n; ++i) {
        cs.push_back(co_await seastar::connect(addr));
    }
    co_return cs;
}

} // namespace

TEST(posix_stack_smp, connection_distribution_spreads_live_connections) {
    run([]() -> future<> {
        EXPECT_EQ(smp::count, shards);
        listen_options lo;
        lo.lba = lba::connection_distribution;
        co_await start_servers(loopback(), lo);
        auto addr = server->ss.local_address();
        auto clients = co_await open_connections(addr, 8);
        co_await wait_accepted(8);
        auto ports = co_await accepted_ports();
        EXPECT_EQ(ports[0].size(), 4u);
        EXPECT_EQ(ports[1].size(), 4u);
        // Shard 1 drops its connections: the next ones go there until it is even.
        co_await smp::submit_to(1, [] { server->conns.clear(); });
        auto more = co_await open_connections(addr, 4);
        co_await wait_accepted(12);
        ports = co_await accepted_ports();
        EXPECT_EQ(ports[0].size(), 4u);
        EXPECT_EQ(ports[1].size(), 8u);
        co_await stop_servers();
    });
}

TEST(posix_stack_smp, port_places_by_remote_port) {
    run([]() -> future<> {
        listen_options lo;
        lo.lba = lba::port;
        co_await start_servers(loopback(), lo);
        auto addr = server->ss.local_address();
        // From shard 0 with explicit, alternating local ports' parity left to
        // the kernel: placement must follow each remote port.
        std::vector<connected_socket> clients;
        for (unsigned i = 0; i < 10; ++i) {
            auto s = make_socket();
            // A plain kernel-chosen port (not the shard-matched choice).
            clients.push_back(co_await s.connect(addr, loopback(0)));
        }
        co_await wait_accepted(10);
        auto ports = co_await accepted_ports();
        for (unsigned s = 0; s < shards; ++s) {
            for (auto p : ports[s]) {
                EXPECT_EQ(p % shards, s) << "port " << p << " served on shard " << s;
            }
        }
        co_await stop_servers();
    });
}

TEST(posix_stack_smp, connect_from_a_shard_lands_on_that_shard_with_port_balancing) {
    run([]() -> future<> {
        listen_options lo;
        lo.lba = lba::port;
        co_await start_servers(loopback(), lo);
        auto addr = server->ss.local_address();
        for (unsigned s = 0; s < shards; ++s) {
            auto port = co_await smp::submit_to(s, [addr]() -> future<uint16_t> {
                auto c = co_await seastar::connect(addr);
                auto p = c.local_address().port();
                // Talk over it: the connection works whichever shard serves it.
                auto out = c.output();
                co_await out.write("hi");
                co_await out.close();
                co_return p;
            });
            EXPECT_EQ(port % shards, s);
        }
        co_await wait_accepted(2);
        auto ports = co_await accepted_ports();
        EXPECT_EQ(ports[0].size(), 1u);
        EXPECT_EQ(ports[1].size(), 1u);
        co_await stop_servers();
    });
}

TEST(posix_stack_smp, fixed_sends_everything_to_one_shard) {
    run([]() -> future<> {
        listen_options lo;
        lo.set_fixed_cpu(1);
        co_await start_servers(loopback(), lo);
        auto addr = server->ss.local_address();
        auto clients = co_await open_connections(addr, 6);
        co_await expect_all_accepted_on_shard_1(6);
        co_await stop_servers();
    });
}

TEST(posix_stack_smp, served_on_the_receiving_shard) {
    // Echo on whichever shard gets the connection; the client is on shard 1.
    run([]() -> future<> {
        listen_options lo;
        lo.set_fixed_cpu(1);
        co_await smp::invoke_on_all([lo] {
            server = std::make_unique<shard_server>();
            server->ss = seastar::listen(loopback(), lo);
            server->loop = [](shard_server* s) -> future<> {
                for (;;) {
                    accept_result ar;
                    try {
                        ar = co_await s->ss.accept();
                    } catch (...) {
                        co_return;
                    }
                    s->remote_ports.push_back(ar.remote_address.port());
                    auto in = ar.connection.input();
                    auto out = ar.connection.output();
                    auto b = co_await in.read_exactly(5);
                    co_await out.write(std::move(b));
                    auto shard = char('0' + this_shard_id());
                    co_await out.write(&shard, 1);
                    co_await out.close();
                    co_await in.close();
                }
            }(server.get());
        });
        auto addr = server->ss.local_address();
        auto reply = co_await smp::submit_to(1, [addr]() -> future<std::string> {
            auto c = co_await seastar::connect(addr);
            auto in = c.input();
            auto out = c.output();
            co_await out.write("hello");
            co_await out.flush();
            auto b = co_await in.read_exactly(6);
            co_await out.close();
            co_await in.close();
            co_return std::string(b.get(), b.size());
        });
        EXPECT_EQ(reply, "hello1");
        co_await stop_servers();
    });
}

TEST(posix_stack_smp, reuse_port_gives_each_shard_its_own_socket) {
    run([]() -> future<> {
        listen_options lo;
        lo.reuse_port = true;
        lo.reuse_address = true;
        // Shard 0 picks the port; the others join it.
        server = std::make_unique<shard_server>();
        server->ss = seastar::listen(loopback(), lo);
        auto addr = server->ss.local_address();
        co_await smp::invoke_on_others([addr, lo] {
            server = std::make_unique<shard_server>();
            server->ss = seastar::listen(addr, lo);
        });
        co_await smp::invoke_on_all([] { server->loop = keep_accepting(server.get()); });
        auto clients = co_await open_connections(addr, 16);
        co_await wait_accepted(16);
        auto received =
            co_await smp::submit_to(1, [] { return net::internal::posix_stats().received_from_other_shards; });
        EXPECT_EQ(received, 0u) << "with reuse_port no connection travels between shards";
        co_await stop_servers();
    });
}

TEST(posix_stack_smp, port_zero_on_the_first_shard_then_the_bound_port_on_the_others) {
    // A server that lets shard 0 pick the port and then listens on that port on
    // the other shards (as the HTTP server does): connections sent to shard 1
    // before and after it listens all reach its accept().
    run([]() -> future<> {
        listen_options lo;
        lo.set_fixed_cpu(1);
        start_server_here(loopback(), lo);
        auto addr = server->ss.local_address();
        EXPECT_NE(addr.port(), 0);
        auto accepted_before = net::internal::posix_stats().accepted;
        auto early = co_await open_connections(addr, 3);
        // Shard 0 has accepted them and sent them on before shard 1 listens.
        for (int i = 0; i < 5000 && net::internal::posix_stats().accepted < accepted_before + 3; ++i) {
            co_await seastar::sleep(1ms);
        }
        co_await smp::invoke_on_others([addr, lo] { start_server_here(addr, lo); });
        auto late = co_await open_connections(addr, 3);
        co_await expect_all_accepted_on_shard_1(6);
        co_await stop_servers();
    });
}
