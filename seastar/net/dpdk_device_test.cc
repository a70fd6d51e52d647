// The DPDK device with DPDK's virtual devices, no huge pages and no PCI:
// two native stacks in one process talking through a net_ring pair (TCP
// both ways, UDP, close, several MiB of random bytes), a net_null
// transmit/receive smoke test, port status and statistics, bad port
// numbers, packets freed on another thread returning their mbufs; zero-copy
// transmit (large fragments attached, not copied: the receiver of a ring
// sees the sender's own bytes, the packet is released once the driver let
// go, mempools come back to where they started); and, over net_tap in a
// network namespace of the test's own, TCP with Linux's stack both ways with
// segmentation offload (TSO) when net_tap offers it. EAL starts once, in
// main(), with its own --file-prefix; without root (or when EAL cannot
// start) every test is skipped, saying why.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <thread>

#include "seastar/core/coroutine.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/when_all.hh"
#include "seastar/net/dpdk.hh"
#include "seastar/net/native-stack.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/defer.hh"

namespace seastar::net {
namespace {

using namespace std::chrono_literals;

std::string skip_reason;
std::string tap_skip_reason;
uint16_t null_port = 0;
uint16_t ring_a = 0, ring_b = 0;
uint16_t tap_port = 0;

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

std::string random_bytes(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::string s(n, '\0');
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = rng();
        std::memcpy(s.data() + i, &x, std::min<size_t>(8, n - i));
    }
    return s;
}

future<> write_in(output_stream<char>& out, const std::string& data, size_t chunk) {
    for (size_t i = 0; i < data.size(); i += chunk) {
        co_await out.write(data.data() + i, std::min(chunk, data.size() - i));
    }
    co_await out.close();
}

// Waits (bounded) until `done()`, polling from the reactor.
future<bool> eventually(std::function<bool()> done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
        co_await sleep(1ms);
    }
    co_return done();
}

SEASTAR_TEST_F(dpdk_device, ring_pair_several_mib_of_random_bytes_both_ways) {
    ring_stacks s;
    // net_ring has no TSO: the stack segments at the MSS in software.
    EXPECT_FALSE(s.da->hw_features().tx_tso);
    EXPECT_EQ(s.da->hw_features().max_packet_len, 1514u);
    unsigned start_a = avail_in_pools_of(ring_a), start_b = avail_in_pools_of(ring_b);
    {
        auto ss = s.a->listen(socket_address(ipv4_addr(5001)), {});
        auto accepted = ss.accept();
        auto client = co_await s.b->socket().connect(socket_address(ipv4_addr(ip_a.ip, 5001)));
        auto ar = co_await std::move(accepted);
        auto cin = client.input();
        auto cout = client.output();
        auto sin = ar.connection.input();
        auto sout = ar.connection.output();
        auto up = random_bytes(6 << 20, 11), down = random_bytes(5 << 20, 12);
        auto [got_by_server, got_by_client] = co_await when_all_succeed(
            write_in(cout, up, 64 << 10), write_in(sout, down, 100000), read_all(sin), read_all(cin));
        EXPECT_TRUE(got_by_server == up) << got_by_server.size();
        EXPECT_TRUE(got_by_client == down) << got_by_client.size();
        // No frame above the MTU left either port.
        auto& qa = s.a->iface().queue().stats();
        EXPECT_LE(qa.tx_bytes, qa.tx_frames * 1514);
        ss.abort_accept();
    }
    // Every mbuf, the attached ones included, is back once the stacks let go.
    s.a.reset();
    s.b.reset();
    EXPECT_EQ(avail_in_pools_of(ring_a), start_a);
    EXPECT_EQ(avail_in_pools_of(ring_b), start_b);
}

