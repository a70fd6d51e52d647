// The native stack on two shards: two stacks (one per shard each) over the
// two ends of a pair device whose only queues belong to shard 0. Every
// connection and datagram is served by the shard its Toeplitz hash selects,
// whichever shard received its frames; connect() lands on the calling shard;
// ARP learned on one shard serves all; and the bytes arrive intact, also
// through the fault device.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "seastar/core/when_all.hh"
#include "seastar/core/with_timeout.hh"
#include "seastar/net/byteorder.hh"
#include "seastar/net/fault-device.hh"
#include "seastar/net/native-stack.hh"
#include "seastar/net/pair-device.hh"
#include "seastar/net/stream_test_util.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar::net {
namespace {

using namespace std::chrono_literals;
using testing::digest;
using testing::read_stream;
using testing::write_bytes;
using testing::write_stream;

const ipv4_address ip_a(0xc0000201); // 192.0.2.1
const ipv4_address ip_b(0xc0000202); // 192.0.2.2

// This shard's stack over each end of the cable.
thread_local std::unique_ptr<native_network_stack> stack_a, stack_b;

native_stack_config config(ipv4_address host, unsigned shards) {
    native_stack_config c{.host = host, .shards = shards};
    c.tcp.isn_key = std::array<uint64_t, 2>{1, 2}; // the same run every time
    return c;
}

// The two ends (through the fault device when `faults` is set), and a stack
// over each on every one of `shards` shards, shard 0 first (it takes the queues).
// A stack over `a` and one over `b` on each of `shards` shards, shard 0
// first (it takes the queues).
future<> start_stacks_over(std::shared_ptr<device> a, std::shared_ptr<device> b, unsigned shards) {
    for (unsigned s = 0; s < shards; ++s) {
        co_await smp::submit_to(s, [a, b, shards] {
            stack_a = std::make_unique<native_network_stack>(a, config(ip_a, shards));
            stack_b = std::make_unique<native_network_stack>(b, config(ip_b, shards));
        });
    }
}

// The two ends of a pair device (through the fault device when `faults` is set).
future<> start_stacks(unsigned shards, std::optional<fault_options> faults = {}) {
    auto [da, db] = make_device_pair();
    std::shared_ptr<device> a = da, b = db;
    if (faults) {
        auto fo = *faults;
        a = make_fault_device(da, fo);
        fo.seed = fo.seed * 7919 + 13;
        b = make_fault_device(db, fo);
    }
    return start_stacks_over(a, b, shards);
}

// An RSS NIC in miniature over one end of the pair device (whose only queue
// lives on shard 0): two queues, and each received IPv4 frame goes to the
// queue hash2qid() picks for its Toeplitz hash (default key), queue 1's over
// the smp queues; the rest to queue 0. Its redirection table is not the
// software one (odd entries go to queue 0), so a stack that placed flows
// without asking the device would get every frame on the wrong shard.
class rss_device final : public device, public std::enable_shared_from_this<rss_device> {
    class rss_qp;

public:
    explicit rss_device(std::shared_ptr<device> inner) : _inner(std::move(inner)), _hw(_inner->hw_features()) {
        _hw.rx_rss_hash = true;
    }
    ethernet_address hw_address() const noexcept override { return _inner->hw_address(); }
    const net::hw_features& hw_features() const noexcept override { return _hw; }
    unsigned hw_queues_count() const noexcept override { return 2; }
    unsigned hash2qid(uint32_t hash) const noexcept override { return 1 - (hash & 127) % 2; }
    std::unique_ptr<qp> make_queue(unsigned qid) override { return std::make_unique<rss_qp>(shared_from_this(), qid); }

    uint64_t delivered[2] = {}; // frames each queue received (written on its shard)

private:
    class rss_qp final : public qp {
        std::shared_ptr<rss_device> _dev;
        unsigned _qid;
        std::unique_ptr<qp> _inner; // queue 0: the pair device's

