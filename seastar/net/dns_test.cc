// net::dns_resolver against a DNS server the test runs itself, on the same
// reactor (a datagram channel on 127.0.0.1): if a lookup blocked the shard,
// the server could not answer. The server knows one name and its address
// (A and PTR) and one service (two SRV records), sends a malformed SRV
// answer for another, answers NXDOMAIN for other names and never answers a
// third.
#include "seastar/net/dns.hh"

#include <ares.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/gate.hh"
#include "seastar/net/api.hh"
#include "seastar/net/posix-stack.hh"
#include "seastar/net/stack.hh"
#include "seastar/testing/seastar_test.hh"

using namespace seastar;
using namespace std::chrono_literals;

namespace {

const std::string known_name = "db.test.example";
const net::inet_address known_addr("192.0.2.10");
const std::string silent_name = "silent.test.example";
const std::string srv_name = "_db._tcp.test.example";
const std::string broken_srv_name = "_broken._tcp.test.example";

constexpr uint16_t type_a = 1, type_ptr = 12, type_aaaa = 28, type_srv = 33;

void put16(std::string& s, uint16_t v) {
    s.push_back(char(v >> 8));
    s.push_back(char(v & 0xff));
}

void put_name(std::string& s, const std::string& name) {
    size_t start = 0;
    while (start < name.size()) {
        auto dot = name.find('.', start);
        if (dot == std::string::npos) {
            dot = name.size();
        }
        s.push_back(char(dot - start));
        s.append(name, start, dot - start);
        start = dot + 1;
    }
    s.push_back('\0');
}

// A minimal authoritative server for one name, over a datagram channel.
class tiny_dns_server {
    net::datagram_channel _ch = make_bound_datagram_channel(socket_address(ipv4_addr("127.0.0.1", 0)));
    future<> _loop = make_ready_future<>();

public:
    unsigned queries = 0;

    uint16_t port() const { return _ch.local_address().port(); }
    void start() { _loop = serve(); }
    future<> stop() {
        _ch.shutdown_input();
        co_await std::move(_loop);
        _ch.close();
    }

private:
    future<> serve() {
        for (;;) {
            std::string q;
            socket_address from;
            try {
                auto d = co_await _ch.receive();
                for (auto& f : d.get_data().fragments()) {
                    q.append(f.base, f.size);
                }
                from = d.get_src();
            } catch (const std::system_error&) {
                co_return; // shut down
            }
            ++queries;
            auto reply = answer(q);
            if (!reply.empty()) {
                co_await _ch.send(from, net::packet(reply.data(), reply.size()));
            }
        }
    }