SEASTAR_TEST_F(dpdk_device, large_fragments_leave_uncopied_and_are_released_after_transmit) {
    auto da = create_dpdk_net_device(ring_a, 1);
    auto db = create_dpdk_net_device(ring_b, 1);
    unsigned start_a = avail_in_pools_of(ring_a), start_b = avail_in_pools_of(ring_b);
    auto qa = da->make_queue(0);
    auto qb = db->make_queue(0);
    std::vector<frame> got;
    qb->receive([&](frame f) { got.push_back(std::move(f)); });
    // A frame of a small header, a small fragment (copied) and two large
    // ones (attached; the second above what one mbuf can describe).
    std::string head = random_bytes(60, 1), small = random_bytes(300, 2);
    std::string big1 = random_bytes(4000, 3), big2 = random_bytes(100000, 4);
    int released = 0;
    std::thread::id released_on;
    std::vector<fragment> frags{{head.data(), head.size()},
                                {small.data(), small.size()},
                                {big1.data(), big1.size()},
                                {big2.data(), big2.size()}};
    qa->send(frame{packet(std::move(frags), make_deleter([&] {
                              ++released;
                              released_on = std::this_thread::get_id();
                          })),
                   {}});
    bool arrived = co_await eventually([&] { return !got.empty(); });
    EXPECT_TRUE(arrived);
    if (!arrived) {
        co_return;
    }
    auto& p = got[0].p;
    std::string bytes;
    bool saw_big1 = false, saw_big2 = false;
    for (auto& fr : p.fragments()) {
        saw_big1 |= fr.base == big1.data();
        saw_big2 |= fr.base == big2.data();
        bytes.append(fr.base, fr.size);
    }
    EXPECT_TRUE(bytes == head + small + big1 + big2) << bytes.size();
    // The receiver reads the sender's own memory: nothing was copied.
    EXPECT_TRUE(saw_big1);
    EXPECT_TRUE(saw_big2);
    // Still in use (the receiver holds mbufs pointing into it).
    EXPECT_EQ(released, 0);
    got.clear();
    EXPECT_EQ(released, 1);
    EXPECT_EQ(released_on, std::this_thread::get_id());
    EXPECT_EQ(avail_in_pools_of(ring_a), start_a);
    EXPECT_EQ(avail_in_pools_of(ring_b), start_b);
    EXPECT_EQ(qa->stats().tx_dropped, 0u);
}

SEASTAR_TEST_F(dpdk_device, a_packet_freed_by_another_thread_is_released_on_its_shard) {
    auto da = create_dpdk_net_device(ring_a, 1);
    auto db = create_dpdk_net_device(ring_b, 1);
    unsigned start_a = avail_in_pools_of(ring_a);
    auto qa = da->make_queue(0);
    auto qb = db->make_queue(0);
    std::vector<frame> got;
    qb->receive([&](frame f) { got.push_back(std::move(f)); });
    std::string head(64, 'h'), body = random_bytes(8192, 5);
    std::atomic<int> released{0};
    std::thread::id released_on;
    qa->send(
        frame{packet(std::vector<fragment>{{head.data(), head.size()}, {body.data(), body.size()}}, make_deleter([&] {
                         released_on = std::this_thread::get_id();
                         released.fetch_add(1);
                     })),
              {}});
    bool arrived = co_await eventually([&] { return !got.empty(); });
    EXPECT_TRUE(arrived);
    if (!arrived) {
        co_return;
    }
    // The receiver's last mbuf goes on a thread that is no shard: the
    // sender's packet waits for its own queue's poller.
    std::thread([&] { got.clear(); }).join();
    bool done = co_await eventually([&] { return released.load() == 1; });
    EXPECT_TRUE(done);
    EXPECT_EQ(released_on, std::this_thread::get_id());
    EXPECT_EQ(avail_in_pools_of(ring_a), start_a);
}

// net_null frees what it transmits inside the burst.
SEASTAR_TEST_F(dpdk_device, null_transmit_releases_every_packet_and_mbuf) {
    auto dev = create_dpdk_net_device(null_port, 1);
    unsigned start = avail_in_pools_of(null_port);
    {
        auto q = dev->make_queue(0);
        q->receive([](frame) {});
        std::string body = random_bytes(3000, 6);
        int released = 0;
        for (int i = 0; i < 200; ++i) {
            q->send(frame{packet(std::vector<fragment>{{body.data(), 64}, {body.data() + 64, body.size() - 64}},
                                 make_deleter([&] { ++released; })),
                          {}});
        }
        bool done = co_await eventually([&] { return released == 200; });
        EXPECT_TRUE(done);
        EXPECT_EQ(q->stats().tx_frames, 200u);
    }
    // The queue is gone (and with it what net_null had received).
    EXPECT_EQ(avail_in_pools_of(null_port), start);
}

// Linux's TCP over net_tap in this test's network namespace (dtap0 is
// 192.0.2.1; the native stack is 192.0.2.2): 4 MiB each way, random bytes
// checked on both ends, with TSO when net_tap offers it.
class dpdk_tap : public ::testing::Test {
protected:
    void SetUp() override {
        if (!tap_skip_reason.empty()) {
            GTEST_SKIP() << tap_skip_reason;
        }
    }
};