    public:
        rss_qp(std::shared_ptr<rss_device> d, unsigned qid) : _dev(std::move(d)), _qid(qid) {
            if (qid == 0) {
                _inner = _dev->_inner->make_queue(0);
                _inner->receive([this](frame f) { dispatch(std::move(f)); });
            }
            _dev->_queues[qid].store(this);
        }
        ~rss_qp() override { _dev->_queues[_qid].store(nullptr); }
        void take(frame f) noexcept {
            _dev->delivered[_qid]++;
            deliver(std::move(f));
        }

    protected:
        void send_batch(std::vector<frame>& batch) noexcept override {
            if (_inner) {
                for (auto& f : batch) {
                    _inner->send(std::move(f));
                }
                return;
            }
            std::vector<frame> out;
            for (auto& f : batch) {
                out.push_back(frame{f.p.copy(), f.oi});
            }
            (void)smp::submit_to(0, [d = _dev, out = std::move(out)]() mutable {
                if (auto* q = d->_queues[0].load()) {
                    for (auto& f : out) {
                        q->_inner->send(std::move(f));
                    }
                }
            });
        }

    private:
        void dispatch(frame f) noexcept {
            auto h = hash_of_frame(f.p);
            f.oi.rss_hash = h;
            if (!h || _dev->hash2qid(*h) == 0) {
                take(std::move(f));
                return;
            }
            (void)smp::submit_to(1, [d = _dev, f = frame{f.p.copy(), f.oi}]() mutable {
                if (auto* q = d->_queues[1].load()) {
                    q->take(std::move(f));
                }
            });
        }
    };

    // The hash a NIC computes for an unfragmented IPv4 TCP or UDP frame.
    static std::optional<uint32_t> hash_of_frame(const packet& p) {
        char h[14 + 60 + 4];
        std::size_t n = 0;
        for (auto& f : p.fragments()) {
            auto take = std::min(sizeof(h) - n, std::size_t(f.size));
            std::memcpy(h + n, f.base, take);
            n += take;
        }
        if (n < 14 + 20 || read_be<uint16_t>(h + 12) != 0x0800) {
            return std::nullopt;
        }
        const char* ip = h + 14;
        std::size_t ihl = std::size_t(ip[0] & 0x0f) * 4;
        uint8_t proto = uint8_t(ip[9]);
        bool fragment = (read_be<uint16_t>(ip + 6) & 0x3fff) != 0;
        if (fragment || (proto != 6 && proto != 17) || n < 14 + ihl + 4) {
            return std::nullopt;
        }
        return ipv4::flow_hash(ipv4_address(read_be<uint32_t>(ip + 12)), ipv4_address(read_be<uint32_t>(ip + 16)),
                               ip + ihl);
    }