    // The reply to query `q`, or nothing (malformed, or the silent name).
    static std::string answer(const std::string& q) {
        if (q.size() < 12) {
            return {};
        }
        // The question: labels, then type and class.
        std::string name;
        size_t pos = 12;
        while (pos < q.size() && q[pos] != 0) {
            size_t len = uint8_t(q[pos]);
            if (pos + 1 + len > q.size()) {
                return {};
            }
            if (!name.empty()) {
                name.push_back('.');
            }
            name.append(q, pos + 1, len);
            pos += 1 + len;
        }
        if (pos + 5 > q.size()) {
            return {};
        }
        uint16_t qtype = uint16_t(uint8_t(q[pos + 1]) << 8 | uint8_t(q[pos + 2]));
        size_t question_end = pos + 5;
        if (name == silent_name) {
            return {};
        }
        std::vector<std::string> rdatas;
        uint16_t rcode = 3; // NXDOMAIN
        auto ptr_name = "10.2.0.192.in-addr.arpa";
        if (name == known_name) {
            rcode = 0;
            if (qtype == type_a) {
                rdatas.emplace_back("\xc0\x00\x02\x0a", 4);
            }
        } else if (name == ptr_name) {
            rcode = 0;
            if (qtype == type_ptr) {
                put_name(rdatas.emplace_back(), known_name);
            }
        } else if (name == srv_name) {
            rcode = 0;
            if (qtype == type_srv) {
                for (auto [prio, weight, port, target] :
                     {std::tuple(10, 60, 5432, "db1.test.example"), std::tuple(20, 0, 5433, "db2.test.example")}) {
                    auto& d = rdatas.emplace_back();
                    put16(d, uint16_t(prio));
                    put16(d, uint16_t(weight));
                    put16(d, uint16_t(port));
                    put_name(d, target);
                }
            }
        } else if (name == broken_srv_name) {
            rcode = 0;
            if (qtype == type_srv) {
                rdatas.emplace_back("\x00\x01\x00", 3); // cut inside the weight
            }
        }
        std::string r;
        r.append(q, 0, 2);                           // id
        put16(r, uint16_t(0x8400 | 0x0100 | rcode)); // QR, AA, RD as asked
        put16(r, 1);                                 // one question
        put16(r, uint16_t(rdatas.size()));           // answers
        put16(r, 0);
        put16(r, 0);
        r.append(q, 12, question_end - 12);
        for (auto& rdata : rdatas) {
            put16(r, 0xc00c); // the question's name
            put16(r, qtype);
            put16(r, 1); // IN
            put16(r, 0);
            put16(r, 60); // TTL
            put16(r, uint16_t(rdata.size()));
            r += rdata;
        }
        return r;
    }
};

net::dns_resolver::options options_for(const tiny_dns_server& s, std::chrono::milliseconds timeout = 2000ms) {
    net::dns_resolver::options o;
    o.servers = std::vector<net::inet_address>{net::inet_address("127.0.0.1")};
    o.udp_port = s.port();
    o.timeout = timeout;
    o.domains = std::vector<sstring>{};
    return o;
}

template <typename F>
future<std::string> expect_dns_error(F&& f, int status) {
    try {
        co_await std::forward<F>(f)();
    } catch (const std::system_error& e) {
        EXPECT_EQ(&e.code().category(), &net::dns::error_category()) << e.what();
        EXPECT_EQ(e.code().value(), status) << e.what();
        co_return std::string(e.what());
    }
    ADD_FAILURE() << "expected c-ares status " << status;
    co_return std::string();
}

SEASTAR_TEST_CASE(dns, names_and_addresses_from_our_server) {
    tiny_dns_server server;
    server.start();
    net::dns_resolver r(options_for(server));
    auto h = co_await r.get_host_by_name(known_name, net::inet_address::family::INET);
    EXPECT_EQ(h.names, std::vector<sstring>{known_name});
    EXPECT_EQ(h.addr_list, std::vector<net::inet_address>{known_addr});
    EXPECT_EQ(h.addr_entries.size(), 1u);
    // Either family: the server has no AAAA record, so the IPv4 address.
    EXPECT_EQ(co_await r.resolve_name(known_name), known_addr);
    auto back = co_await r.get_host_by_addr(known_addr);
    EXPECT_EQ(back.names, std::vector<sstring>{known_name});
    EXPECT_EQ(co_await r.resolve_addr(known_addr), known_name);
    EXPECT_GE(server.queries, 4u);
    co_await r.close();
    co_await server.stop();
}

SEASTAR_TEST_CASE(dns, unknown_name_is_a_clear_error) {
    tiny_dns_server server;
    server.start();
    net::dns_resolver r(options_for(server));
    auto what = co_await expect_dns_error(
        [&] { return r.get_host_by_name("missing.test.example", net::inet_address::family::INET).discard_result(); },
        ARES_ENOTFOUND);
    EXPECT_NE(what.find("missing.test.example"), std::string::npos) << what;
    EXPECT_NE(what.find("not found"), std::string::npos) << what;
    co_await expect_dns_error([&] { return r.resolve_addr(net::inet_address("192.0.2.99")).discard_result(); },
                              ARES_ENOTFOUND);
    // The resolver keeps working after failures.
    EXPECT_EQ(co_await r.resolve_name(known_name, net::inet_address::family::INET), known_addr);
    co_await r.close();
    co_await server.stop();
}

SEASTAR_TEST_CASE(dns, srv_records_of_a_service) {
    tiny_dns_server server;
    server.start();
    net::dns_resolver r(options_for(server));
    using proto = net::dns_resolver::srv_proto;
    auto records = co_await r.get_srv_records(proto::tcp, "db", "test.example");
    EXPECT_EQ(records.size(), 2u);
    if (records.size() == 2) {
        EXPECT_EQ(records[0].priority, 10);
        EXPECT_EQ(records[0].weight, 60);
        EXPECT_EQ(records[0].port, 5432);
        EXPECT_EQ(records[0].target, "db1.test.example");
        EXPECT_EQ(records[1].priority, 20);
        EXPECT_EQ(records[1].weight, 0);
        EXPECT_EQ(records[1].port, 5433);
        EXPECT_EQ(records[1].target, "db2.test.example");
    }
    // The protocol is part of the name: the server has no UDP service.
    auto what = co_await expect_dns_error(
        [&] { return r.get_srv_records(proto::udp, "db", "test.example").discard_result(); }, ARES_ENOTFOUND);
    EXPECT_NE(what.find("_db._udp.test.example"), std::string::npos) << what;
    // An answer cut short is a clear error, not a record made of garbage.
    what = co_await expect_dns_error(
        [&] { return r.get_srv_records(proto::tcp, "broken", "test.example").discard_result(); }, ARES_EBADRESP);
    EXPECT_NE(what.find(broken_srv_name), std::string::npos) << what;
    // The resolver still answers afterwards.
    EXPECT_EQ((co_await r.get_srv_records(proto::tcp, "db", "test.example")).size(), 2u);
    co_await r.close();
    co_await expect_dns_error([&] { return r.get_srv_records(proto::tcp, "db", "test.example").discard_result(); },
                              ARES_EDESTRUCTION);
    co_await server.stop();
}

SEASTAR_TEST_CASE(dns, silent_server_times_out) {
    tiny_dns_server server;
    server.start();
    net::dns_resolver r(options_for(server, 20ms));
    auto what = co_await expect_dns_error(
        [&] { return r.resolve_name(silent_name, net::inet_address::family::INET).discard_result(); }, ARES_ETIMEOUT);
    EXPECT_NE(what.find(silent_name), std::string::npos) << what;
    EXPECT_GE(server.queries, 1u);
    co_await r.close();
    co_await server.stop();
}

SEASTAR_TEST_CASE(dns, close_fails_lookups_in_flight) {
    tiny_dns_server server;
    server.start();
    net::dns_resolver r(options_for(server));
    auto pending = r.get_host_by_name(silent_name, net::inet_address::family::INET);
    co_await r.close();
    co_await expect_dns_error([&] { return std::move(pending).discard_result(); }, ARES_EDESTRUCTION);
    co_await expect_dns_error([&] { return r.get_host_by_name(known_name).discard_result(); }, ARES_EDESTRUCTION);
    co_await r.close(); // idempotent
    co_await server.stop();
}

SEASTAR_TEST_CASE(dns, default_resolver_and_inet_address_find) {
    // The shard's resolver reads /etc/hosts first: localhost needs no server.
    auto a = co_await net::inet_address::find("localhost", net::inet_address::family::INET);
    EXPECT_EQ(a, net::inet_address("127.0.0.1"));
    // Numeric names need no lookup at all.
    EXPECT_EQ(co_await net::inet_address::find("192.0.2.33"), net::inet_address("192.0.2.33"));
    auto h = co_await net::dns::get_host_by_name("127.0.0.1", net::inet_address::family::INET);
    EXPECT_EQ(h.addr_list, std::vector<net::inet_address>{net::inet_address("127.0.0.1")});
}

} // namespace