SEASTAR_TEST_F(dpdk_tap, tcp_with_linux_both_ways) {
    auto dev = create_dpdk_net_device(tap_port, 1);
    auto& hw = dev->hw_features();
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(tap_port, &info);
    bool offered = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO;
    std::cerr << "net_tap: TSO " << (offered ? "offered" : "not offered") << ", tx_tso " << hw.tx_tso
              << ", max_packet_len " << hw.max_packet_len << "\n";
    EXPECT_EQ(hw.tx_tso, offered);
    if (hw.tx_tso) {
        EXPECT_GT(hw.max_packet_len, 60000u);
    }
    auto stack = std::make_unique<native_network_stack>(
        dev, native_stack_config{.host = ip_b, .netmask = ipv4_address(0xffffff00)});
    auto ss = stack->listen(socket_address(ipv4_addr(5002)), {});
    auto accepted = ss.accept();
    auto up = random_bytes(4 << 20, 21), down = random_bytes(4 << 20, 22);
    std::string linux_got;
    std::atomic<bool> linux_ok{false};
    std::string linux_error;
    // The reactor's signals are not for these threads.
    sigset_t all, saved;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &saved);
    std::thread linux_side([&] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{60, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(5002);
        sa.sin_addr.s_addr = htonl(ip_b.ip);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
            linux_error = std::string("connect: ") + strerror(errno);
            ::close(fd);
            return;
        }
        std::thread writer([&] {
            size_t off = 0;
            while (off < up.size()) {
                ssize_t n = ::send(fd, up.data() + off, up.size() - off, MSG_NOSIGNAL);
                if (n <= 0) {
                    std::fprintf(stderr, "linux send: %s\n", strerror(errno));
                    break;
                }
                off += size_t(n);
            }
            ::shutdown(fd, SHUT_WR);
        });
        char buf[65536];
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
            if (n < 0) {
                linux_error = std::string("recv: ") + strerror(errno);
            }
            if (n <= 0) {
                break;
            }
            linux_got.append(buf, size_t(n));
        }
        writer.join();
        ::close(fd);
        linux_ok = true;
    });
    ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    // The Linux side ends by itself (its socket times out at worst).
    auto join = defer([&]() noexcept { linux_side.join(); });
    std::string got;
    std::exception_ptr failed;
    try {
        auto ar = co_await std::move(accepted);
        auto sin = ar.connection.input();
        auto sout = ar.connection.output();
        auto writing = write_in(sout, down, 128 << 10);
        got = co_await read_all(sin);
        co_await std::move(writing);
    } catch (...) {
        failed = std::current_exception();
    }
    for (int i = 0; i < 60000 && !linux_ok; ++i) {
        co_await sleep(1ms);
    }
    join.cancel();
    linux_side.join();
    EXPECT_FALSE(failed) << "the native side failed";
    EXPECT_TRUE(linux_error.empty()) << linux_error;
    EXPECT_TRUE(got == up) << got.size();
    EXPECT_TRUE(linux_got == down) << linux_got.size();
    auto& st = stack->iface().queue().stats();
    uint64_t on_wire = 0;
    for (auto& [name, value] : dpdk::port_xstats(tap_port)) {
        if (name == "tx_good_packets") {
            on_wire = value;
        }
    }
    std::cerr << "net_tap: " << st.tx_frames << " frames (" << st.tx_bytes << " bytes) handed to the port, " << on_wire
              << " frames on the wire\n";
    if (hw.tx_tso) {
        // Segments of many MSS were cut by the port: 4 MiB is about 2,900
        // segments at the MSS, fewer frames went to the port than that.
        EXPECT_GT(on_wire, st.tx_frames + 1000);
    } else {
        EXPECT_LE(st.tx_bytes, st.tx_frames * 1514);
    }
    ss.abort_accept();
    stack.reset();
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
        // A network namespace of our own for net_tap's kernel interface
        // (before EAL starts its threads, which share it).
        bool netns = ::unshare(CLONE_NEWNET) == 0;
        if (!netns) {
            net::tap_skip_reason = std::string("no network namespace: ") + strerror(errno);
        }
        try {
            dpdk::eal_init({.extra_args = dpdk::split_args(
                                "--no-huge -m 512 --no-pci --no-telemetry --log-level=error --vdev=net_null0 " +
                                std::string(netns ? "--vdev=net_tap0,iface=dtap0 " : "") +
                                "--file-prefix=dpdk_device_test_" + std::to_string(::getpid()))});
            if (rte_eth_dev_get_port_by_name("net_null0", &net::null_port) != 0) {
                net::skip_reason = "no net_null port";
            }
            if (netns && net::tap_skip_reason.empty()) {
                if (rte_eth_dev_get_port_by_name("net_tap0", &net::tap_port) != 0) {
                    net::tap_skip_reason = "no net_tap port";
                } else if (std::system("ip link set lo up && ip link set dtap0 up && "
                                       "ip addr add 192.0.2.1/24 dev dtap0") != 0) {
                    net::tap_skip_reason = "could not configure dtap0 with ip(8)";
                }
            }
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
    if (!net::skip_reason.empty() && net::tap_skip_reason.empty()) {
        net::tap_skip_reason = net::skip_reason;
    }
    return RUN_ALL_TESTS();
}
