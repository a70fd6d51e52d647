// The server's binary protocol over TCP (detected by the first byte) and the
// text protocol over UDP with memcached's frame header, on two shards.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "seastar/core/coroutine.hh"
#include "seastar/net/api.hh"
#include "tools/memcached/test_util.hh"

using namespace seastar;
using namespace seastar::memcache;
using namespace seastar::memcache::testing;
namespace bin = seastar::memcache::binary;

namespace {

constexpr unsigned shards = 2;

std::string be32(uint32_t v) {
    std::string s;
    for (int i = 3; i >= 0; --i) {
        s.push_back(char(v >> (8 * i)));
    }
    return s;
}
std::string be64(uint64_t v) {
    return be32(uint32_t(v >> 32)) + be32(uint32_t(v));
}
uint64_t from_be64(const std::string& s) {
    uint64_t v = 0;
    for (unsigned char c : s) {
        v = v << 8 | c;
    }
    return v;
}

} // namespace

TEST(memcached_binary, commands) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto c = co_await binary_client::connect(ts.tcp_address());
        auto r = co_await c->call(binary_frame(bin::op_get, "k", {}, {}, 0, 7));
        EXPECT_EQ(r.h.magic, bin::response_magic);
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_enoent);
        EXPECT_EQ(r.h.opaque, 7u);
        EXPECT_EQ(r.value, "Not found");
        r = co_await c->call(binary_frame(bin::op_set, "k", be32(0xdeadbeef) + be32(0), "value"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        uint64_t cas = r.h.cas;
        EXPECT_NE(cas, 0u);
        r = co_await c->call(binary_frame(bin::op_get, "k"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        EXPECT_EQ(r.extras, be32(0xdeadbeef));
        EXPECT_EQ(r.value, "value");
        EXPECT_EQ(r.key, "");
        EXPECT_EQ(r.h.cas, cas);
        r = co_await c->call(binary_frame(bin::op_getk, "k"));
        EXPECT_EQ(r.key, "k");
        // cas mismatch, add on an existing key, replace on a missing one.
        r = co_await c->call(binary_frame(bin::op_set, "k", be32(0) + be32(0), "v2", cas + 1));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_eexists);
        EXPECT_EQ(r.value, "Data exists for key.");
        r = co_await c->call(binary_frame(bin::op_set, "k", be32(0) + be32(0), "v2", cas));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        r = co_await c->call(binary_frame(bin::op_add, "k", be32(0) + be32(0), "x"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_eexists);
        r = co_await c->call(binary_frame(bin::op_replace, "none", be32(0) + be32(0), "x"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_enoent);
        r = co_await c->call(binary_frame(bin::op_append, "k", {}, "-a"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        r = co_await c->call(binary_frame(bin::op_prepend, "k", {}, "p-"));
        r = co_await c->call(binary_frame(bin::op_get, "k"));
        EXPECT_EQ(r.value, "p-v2-a");
        // incr/decr with initial value; non-numeric.
        r = co_await c->call(binary_frame(bin::op_increment, "n", be64(5) + be64(100) + be32(0)));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        EXPECT_EQ(from_be64(r.value), 100u);
        r = co_await c->call(binary_frame(bin::op_increment, "n", be64(5) + be64(100) + be32(0)));
        EXPECT_EQ(from_be64(r.value), 105u);
        r = co_await c->call(binary_frame(bin::op_decrement, "n", be64(500) + be64(0) + be32(0)));
        EXPECT_EQ(from_be64(r.value), 0u);
        r = co_await c->call(binary_frame(bin::op_increment, "m", be64(1) + be64(0) + be32(0xffffffff)));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_enoent);
        r = co_await c->call(binary_frame(bin::op_increment, "k", be64(1) + be64(0) + be32(0)));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_delta_badval);
        // Quiet commands answer only errors; a noop flushes the pipeline.
        co_await c->send(binary_frame(bin::op_setq, "q", be32(0) + be32(0), "q") + binary_frame(bin::op_getq, "zz") +
                         binary_frame(bin::op_getkq, "q") + binary_frame(bin::op_deleteq, "zz") +
                         binary_frame(bin::op_noop));
        r = co_await c->read();
        EXPECT_EQ(r.h.opcode, bin::op_getkq);
        EXPECT_EQ(r.key, "q");
        EXPECT_EQ(r.value, "q");
        r = co_await c->read();
        EXPECT_EQ(r.h.opcode, bin::op_deleteq);
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_enoent);
        r = co_await c->read();
        EXPECT_EQ(r.h.opcode, bin::op_noop);
        // delete (with a cas: only that version), touch, gat, version, verbosity, flush, stat.
        r = co_await c->call(binary_frame(bin::op_get, "q"));
        r = co_await c->call(binary_frame(bin::op_delete, "q", {}, {}, r.h.cas + 1));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_eexists);
        r = co_await c->call(binary_frame(bin::op_delete, "q"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        r = co_await c->call(binary_frame(bin::op_touch, "k", be32(100)));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        r = co_await c->call(binary_frame(bin::op_gat, "k", be32(100)));
        EXPECT_EQ(r.value, "p-v2-a");
        ts.clock.advance(101);
        r = co_await c->call(binary_frame(bin::op_get, "k"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_enoent);
        r = co_await c->call(binary_frame(bin::op_version));
        EXPECT_EQ(r.value, "1.6.21");
        r = co_await c->call(binary_frame(bin::op_verbosity, {}, be32(1)));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        r = co_await c->call(binary_frame(bin::op_flush));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        r = co_await c->call(binary_frame(bin::op_get, "n"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_enoent);
        co_await c->send(binary_frame(bin::op_stat));
        bool saw_threads = false;
        for (int i = 0; i < 200; ++i) {
            r = co_await c->read();
            if (r.key.empty()) {
                break;
            }
            if (r.key == "threads") {
                saw_threads = r.value == std::to_string(shards);
            }
        }
        EXPECT_TRUE(saw_threads);
        EXPECT_TRUE(r.key.empty());
        r = co_await c->call(binary_frame(bin::op_stat, "nonsense"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_enoent);
        r = co_await c->call(binary_frame(bin::op_quit));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_ok);
        EXPECT_TRUE(co_await c->at_eof());
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(memcached_binary, malformed_frames) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        server_settings s;
        s.store.max_item_size = 2048;
        co_await ts.start(s);
        auto addr = ts.tcp_address();
        // Too large: E2BIG, the value swallowed (it holds a valid frame), the connection goes on.
        auto c = co_await binary_client::connect(addr);
        co_await c->call(binary_frame(bin::op_set, "big", be32(0) + be32(0), "old"));
        std::string inner = binary_frame(bin::op_flush);
        std::string big = inner + std::string(3000 - inner.size(), 'x');
        auto r = co_await c->call(binary_frame(bin::op_set, "big", be32(0) + be32(0), big));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_e2big);
        EXPECT_EQ(r.value, "Too large.");
        r = co_await c->call(binary_frame(bin::op_get, "big"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_key_enoent); // a refused set drops the old value
        // Unknown opcode: answered, body swallowed, the connection goes on.
        r = co_await c->call(binary_frame(0x42, "key", {}, "body"));
        EXPECT_EQ(r.h.vbucket_or_status, bin::st_unknown_command);
        r = co_await c->call(binary_frame(bin::op_noop));
        EXPECT_EQ(r.h.opcode, bin::op_noop);
        co_await c->close();
        // Lengths that do not fit the opcode: EINVAL, then closed.
        for (auto frame : {binary_frame(bin::op_get, "", {}, {}),       // get without a key
                           binary_frame(bin::op_get, "k", "xx", {}),    // get with extras
                           binary_frame(bin::op_set, "k", "1234", "v"), // set with 4 bytes of extras
                           binary_frame(bin::op_noop, "k"),             // noop with a key
                           binary_frame(bin::op_get, std::string(251, 'k'))}) {
            auto b = co_await binary_client::connect(addr);
            r = co_await b->call(frame);
            EXPECT_EQ(r.h.vbucket_or_status, bin::st_einval);
            EXPECT_EQ(r.value, "Invalid arguments");
            EXPECT_TRUE(co_await b->at_eof());
            co_await b->close();
        }
        // Key and extras longer than the body.
        {
            auto b = co_await binary_client::connect(addr);
            auto f = binary_frame(bin::op_get, "key");
            f[11] = 1; // body length 1 < key length 3
            r = co_await b->call(f);
            EXPECT_EQ(r.h.vbucket_or_status, bin::st_einval);
            EXPECT_TRUE(co_await b->at_eof());
            co_await b->close();
        }
        // A bad magic after a good frame: the good one is answered, then the connection closes.
        {
            auto b = co_await binary_client::connect(addr);
            auto f = binary_frame(bin::op_noop) + binary_frame(bin::op_noop);
            f[24] = char(0x81);
            co_await b->send(f);
            r = co_await b->read();
            EXPECT_EQ(r.h.opcode, bin::op_noop);
            r = co_await b->read();
            EXPECT_EQ(r.h.vbucket_or_status, bin::st_einval);
            EXPECT_TRUE(co_await b->at_eof());
            co_await b->close();
        }
        co_await ts.stop();
    });
}

namespace {

std::string udp_frame(uint16_t id, std::string_view payload, uint16_t count = 1) {
    std::string f;
    for (uint16_t v : {id, uint16_t(0), count, uint16_t(0)}) {
        f.push_back(char(v >> 8));
        f.push_back(char(v));
    }
    f.append(payload);
    return f;
}

future<std::string> udp_datagram_text(net::udp_datagram d) {
    auto& p = d.get_data();
    p.linearize();
    auto f = p.frag(0);
    co_return std::string(f.base, f.size);
}

uint16_t be16_at(const std::string& s, size_t at) {
    return uint16_t(uint8_t(s[at]) << 8 | uint8_t(s[at + 1]));
}

} // namespace

TEST(memcached_udp, framed_requests_and_multi_datagram_replies) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto chan = make_udp_channel(socket_address(ipv4_addr("127.0.0.1", 0)));
        // Whatever fails below, the server stops before the shards do, so the
        // failure is reported with its message.
        std::exception_ptr failed;
        try {
            auto to = ts.udp_address();
            co_await chan.send(to, net::packet(udp_frame(7, "set u 3 0 2\r\nhi\r\n").data(), 25));
            auto d = co_await udp_datagram_text(co_await chan.receive());
            EXPECT_EQ(d, udp_frame(7, "STORED\r\n"));
            auto req = udp_frame(8, "get u\r\n");
            co_await chan.send(to, net::packet(req.data(), req.size()));
            d = co_await udp_datagram_text(co_await chan.receive());
            EXPECT_EQ(d, udp_frame(8, "VALUE u 3 2\r\nhi\r\nEND\r\n"));
            // A value larger than one datagram: the reply comes in numbered parts.
            std::string big(5000, 'b');
            auto tcp = co_await text_client::connect(ts.tcp_address());
            co_await tcp->call("set big 0 0 5000\r\n" + big + "\r\n");
            co_await tcp->close();
            req = udp_frame(9, "get big\r\n");
            co_await chan.send(to, net::packet(req.data(), req.size()));
            std::string expected = "VALUE big 0 5000\r\n" + big + "\r\nEND\r\n";
            size_t parts =
                (expected.size() + udp_max_payload - udp_header_size - 1) / (udp_max_payload - udp_header_size);
            std::string got;
            for (size_t i = 0; i < parts; ++i) {
                d = co_await udp_datagram_text(co_await chan.receive());
                EXPECT_LE(d.size(), udp_max_payload);
                EXPECT_EQ(be16_at(d, 0), 9);
                EXPECT_EQ(be16_at(d, 2), i);
                EXPECT_EQ(be16_at(d, 4), parts);
                got += d.substr(udp_header_size);
            }
            EXPECT_EQ(got, expected);
            // Truncated headers and multi-datagram requests are dropped; the next request is answered.
            co_await chan.send(to, net::packet("abc", 3));
            req = udp_frame(10, "get u\r\n", 2);
            co_await chan.send(to, net::packet(req.data(), req.size()));
            req = udp_frame(11, "bogus\r\n");
            co_await chan.send(to, net::packet(req.data(), req.size()));
            d = co_await udp_datagram_text(co_await chan.receive());
            EXPECT_EQ(d, udp_frame(11, "ERROR\r\n"));
            // The binary protocol over UDP, behind the same frame header.
            req = udp_frame(12, binary_frame(bin::op_get, "u", {}, {}, 0, 99));
            co_await chan.send(to, net::packet(req.data(), req.size()));
            d = co_await udp_datagram_text(co_await chan.receive());
            if (d.size() < udp_header_size + bin::header_size) {
                throw std::runtime_error("short UDP reply");
            }
            EXPECT_EQ(be16_at(d, 0), 12);
            auto h = bin::decode_header(d.data() + udp_header_size);
            EXPECT_EQ(h.magic, bin::response_magic);
            EXPECT_EQ(h.vbucket_or_status, bin::st_ok);
            EXPECT_EQ(h.opaque, 99u);
            EXPECT_EQ(d.substr(udp_header_size + bin::header_size), std::string("\0\0\0\3hi", 6));
        } catch (...) {
            failed = std::current_exception();
        }
        chan.close();
        co_await ts.stop();
        if (failed) {
            std::rethrow_exception(failed);
        }
    });
}

TEST(memcached_udp, frame_splitting) {
    auto one = frame_udp_reply(5, "END\r\n");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0], udp_frame(5, "END\r\n"));
    auto empty = frame_udp_reply(5, "");
    ASSERT_EQ(empty.size(), 1u);
    std::string exact(udp_max_payload - udp_header_size, 'x');
    EXPECT_EQ(frame_udp_reply(1, exact).size(), 1u);
    EXPECT_EQ(frame_udp_reply(1, exact + "y").size(), 2u);
}