    std::shared_ptr<device> _inner;
    net::hw_features _hw;
    std::atomic<rss_qp*> _queues[2] = {nullptr, nullptr};
};

future<> stop_stacks() {
    return smp::invoke_on_all([] {
        stack_a.reset();
        stack_b.reset();
    });
}

void run(unsigned shards, std::function<future<>()> body) {
    EXPECT_EQ(seastar::testing::run_on_shards(seastar::testing::smp_test_options(shards, true, size_t(256) << 20),
                                              std::move(body)),
              0);
}

// The hash a segment from `from` to `to` carries (what the receiving stack
// places it by).
uint32_t hash_of(socket_address from, socket_address to) {
    char ports[4];
    write_be<uint16_t>(ports, from.port());
    write_be<uint16_t>(ports + 2, to.port());
    return ipv4::flow_hash(ipv4_address(ipv4_addr(from.as_posix_sockaddr_in()).ip),
                           ipv4_address(ipv4_addr(to.as_posix_sockaddr_in()).ip), ports);
}

// What one end of a connection moved.
struct moved {
    socket_address peer;
    digest sent;
    digest got;
};

// One per shard: the listener on stack A and what it served.
struct shard_server {
    server_socket ss;
    std::vector<moved> served;
    future<> loop = make_ready_future<>();
};
thread_local std::unique_ptr<shard_server> server;

// Reads the whole stream while writing `reply_bytes` back.
future<> serve(shard_server* s, connected_socket c, socket_address peer, uint64_t reply_bytes) {
    auto in = c.input();
    auto out = c.output();
    auto [got, sent] = co_await when_all_succeed(read_stream(in), write_bytes(out, peer.port(), reply_bytes));
    s->served.push_back(moved{peer, sent, got});
}

future<> keep_accepting(shard_server* s, uint64_t reply_bytes) {
    std::vector<future<>> served;
    for (;;) {
        try {
            auto ar = co_await s->ss.accept();
            served.push_back(serve(s, std::move(ar.connection), ar.remote_address, reply_bytes));
        } catch (...) {
            break; // abort_accept
        }
    }
    for (auto& f : served) {
        co_await std::move(f);
    }
}

// Every shard of A listens on `port` and serves in the background.
future<> start_servers(uint16_t port, uint64_t reply_bytes) {
    return smp::invoke_on_all([port, reply_bytes] {
        server = std::make_unique<shard_server>();
        server->ss = stack_a->listen(socket_address(ipv4_addr(port)), {});
        server->loop = keep_accepting(server.get(), reply_bytes);
    });
}

// Stops accepting, waits for the connections in service; returns what each
// shard served.
future<std::vector<std::vector<moved>>> stop_servers() {
    std::vector<std::vector<moved>> r(smp::count);
    for (unsigned s = 0; s < smp::count; ++s) {
        r[s] = co_await smp::submit_to(s, []() -> future<std::vector<moved>> {
            server->ss.abort_accept();
            co_await std::move(server->loop);
            auto served = std::move(server->served);
            server.reset();
            co_return served;
        });
    }
    co_return r;
}

// One client on this shard's stack B: connects to A:port, sends `bytes`
// (or `chunks` chunks of varied sizes when bytes is 0) and reads the answer.
future<moved> run_client(uint16_t port, uint64_t seed, unsigned chunks, uint64_t bytes) {
    auto c = co_await stack_b->socket().connect(socket_address(ipv4_addr(ip_a.ip, port)));
    auto in = c.input();
    auto out = c.output();
    moved r{.peer = c.local_address()};
    auto writer = bytes ? write_bytes(out, seed, bytes) : write_stream(out, seed, chunks);
    auto [sent, got] = co_await when_all_succeed(std::move(writer), read_stream(in));
    r.sent = sent;
    r.got = got;
    co_return r;
}

// `n` clients at once on every shard of B; returns what each shard's moved
// (`peer`: the client's own address).
future<std::vector<std::vector<moved>>> run_clients(uint16_t port, unsigned n, unsigned chunks, uint64_t bytes) {
    std::vector<future<std::vector<moved>>> per_shard;
    for (unsigned s = 0; s < smp::count; ++s) {
        per_shard.push_back(smp::submit_to(s, [=]() -> future<std::vector<moved>> {
            std::vector<future<moved>> fs;
            for (unsigned i = 0; i < n; ++i) {
                fs.push_back(run_client(port, this_shard_id() * 100 + i + 1, chunks, bytes));
            }
            std::vector<moved> rs;
            for (auto& f : fs) {
                rs.push_back(co_await std::move(f));
            }
            co_return rs;
        }));
    }
    std::vector<std::vector<moved>> r;
    for (auto& f : per_shard) {
        r.push_back(co_await std::move(f));
    }
    co_return r;
}

// Every client's bytes reached exactly one server connection intact, and the
// server's answer reached the client intact; each end sat on the shard its
// hash selects. Returns how many connections each server shard served.
future<std::vector<unsigned>> check_transfers(const std::vector<std::vector<moved>>& clients,
                                              const std::vector<std::vector<moved>>& servers, uint16_t port) {
    const socket_address service(ipv4_addr(ip_a.ip, port));
    std::vector<unsigned> per_server_shard;
    unsigned matched = 0, total = 0;
    for (unsigned s = 0; s < servers.size(); ++s) {
        per_server_shard.push_back(servers[s].size());
        for (auto& sv : servers[s]) {
            auto owner = co_await smp::submit_to(s, [h = hash_of(sv.peer, service)] { return stack_a->owner_of(h); });
            EXPECT_EQ(owner, s) << "served on shard " << s << " from port " << sv.peer.port();
        }
    }
    for (unsigned s = 0; s < clients.size(); ++s) {
        for (auto& c : clients[s]) {
            ++total;
            // connect() took a local port whose answers hash back to this shard.
            auto owner = co_await smp::submit_to(s, [h = hash_of(service, c.peer)] { return stack_b->owner_of(h); });
            EXPECT_EQ(owner, s) << "client port " << c.peer.port();
            EXPECT_GT(c.sent.bytes, 0u);
            for (auto& shard : servers) {
                for (auto& sv : shard) {
                    if (sv.peer == c.peer) {
                        ++matched;
                        EXPECT_EQ(sv.got, c.sent) << "from port " << c.peer.port();
                        EXPECT_EQ(c.got, sv.sent) << "to port " << c.peer.port();
                    }
                }
            }
        }
    }
    EXPECT_EQ(matched, total);
    co_return per_server_shard;
}

TEST(native_stack_smp, connections_are_served_by_the_shard_their_hash_selects) {
    run(2, []() -> future<> {
        co_await start_stacks(2);
        co_await start_servers(5000, 20000);
        auto clients = co_await run_clients(5000, 6, 4, 0);
        auto servers = co_await stop_servers();
        auto per_shard = co_await check_transfers(clients, servers, 5000);
        EXPECT_EQ(per_shard[0] + per_shard[1], 12u);
        EXPECT_GT(per_shard[0], 0u);
        EXPECT_GT(per_shard[1], 0u);
        // Shard 0 drives both queues: it forwarded shard 1's segments there,
        // and shard 1 learned the peer's address from the ARP shard 0 received.
        auto st0a = stack_a->stats();
        auto [st1a, st1b, arp1] = co_await smp::submit_to(
            1, [] { return std::tuple{stack_a->stats(), stack_b->stats(), stack_a->arp().cache_size()}; });
        EXPECT_GT(st0a.forwarded_out, 0u);
        EXPECT_GT(st1a.forwarded_in, 0u); // some may still be on their way
        EXPECT_LE(st1a.forwarded_in, st0a.forwarded_out);
        EXPECT_GT(st1b.forwarded_in, 0u);
        EXPECT_EQ(st1a.forwarded_out, 0u); // shard 1 receives nothing itself
        EXPECT_GT(st0a.arp_shared, 0u);
        EXPECT_EQ(arp1, 1u);
        EXPECT_EQ(st0a.dropped + st1a.dropped, 0u);
        co_await stop_stacks();
    });
}

// Over a device with a queue per shard that hashes (as DPDK ports with RSS
// do), every segment arrives on the queue of the shard that owns its flow:
// the stacks place flows by the device's redirection table and forward nothing.
TEST(native_stack_smp, a_device_with_a_queue_per_shard_brings_each_flow_to_its_owner) {
    run(2, []() -> future<> {
        auto [da, db] = make_device_pair();
        auto rss = std::make_shared<rss_device>(da);
        co_await start_stacks_over(rss, db, 2);
        co_await start_servers(5000, 20000);
        auto clients = co_await run_clients(5000, 6, 4, 0);
        auto servers = co_await stop_servers();
        auto per_shard = co_await check_transfers(clients, servers, 5000);
        EXPECT_GT(per_shard[0], 0u);
        EXPECT_GT(per_shard[1], 0u);
        auto f0 = stack_a->stats().forwarded_out;
        auto [f1, delivered1] =
            co_await smp::submit_to(1, [rss] { return std::pair{stack_a->stats().forwarded_out, rss->delivered[1]}; });
        EXPECT_EQ(f0 + f1, 0u);
        EXPECT_GT(rss->delivered[0], 0u);
        EXPECT_GT(delivered1, 0u);
        co_await stop_stacks();
    });
}

// Datagrams on every shard of A, port 7000: each lands on the shard its
// 4-tuple hash selects, also when it comes in fragments (which meet on the
// shard of their addresses' hash, are reassembled there and moved on).
TEST(native_stack_smp, datagrams_and_reassembled_fragments_reach_their_owner) {
    run(2, []() -> future<> {
        co_await start_stacks(2);
        // Every shard of A receives on port 7000 in the background.
        using received = std::vector<std::pair<socket_address, std::string>>;
        struct receiver {
            udp_channel ch;
            received got;
            future<> loop = make_ready_future<>();
        };
        thread_local std::unique_ptr<receiver> rx;
        co_await smp::invoke_on_all([] {
            rx = std::make_unique<receiver>();
            rx->ch = stack_a->make_udp_channel(socket_address(ipv4_addr(7000)));
            rx->loop = [](receiver* r) -> future<> {
                for (;;) {
                    auto d = co_await r->ch.receive();
                    std::string body;
                    for (auto& f : d.get_data().fragments()) {
                        body.append(f.base, f.size);
                    }
                    r->got.emplace_back(d.get_src(), std::move(body));
                }
            }(rx.get())
                                              .handle_exception([](auto) {});
        });
        // B learns A's address first (a datagram waiting for ARP may be dropped).
        auto warm = stack_b->make_udp_channel(socket_address(ipv4_addr(5999)));
        co_await warm.send(socket_address(ipv4_addr(ip_a.ip, 9)), "hello");
        for (int i = 0; i < 500 && stack_b->arp().cache_size() == 0; ++i) {
            co_await sleep(std::chrono::milliseconds(10));
        }
        warm.close();
        // From 16 source ports on B (shard 0), small and 4,000-byte datagrams.
        const socket_address service(ipv4_addr(ip_a.ip, 7000));
        received sent;
        for (uint16_t p = 0; p < 16; ++p) {
            auto from = stack_b->make_udp_channel(socket_address(ipv4_addr(6000 + p)));
            for (std::size_t size : {100, 4000}) {
                std::string body(size, char('a' + p));
                body += std::to_string(size);
                co_await from.send(service, packet(body.data(), body.size()));
                sent.emplace_back(socket_address(ipv4_addr(ip_b.ip, 6000 + p)), body);
            }
            from.close();
        }
        // Wait until all have arrived (or five seconds have passed).
        std::vector<received> got(2);
        for (int i = 0; i < 500; ++i) {
            for (unsigned s = 0; s < 2; ++s) {
                got[s] = co_await smp::submit_to(s, [] { return rx->got; });
            }
            if (got[0].size() + got[1].size() >= sent.size()) {
                break;
            }
            co_await sleep(std::chrono::milliseconds(10));
        }
        EXPECT_EQ(got[0].size() + got[1].size(), sent.size());
        // Each on the shard its 4-tuple hash selects, intact.
        for (unsigned s = 0; s < 2; ++s) {
            EXPECT_GT(got[s].size(), 0u) << "shard " << s << " received nothing";
            for (auto& [src, body] : got[s]) {
                EXPECT_EQ(stack_a->owner_of(hash_of(src, service)), s) << "from port " << src.port();
                EXPECT_NE(std::find(sent.begin(), sent.end(), std::pair{src, body}), sent.end())
                    << "from port " << src.port() << ", " << body.size() << " bytes";
            }
        }
        // Fragments crossed shards on the way (16 flows: some reassemble on
        // one shard and belong to the other).
        auto ip0 = stack_a->ip().stats();
        auto ip1 = co_await smp::submit_to(1, [] { return stack_a->ip().stats(); });
        EXPECT_GT(ip0.rx_forwarded, 0u);
        EXPECT_GT(ip1.rx_accepted_forwarded, 0u);
        EXPECT_EQ(ip0.reassembled + ip1.reassembled, 16u);
        EXPECT_EQ(ip0.reassembly_timeouts + ip1.reassembly_timeouts, 0u);
        co_await smp::invoke_on_all([]() -> future<> {
            rx->ch.close();
            co_await std::move(rx->loop);
            rx.reset();
        });
        co_await stop_stacks();
    });
}

// A datagram goes to a shard that has a channel on its port when the shard
// its hash selects has none: a server bound on shard 0 alone gets datagrams
// from every source port, and client channels on shard 1 (ephemeral ports,
// unique across shards) get every answer, although the answers arrive on
// shard 0's queue.
TEST(native_stack_smp, datagrams_find_the_shard_that_has_their_port) {
    run(2, []() -> future<> {
        co_await start_stacks(2);
        const socket_address service(ipv4_addr(ip_a.ip, 7100));
        auto server = stack_a->make_udp_channel(socket_address(ipv4_addr(7100)));
        constexpr unsigned n = 16;
        auto echo = [](udp_channel& ch) -> future<std::vector<uint16_t>> {
            std::vector<uint16_t> from;
            while (from.size() < n) {
                auto d = co_await with_timeout(steady_clock_type::now() + 10s, ch.receive());
                from.push_back(d.get_src().port());
                co_await ch.send(d.get_src(), std::move(d.get_data()));
            }
            co_return from;
        };
        auto served = echo(server);
        auto [answered, ports] =
            co_await smp::submit_to(1, [service]() -> future<std::pair<unsigned, std::vector<uint16_t>>> {
                unsigned answered = 0;
                std::vector<uint16_t> ports;
                for (unsigned i = 0; i < n; ++i) {
                    auto ch = stack_b->make_udp_channel(socket_address(ipv4_addr(uint16_t(0))));
                    ports.push_back(ch.local_address().port());
                    auto text = "ping " + std::to_string(i);
                    co_await ch.send(service, packet(text.data(), text.size()));
                    auto d = co_await with_timeout(steady_clock_type::now() + 10s, ch.receive());
                    std::string back;
                    for (auto& f : d.get_data().fragments()) {
                        back.append(f.base, f.size);
                    }
                    answered += back == text;
                    ch.close();
                }
                co_return std::pair{answered, ports};
            });
        EXPECT_EQ(answered, n);
        auto from = co_await std::move(served);
        EXPECT_EQ(from, ports);
        // Some answers hashed to B's shard 0 and crossed to shard 1; some
        // requests hashed to A's shard 1 and crossed to shard 0.
        unsigned b_crossed = 0, a_crossed = 0;
        for (auto port : ports) {
            b_crossed += stack_b->owner_of(hash_of(service, socket_address(ipv4_addr(ip_b.ip, port)))) == 0;
            a_crossed += stack_a->owner_of(hash_of(socket_address(ipv4_addr(ip_b.ip, port)), service)) == 1;
        }
        EXPECT_GT(b_crossed, 0u);
        EXPECT_GT(a_crossed, 0u);
        // An ephemeral port on shard 0 is not one shard 1 holds (shard 0 has
        // picked none yet, so its first choice would be the first ephemeral port).
        thread_local std::optional<udp_channel> held;
        co_await smp::submit_to(1, [] { held = stack_b->make_udp_channel(ipv4_addr(udp::first_ephemeral_port)); });
        auto mine = stack_b->make_udp_channel(socket_address(ipv4_addr(uint16_t(0))));
        EXPECT_NE(mine.local_address().port(), udp::first_ephemeral_port);
        mine.close();
        co_await smp::submit_to(1, [] {
            held->close();
            held.reset();
        });
        server.close();
        co_await stop_stacks();
    });
}

// A stack over a multi-shard device refuses what cannot work, and a failed
// construction leaves the others serving.
TEST(native_stack_smp, bad_configurations_are_refused) {
    run(3, []() -> future<> {
        auto [da, db] = make_device_pair();
        std::shared_ptr<device> a = da;
        // Shard 2 is not among 2 shards.
        co_await smp::submit_to(2,
                                [a] { EXPECT_THROW(native_network_stack(a, config(ip_a, 2)), std::invalid_argument); });
        co_await smp::submit_to(0, [a] {
            // Refused before the device's queue is taken: the next stack gets it.
            auto c = config(ip_a, 2);
            c.dhcp = true;
            EXPECT_THROW(native_network_stack(a, c), std::invalid_argument);
            stack_a = std::make_unique<native_network_stack>(a, config(ip_a, 2));
        });
        co_await smp::submit_to(1, [a] {
            // Another count of shards over the same device.
            EXPECT_THROW(native_network_stack(a, config(ip_a, 3)), std::invalid_argument);
            // DHCP needs a one-shard stack.
            auto c = config(ip_a, 2);
            c.dhcp = true;
            EXPECT_THROW(native_network_stack(a, c), std::invalid_argument);
            stack_a = std::make_unique<native_network_stack>(a, config(ip_a, 2));
            // A second stack on a shard that has one.
            EXPECT_THROW(native_network_stack(a, config(ip_a, 2)), std::logic_error);
        });
        // Both stacks still serve: connections from several ports reach
        // shard 0 and, forwarded, shard 1.
        std::shared_ptr<device> b = db;
        stack_b = std::make_unique<native_network_stack>(b, config(ip_b, 1));
        thread_local std::optional<server_socket> listener;
        co_await smp::invoke_on_all([] {
            if (stack_a) {
                listener = stack_a->listen(socket_address(ipv4_addr(80)), {});
            }
        });
        std::vector<connected_socket> cs;
        unsigned on1 = 0;
        for (int i = 0; i < 8; ++i) {
            cs.push_back(co_await stack_b->socket().connect(socket_address(ipv4_addr(ip_a.ip, 80))));
            on1 += stack_a->owner_of(hash_of(cs.back().local_address(), socket_address(ipv4_addr(ip_a.ip, 80)))) == 1;
        }
        EXPECT_GT(on1, 0u);
        EXPECT_LT(on1, 8u);
        // Shard 1's stack took its connections (shard 0 forwarded their SYNs).
        auto opens = co_await smp::submit_to(1, [] { return stack_a->tcp().stats().passive_opens; });
        EXPECT_EQ(opens, on1);
        EXPECT_EQ(stack_a->tcp().stats().passive_opens, 8 - on1);
        cs.clear();
        co_await smp::invoke_on_all([] { listener.reset(); });
        co_await stop_stacks();
    });
}

// Bytes each way per connection for the fault test: 100 MB with
// SEASTAR_NATIVE_TRANSFER_MB=100 (docs/benchmarks.md has such a run, with
// the command); by default 1 MB, cheap enough for every sanitizer configuration.
uint64_t transfer_bytes() {
    if (auto* v = std::getenv("SEASTAR_NATIVE_TRANSFER_MB")) {
        return uint64_t(std::strtoull(v, nullptr, 10)) << 20;
    }
    return uint64_t(1) << 20;
}

// One connection from each shard of B to the servers on A, both directions
// at once, through the fault device (5% of frames dropped, 5% duplicated, 5%
// reordered, each way), for several seeds.
void transfer_through_faults(unsigned shards) {
    for (uint64_t seed : {1, 2, 3}) {
        run(shards, [seed, shards]() -> future<> {
            fault_config fc{.drop = 0.05, .duplicate = 0.05, .reorder = 0.05};
            co_await start_stacks(shards, fault_options{.seed = seed, .tx = fc, .rx = {}});
            const uint64_t bytes = transfer_bytes();
            co_await start_servers(5001, bytes);
            auto clients = co_await run_clients(5001, 1, 0, bytes);
            auto servers = co_await stop_servers();
            co_await check_transfers(clients, servers, 5001);
            for (auto& shard : clients) {
                for (auto& c : shard) {
                    EXPECT_EQ(c.sent.bytes, bytes);
                    EXPECT_EQ(c.got.bytes, bytes) << "seed " << seed;
                }
            }
            uint64_t retransmitted = 0;
            for (unsigned s = 0; s < shards; ++s) {
                retransmitted += co_await smp::submit_to(s, [] {
                    return stack_a->tcp().stats().retransmitted_segments +
                           stack_b->tcp().stats().retransmitted_segments;
                });
            }
            EXPECT_GT(retransmitted, 0u);
            co_await stop_stacks();
        });
    }
}

TEST(native_stack_smp, both_ways_through_the_fault_device_on_one_shard) {
    transfer_through_faults(1);
}

TEST(native_stack_smp, both_ways_through_the_fault_device_on_two_shards) {
    transfer_through_faults(2);
}

} // namespace
} // namespace seastar::net
