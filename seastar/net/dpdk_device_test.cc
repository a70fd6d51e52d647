// The DPDK device with DPDK's virtual devices, no huge pages and no PCI:
// two native stacks in one process talking through a net_ring pair (TCP
// both ways, UDP, close), a net_null transmit/receive smoke test, port
// status and statistics, bad port numbers, and packets freed on another
// thread returning their mbufs. EAL starts once, in main(), with its own
// --file-prefix; without root (or when EAL cannot start) every test is
// skipped, saying why.
#include <unistd.h>

#include <gtest/gtest.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <string>
#include <thread>

#include "seastar/core/coroutine.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/when_all.hh"
#include "seastar/net/dpdk.hh"
#include "seastar/net/native-stack.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar::net {
namespace {

using namespace std::chrono_literals;

std::string skip_reason;
uint16_t null_port = 0;
uint16_t ring_a = 0, ring_b = 0;

const ipv4_address ip_a(0xc0000201); // 192.0.2.1
const ipv4_address ip_b(0xc0000202); // 192.0.2.2

class dpdk_device : public ::testing::Test {
protected:
    void SetUp() override {
        if (!skip_reason.empty()) {
            GTEST_SKIP() << skip_reason;
        }
    }
};

// Devices outlive the stacks (declared first): a stack's queue returns the
// frames still in its ring to their pools when it goes.
struct ring_stacks {
    std::shared_ptr<device> da = create_dpdk_net_device(ring_a, 1);
    std::shared_ptr<device> db = create_dpdk_net_device(ring_b, 1);
    std::unique_ptr<native_network_stack> a =
        std::make_unique<native_network_stack>(da, native_stack_config{.host = ip_a});
    std::unique_ptr<native_network_stack> b =
        std::make_unique<native_network_stack>(db, native_stack_config{.host = ip_b});
};

std::string pattern(size_t n, unsigned seed) {
    std::string s(n, '\0');
    uint32_t x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = char(x >> 16);
    }
    return s;
}

future<std::string> read_all(input_stream<char>& in) {
    std::string got;
    for (;;) {
        auto b = co_await in.read();
        if (b.empty()) {
            break;
        }
        got.append(b.get(), b.size());
    }
    co_await in.close();
    co_return got;
}

future<> write_all(output_stream<char>& out, std::string data) {
    for (size_t i = 0; i < data.size(); i += 10000) {
        co_await out.write(data.data() + i, std::min<size_t>(10000, data.size() - i));
    }
    co_await out.close();
}

SEASTAR_TEST_F(dpdk_device, ring_pair_tcp_both_ways_and_close) {
    ring_stacks s;
    EXPECT_EQ(s.da->hw_queues_count(), 1u);
    EXPECT_NE(s.da->hw_address(), s.db->hw_address());
    auto ss = s.a->listen(socket_address(ipv4_addr(5000)), {});
    auto accepted = ss.accept();
    auto client = co_await s.b->socket().connect(socket_address(ipv4_addr(ip_a.ip, 5000)));
    auto ar = co_await std::move(accepted);
    EXPECT_EQ(ar.remote_address, client.local_address());
    auto cin = client.input();
    auto cout = client.output();
    auto sin = ar.connection.input();
    auto sout = ar.connection.output();
    auto up = pattern(1 << 20, 1), down = pattern(1 << 20, 2);
    auto [got_by_server, got_by_client] =
        co_await when_all_succeed(write_all(cout, up), write_all(sout, down), read_all(sin), read_all(cin));
    // Every byte, in order, and each side saw the other's close.
    EXPECT_TRUE(got_by_server == up) << got_by_server.size();
    EXPECT_TRUE(got_by_client == down) << got_by_client.size();
    ss.abort_accept();
    EXPECT_GT(s.a->iface().stats().rx_frames, 700u);
}

SEASTAR_TEST_F(dpdk_device, ring_pair_refused_and_udp) {
    ring_stacks s;
    auto refused = co_await s.b->socket().connect(socket_address(ipv4_addr(ip_a.ip, 81))).then_wrapped([](auto f) {
        return make_ready_future<bool>(f.failed() && (f.get_exception(), true));
    });
    EXPECT_TRUE(refused);
    auto ca = s.a->make_udp_channel(socket_address(ipv4_addr(7000)));
    auto cb = s.b->make_udp_channel(socket_address(ipv4_addr(7001)));
    co_await cb.send(socket_address(ipv4_addr(ip_a.ip, 7000)), "ping over rings");
    auto d = co_await ca.receive();
    auto frag = d.get_data().fragments()[0];
    EXPECT_EQ(std::string(frag.base, frag.size), "ping over rings");
    EXPECT_EQ(d.get_src(), socket_address(ipv4_addr(ip_b.ip, 7001)));
    ca.close();
    cb.close();
}

// net_null: what is sent is counted and dropped; what is received is
// frames of zeros, which the stack's layers would drop as malformed.
SEASTAR_TEST_F(dpdk_device, null_transmit_and_receive_smoke) {
    auto dev = create_dpdk_net_device(null_port, 1);
    auto q = dev->make_queue(0);
    EXPECT_THROW(dev->make_queue(0), std::logic_error);
    EXPECT_THROW(dev->make_queue(1), std::out_of_range);
    unsigned got = 0;
    size_t len = 0;
    q->receive([&](frame f) {
        ++got;
        len = f.p.len();
    });
    for (int i = 0; i < 100; ++i) {
        std::string payload(60 + i, char(i));
        q->send(frame{packet(payload.data(), payload.size()), {}});
    }
    for (int i = 0; i < 500 && (got == 0 || q->stats().tx_frames < 100); ++i) {
        co_await sleep(1ms);
    }
    EXPECT_EQ(q->stats().tx_frames, 100u);
    EXPECT_EQ(q->stats().tx_dropped, 0u);
    EXPECT_GT(got, 0u);
    EXPECT_GT(len, 0u);
    auto link = dpdk::port_link_status(null_port);
    EXPECT_TRUE(link.up);
    auto xs = dpdk::port_xstats(null_port);
    EXPECT_FALSE(xs.empty());
    uint64_t tx_packets = 0;
    for (auto& [name, value] : xs) {
        if (name == "tx_good_packets") {
            tx_packets = value;
        }
    }
    EXPECT_GE(tx_packets, 100u);
}

unsigned avail_in_pools_of(uint16_t port) {
    struct acc {
        std::string tag;
        unsigned n = 0;
    } a{"p" + std::to_string(port) + "q0", 0};
    rte_mempool_walk(
        [](rte_mempool* mp, void* arg) {
            auto* a = static_cast<acc*>(arg);
            if (std::string(mp->name).ends_with(a->tag)) {
                a->n += rte_mempool_avail_count(mp);
            }
        },
        &a);
    return a.n;
}

SEASTAR_TEST_F(dpdk_device, packets_freed_on_another_thread_return_their_mbufs) {
    auto dev = create_dpdk_net_device(null_port, 1);
    auto q = dev->make_queue(0);
    std::vector<packet> held;
    q->receive([&](frame f) {
        if (held.size() < 64) {
            held.push_back(std::move(f.p));
        }
    });
    for (int i = 0; i < 500 && held.size() < 64; ++i) {
        co_await sleep(1ms);
    }
    EXPECT_EQ(held.size(), 64u);
    q->receive([](frame) {});
    unsigned before = avail_in_pools_of(null_port);
    std::thread([&] { held.clear(); }).join();
    EXPECT_GE(avail_in_pools_of(null_port), before + 64);
}

SEASTAR_TEST_F(dpdk_device, a_port_that_does_not_exist_is_named) {
    try {
        create_dpdk_net_device(77, 1);
        ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("DPDK port 77 does not exist"), std::string::npos) << e.what();
    }
    EXPECT_THROW(dpdk::port_link_status(77), std::runtime_error);
    co_return;
}

TEST(dpdk_eal, split_args) {
    EXPECT_EQ(dpdk::split_args("  --no-huge  -m 64\t--vdev=net_null0 "),
              (std::vector<std::string>{"--no-huge", "-m", "64", "--vdev=net_null0"}));
    EXPECT_TRUE(dpdk::split_args("   ").empty());
}

} // namespace
} // namespace seastar::net

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    using namespace seastar;
    if (::geteuid() != 0) {
        net::skip_reason = "DPDK's EAL needs root here";
    } else {
        try {
            dpdk::eal_init({.extra_args = dpdk::split_args(
                                "--no-huge -m 256 --no-pci --no-telemetry --log-level=error --vdev=net_null0 "
                                "--file-prefix=dpdk_device_test_" +
                                std::to_string(::getpid()))});
            net::null_port = 0;
            // A cable of two rings: what port a sends, port b receives.
            rte_ring* ab = rte_ring_create("test_ab", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
            rte_ring* ba = rte_ring_create("test_ba", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
            int a = rte_eth_from_rings("ring_a", &ba, 1, &ab, 1, SOCKET_ID_ANY);
            int b = rte_eth_from_rings("ring_b", &ab, 1, &ba, 1, SOCKET_ID_ANY);
            if (!ab || !ba || a < 0 || b < 0) {
                net::skip_reason = "could not create the net_ring ports";
            }
            net::ring_a = uint16_t(a);
            net::ring_b = uint16_t(b);
        } catch (const std::exception& e) {
            net::skip_reason = e.what();
        }
    }
    return RUN_ALL_TESTS();
}
