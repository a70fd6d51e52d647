// The server over TCP with the text protocol, on two shards in-process:
// every command with memcached's replies, the malformed-input corpus on a
// live connection, expiry on a manual clock, eviction under the memory
// limit, cas races across shards, many clients checking every acknowledged
// set, and clients that vanish mid-request.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/loop.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "tools/memcached/test_util.hh"

using namespace seastar;
using namespace seastar::memcache;
using namespace seastar::memcache::testing;
using namespace std::chrono_literals;

namespace {

constexpr unsigned shards = 2;

// A stat's value from a `stats` reply.
uint64_t stat_value(const std::string& stats, const std::string& name) {
    auto p = stats.find("STAT " + name + " ");
    if (p == std::string::npos) {
        ADD_FAILURE() << "no stat " << name;
        return 0;
    }
    return std::stoull(stats.substr(p + name.size() + 6));
}

// Keys that land on shard 0 and on shard 1.
std::string key_on(unsigned shard, int n = 0) {
    for (int i = 0;; ++i) {
        auto k = "key" + std::to_string(n) + "_" + std::to_string(i);
        if (cache::owner_of(k) == shard) {
            return k;
        }
    }
}

} // namespace

TEST(memcached_text, storage_commands) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto c = co_await text_client::connect(ts.tcp_address());
        for (unsigned s = 0; s < shards; ++s) {
            auto k = key_on(s);
            EXPECT_EQ(co_await c->call("get " + k + "\r\n", "END\r\n"), "END\r\n");
            EXPECT_EQ(co_await c->call("set " + k + " 42 0 5\r\nhello\r\n"), "STORED\r\n");
            EXPECT_EQ(co_await c->call("get " + k + "\r\n", "END\r\n"), "VALUE " + k + " 42 5\r\nhello\r\nEND\r\n");
            EXPECT_EQ(co_await c->call("add " + k + " 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
            EXPECT_EQ(co_await c->call("replace " + k + " 7 0 3\r\nabc\r\n"), "STORED\r\n");
            EXPECT_EQ(co_await c->call("append " + k + " 0 0 2\r\nde\r\n"), "STORED\r\n");
            EXPECT_EQ(co_await c->call("prepend " + k + " 0 0 2\r\n01\r\n"), "STORED\r\n");
            EXPECT_EQ(co_await c->call("get " + k + "\r\n", "END\r\n"), "VALUE " + k + " 7 7\r\n01abcde\r\nEND\r\n");
            EXPECT_EQ(co_await c->call("delete " + k + "\r\n"), "DELETED\r\n");
            EXPECT_EQ(co_await c->call("delete " + k + "\r\n"), "NOT_FOUND\r\n");
            EXPECT_EQ(co_await c->call("replace " + k + " 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
            EXPECT_EQ(co_await c->call("append " + k + " 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
            EXPECT_EQ(co_await c->call("add " + k + " 0 0 1\r\nx\r\n"), "STORED\r\n");
        }
        // Many keys from both shards in one get, in order, misses left out.
        auto a = key_on(0, 1), b = key_on(1, 1);
        co_await c->call("set " + a + " 1 0 1\r\nA\r\n");
        co_await c->call("set " + b + " 2 0 1\r\nB\r\n");
        EXPECT_EQ(co_await c->call("get " + b + " nothere " + a + " " + b + "\r\n", "END\r\n"),
                  "VALUE " + b + " 2 1\r\nB\r\nVALUE " + a + " 1 1\r\nA\r\nVALUE " + b + " 2 1\r\nB\r\nEND\r\n");
        // noreply: nothing comes back, the effect happens.
        co_await c->send("set q 0 0 1 noreply\r\nq\r\ndelete nothere noreply\r\nincr q 1 noreply\r\n");
        EXPECT_EQ(co_await c->call("version\r\n"), "VERSION 1.6.21\r\n");
        EXPECT_EQ(co_await c->call("get q\r\n", "END\r\n"), "VALUE q 0 1\r\nq\r\nEND\r\n");
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(memcached_text, cas_incr_touch_flush) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto c = co_await text_client::connect(ts.tcp_address());
        EXPECT_EQ(co_await c->call("cas k 0 0 1 1\r\nx\r\n"), "NOT_FOUND\r\n");
        co_await c->call("set k 3 0 1\r\nx\r\n");
        auto r = co_await c->call("gets k\r\n", "END\r\n");
        // "VALUE k 3 1 <cas>\r\nx\r\nEND\r\n"
        auto cas = std::stoull(r.substr(std::string("VALUE k 3 1 ").size()));
        EXPECT_EQ(co_await c->call("cas k 0 0 1 " + std::to_string(cas + 1) + "\r\ny\r\n"), "EXISTS\r\n");
        EXPECT_EQ(co_await c->call("cas k 5 0 1 " + std::to_string(cas) + "\r\ny\r\n"), "STORED\r\n");
        EXPECT_EQ(co_await c->call("cas k 5 0 1 " + std::to_string(cas) + "\r\nz\r\n"), "EXISTS\r\n");
        EXPECT_EQ(co_await c->call("get k\r\n", "END\r\n"), "VALUE k 5 1\r\ny\r\nEND\r\n");

        EXPECT_EQ(co_await c->call("incr n 1\r\n"), "NOT_FOUND\r\n");
        co_await c->call("set n 0 0 20\r\n18446744073709551615\r\n");
        EXPECT_EQ(co_await c->call("incr n 2\r\n"), "1\r\n"); // wraps
        EXPECT_EQ(co_await c->call("decr n 5\r\n"), "0\r\n"); // stops at 0
        EXPECT_EQ(co_await c->call("incr n 41\r\n"), "41\r\n");
        EXPECT_EQ(co_await c->call("get n\r\n", "END\r\n"), "VALUE n 0 2\r\n41\r\nEND\r\n");
        EXPECT_EQ(co_await c->call("incr k 1\r\n"), "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
        EXPECT_EQ(co_await c->call("decr n abc\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");

        // Expiry on the manual clock: relative, absolute (beyond 30 days), touch, gat.
        co_await c->call("set rel 0 10 1\r\nr\r\n");
        co_await c->call("set abs 0 " + std::to_string(ts.clock.now() + 20) + " 1\r\na\r\n");
        co_await c->call("set t 0 5 1\r\nt\r\n");
        EXPECT_EQ(co_await c->call("touch t 100\r\n"), "TOUCHED\r\n");
        EXPECT_EQ(co_await c->call("touch none 100\r\n"), "NOT_FOUND\r\n");
        co_await c->call("set g 9 5 1\r\ng\r\n");
        EXPECT_EQ(co_await c->call("gat 100 g none\r\n", "END\r\n"), "VALUE g 9 1\r\ng\r\nEND\r\n");
        r = co_await c->call("gats 100 g\r\n", "END\r\n");
        EXPECT_EQ(r.substr(0, 12), "VALUE g 9 1 ");
        ts.clock.advance(10);
        EXPECT_EQ(co_await c->call("get rel abs t g\r\n", "END\r\n"),
                  "VALUE abs 0 1\r\na\r\nVALUE t 0 1\r\nt\r\nVALUE g 9 1\r\ng\r\nEND\r\n");
        ts.clock.advance(10);
        EXPECT_EQ(co_await c->call("get rel abs t\r\n", "END\r\n"), "VALUE t 0 1\r\nt\r\nEND\r\n");
        ts.clock.advance(100);
        EXPECT_EQ(co_await c->call("get t g\r\n", "END\r\n"), "END\r\n");

        // flush_all with a delay, then at once.
        co_await c->call("set f1 0 0 1\r\n1\r\n");
        co_await c->call("set " + key_on(1) + " 0 0 1\r\n1\r\n");
        EXPECT_EQ(co_await c->call("flush_all 5\r\n"), "OK\r\n");
        EXPECT_EQ(co_await c->call("get f1\r\n", "END\r\n"), "VALUE f1 0 1\r\n1\r\nEND\r\n");
        ts.clock.advance(5);
        EXPECT_EQ(co_await c->call("get f1 " + key_on(1) + "\r\n", "END\r\n"), "END\r\n");
        co_await c->call("set f2 0 0 1\r\n2\r\n");
        EXPECT_EQ(co_await c->call("flush_all\r\n"), "OK\r\n");
        EXPECT_EQ(co_await c->call("get f2\r\n", "END\r\n"), "END\r\n");
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(memcached_text, stats_and_misc) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        server_settings s;
        s.store.max_bytes = 4 << 20;
        co_await ts.start(s);
        auto c = co_await text_client::connect(ts.tcp_address());
        co_await c->call("set a 0 0 1\r\n1\r\n");
        co_await c->call("set " + key_on(1) + " 0 0 1\r\n1\r\n");
        co_await c->call("get a nope\r\n", "END\r\n");
        auto st = co_await c->call("stats\r\n", "END\r\n");
        EXPECT_EQ(stat_value(st, "curr_items"), 2u);
        EXPECT_EQ(stat_value(st, "total_items"), 2u);
        EXPECT_EQ(stat_value(st, "cmd_get"), 2u);
        EXPECT_EQ(stat_value(st, "get_hits"), 1u);
        EXPECT_EQ(stat_value(st, "get_misses"), 1u);
        EXPECT_EQ(stat_value(st, "cmd_set"), 2u);
        EXPECT_EQ(stat_value(st, "curr_connections"), 1u);
        EXPECT_EQ(stat_value(st, "threads"), shards);
        EXPECT_EQ(stat_value(st, "limit_maxbytes"), uint64_t(4 << 20) * shards);
        EXPECT_EQ(stat_value(st, "bytes"), (1 + 1 + item_overhead) + (key_on(1).size() + 1 + item_overhead));
        EXPECT_GT(stat_value(st, "bytes_read"), 0u);
        auto settings = co_await c->call("stats settings\r\n", "END\r\n");
        EXPECT_EQ(stat_value(settings, "item_size_max"), 1u << 20);
        EXPECT_EQ(stat_value(settings, "tcpport"), ts.srv->tcp_port());
        auto items = co_await c->call("stats items\r\n", "END\r\n");
        EXPECT_EQ(stat_value(items, "items:1:number"), 2u);
        auto slabs = co_await c->call("stats slabs\r\n", "END\r\n");
        EXPECT_EQ(stat_value(slabs, "active_slabs"), 1u);
        EXPECT_EQ(co_await c->call("stats reset\r\n"), "RESET\r\n");
        st = co_await c->call("stats\r\n", "END\r\n");
        EXPECT_EQ(stat_value(st, "cmd_get"), 0u);
        EXPECT_EQ(stat_value(st, "curr_items"), 2u);
        EXPECT_EQ(co_await c->call("verbosity 1\r\n"), "OK\r\n");
        EXPECT_EQ(co_await c->call("verbosity 1 noreply\r\nversion\r\n"), "VERSION 1.6.21\r\n");
        co_await c->send("quit\r\n");
        EXPECT_EQ(co_await c->read_to_eof(), "");
        co_await c->close();
        co_await ts.stop();
    });
}

// The malformed corpus on one live connection: each line gets memcached's
// reply and the connection keeps working; a second client is not disturbed.
TEST(memcached_text, malformed_input) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        server_settings s;
        s.store.max_item_size = 2048;
        co_await ts.start(s);
        auto c = co_await text_client::connect(ts.tcp_address());
        auto other = co_await text_client::connect(ts.tcp_address());
        co_await other->call("set keep 0 0 4\r\nkeep\r\n");
        const std::pair<std::string, std::string> corpus[] = {
            {"bogus\r\n", "ERROR\r\n"},
            {"\r\n", "ERROR\r\n"},
            {"get\r\n", "ERROR\r\n"},
            {"set a 0 0\r\n", "ERROR\r\n"},
            {"set a 0 0 1 2 3\r\n", "ERROR\r\n"},
            {"get " + std::string(251, 'k') + "\r\n", "CLIENT_ERROR bad command line format\r\n"},
            {"get bad\x01key\r\n", "CLIENT_ERROR bad command line format\r\n"},
            {"set a x 0 1\r\n", "CLIENT_ERROR bad command line format\r\n"},
            {"set a 0 0 -5\r\n", "CLIENT_ERROR bad command line format\r\n"},
            {"set a 0 0 99999999999\r\n", "CLIENT_ERROR bad command line format\r\n"},
            {"incr a zz\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n"},
            {"touch a x\r\n", "CLIENT_ERROR invalid exptime argument\r\n"},
            {"delete a 7\r\n", "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"},
            {"stats nonsense\r\n", "ERROR\r\n"},
            // Declared larger than the item limit: the block is swallowed, even when it looks like commands.
            {"set a 0 0 3000\r\n" + std::string(300, 'x') +
                 [] {
                     std::string cmds;
                     while (cmds.size() < 2700) {
                         cmds += "flush_all\r\n";
                     }
                     return cmds.substr(0, 2700);
                 }() +
                 "\r\n",
             "SERVER_ERROR object too large for cache\r\n"},
            // Longer than declared, shorter than declared.
            {"set a 0 0 2\r\nabc\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n"},
        };
        for (auto& [req, rep] : corpus) {
            EXPECT_EQ(co_await c->call(req), rep) << req.substr(0, 40);
        }
        EXPECT_EQ(co_await c->call("version\r\n"), "VERSION 1.6.21\r\n");
        // noreply silences argument errors (memcached reads it first), not a wrong token count;
        // "xx\r" is a bad chunk (silenced), the lone "\n" after it is ERROR.
        EXPECT_EQ(co_await c->call("set k x 0 1 noreply\r\nincr k x noreply\r\ndelete k 5 noreply\r\n"
                                   "touch k x noreply\r\nflush_all x noreply\r\nset k 0 0 1 noreply\r\nxx\r\n"
                                   "set k 0 0 1 2 noreply\r\nversion\r\n",
                                   "VERSION 1.6.21\r\n"),
                  "ERROR\r\nERROR\r\nVERSION 1.6.21\r\n");
        EXPECT_EQ(co_await other->call("get keep\r\n", "END\r\n"), "VALUE keep 0 4\r\nkeep\r\nEND\r\n");
        // A line without a terminator beyond the limit: the connection is closed.
        co_await c->send(std::string(3000, 'z'));
        EXPECT_EQ(co_await c->read_to_eof(), "");
        co_await c->close();
        EXPECT_EQ(co_await other->call("get keep\r\n", "END\r\n"), "VALUE keep 0 4\r\nkeep\r\nEND\r\n");
        co_await other->close();
        co_await ts.stop();
    });
}

// Clients that vanish mid-request leave the server and other clients alone.
TEST(memcached_text, vanishing_clients) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        for (auto partial : {"set a 0 0 100\r\nabc", "get a b c", "set x 0 0 5\r\n", "\x80\x01\x00"}) {
            for (int i = 0; i < 4; ++i) {
                auto c = co_await text_client::connect(ts.tcp_address());
                co_await c->send(partial);
                co_await c->close();
            }
        }
        auto c = co_await text_client::connect(ts.tcp_address());
        EXPECT_EQ(co_await c->call("get a x\r\n", "END\r\n"), "END\r\n");
        // The vanished connections are gone from the count (bounded wait).
        uint64_t curr = 0;
        for (int i = 0; i < 2000; ++i) {
            curr = stat_value(co_await c->call("stats\r\n", "END\r\n"), "curr_connections");
            if (curr == 1) {
                break;
            }
            co_await seastar::sleep(1ms);
        }
        EXPECT_EQ(curr, 1u);
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(memcached_text, eviction_under_memory_limit) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        server_settings s;
        s.store.max_bytes = 64 << 10; // per shard
        s.store.max_item_size = 4 << 10;
        co_await ts.start(s);
        auto c = co_await text_client::connect(ts.tcp_address());
        std::string v(1000, 'v');
        for (int i = 0; i < 500; ++i) {
            EXPECT_EQ(co_await c->call("set k" + std::to_string(i) + " 0 0 1000\r\n" + v + "\r\n"), "STORED\r\n");
        }
        auto st = co_await c->call("stats\r\n", "END\r\n");
        EXPECT_GT(stat_value(st, "evictions"), 0u);
        EXPECT_LE(stat_value(st, "bytes"), uint64_t(64 << 10) * shards);
        EXPECT_EQ(stat_value(st, "curr_items") + stat_value(st, "evictions"), 500u);
        // The newest survive, the oldest went.
        EXPECT_EQ(co_await c->call("get k499\r\n", "END\r\n"), "VALUE k499 0 1000\r\n" + v + "\r\nEND\r\n");
        EXPECT_EQ(co_await c->call("get k0\r\n", "END\r\n"), "END\r\n");
        co_await c->close();
        co_await ts.stop();
    });
}

// Clients on both shards race gets/cas on keys owned by each shard: every
// STORED is one increment, none is lost.
TEST(memcached_text, cas_races_across_shards) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto addr = ts.tcp_address();
        std::vector<std::string> keys = {key_on(0, 7), key_on(1, 7)};
        {
            auto c = co_await text_client::connect(addr);
            for (auto& k : keys) {
                co_await c->call("set " + k + " 0 0 1\r\n0\r\n");
            }
            co_await c->close();
        }
        constexpr int clients_per_shard = 3, attempts = 40;
        std::vector<future<uint64_t>> work;
        for (unsigned s = 0; s < shards; ++s) {
            work.push_back(smp::submit_to(s, [addr, keys]() -> future<uint64_t> {
                uint64_t stored = 0;
                std::vector<future<uint64_t>> mine;
                for (int i = 0; i < clients_per_shard; ++i) {
                    mine.push_back([](socket_address addr, std::vector<std::string> keys) -> future<uint64_t> {
                        auto c = co_await text_client::connect(addr);
                        uint64_t won = 0;
                        for (int a = 0; a < attempts; ++a) {
                            auto& k = keys[a % keys.size()];
                            auto r = co_await c->call("gets " + k + "\r\n", "END\r\n");
                            // VALUE k 0 <len> <cas>\r\n<n>\r\nEND
                            auto line_end = r.find("\r\n");
                            auto header = r.substr(0, line_end);
                            auto cas = header.substr(header.rfind(' ') + 1);
                            auto n = std::stoull(r.substr(line_end + 2));
                            auto v = std::to_string(n + 1);
                            auto rep = co_await c->call("cas " + k + " 0 0 " + std::to_string(v.size()) + " " + cas +
                                                        "\r\n" + v + "\r\n");
                            if (rep == "STORED\r\n") {
                                ++won;
                            } else {
                                EXPECT_EQ(rep, "EXISTS\r\n");
                            }
                        }
                        co_await c->close();
                        co_return won;
                    }(addr, keys));
                }
                for (auto& f : mine) {
                    stored += co_await std::move(f);
                }
                co_return stored;
            }));
        }
        uint64_t total = 0;
        for (auto& f : work) {
            total += co_await std::move(f);
        }
        auto c = co_await text_client::connect(addr);
        uint64_t sum = 0;
        for (auto& k : keys) {
            auto r = co_await c->call("get " + k + "\r\n", "END\r\n");
            sum += std::stoull(r.substr(r.find("\r\n") + 2));
        }
        EXPECT_EQ(sum, total);
        EXPECT_GT(total, 0u);
        co_await c->close();
        co_await ts.stop();
    });
}

// Many clients on both shards set and read back their own keys; every
// acknowledged set must be readable (nothing expires or is evicted here).
TEST(memcached_text, acknowledged_sets_are_readable) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto addr = ts.tcp_address();
        constexpr int clients_per_shard = 8, keys_per_client = 30;
        std::vector<future<int>> work;
        for (unsigned s = 0; s < shards; ++s) {
            work.push_back(smp::submit_to(s, [addr, s]() -> future<int> {
                std::vector<future<int>> mine;
                for (int i = 0; i < clients_per_shard; ++i) {
                    mine.push_back([](socket_address addr, std::string prefix) -> future<int> {
                        auto c = co_await text_client::connect(addr);
                        std::map<std::string, std::string> acked;
                        int bad = 0;
                        for (int k = 0; k < keys_per_client; ++k) {
                            auto key = prefix + std::to_string(k % 10);
                            auto val = prefix + "v" + std::to_string(k);
                            // Pipelined: set, then read back at once.
                            co_await c->send("set " + key + " 0 0 " + std::to_string(val.size()) + "\r\n" + val +
                                             "\r\nget " + key + "\r\n");
                            auto r = co_await c->read_until("END\r\n");
                            if (r.substr(0, 8) == "STORED\r\n") {
                                acked[key] = val;
                            }
                            if (r != "STORED\r\nVALUE " + key + " 0 " + std::to_string(val.size()) + "\r\n" + val +
                                         "\r\nEND\r\n") {
                                ++bad;
                            }
                        }
                        for (auto& [key, val] : acked) {
                            auto r = co_await c->call("get " + key + "\r\n", "END\r\n");
                            if (r !=
                                "VALUE " + key + " 0 " + std::to_string(val.size()) + "\r\n" + val + "\r\nEND\r\n") {
                                ++bad;
                            }
                        }
                        co_await c->close();
                        co_return bad;
                    }(addr, "s" + std::to_string(s) + "c" + std::to_string(i) + "_"));
                }
                int bad = 0;
                for (auto& f : mine) {
                    bad += co_await std::move(f);
                }
                co_return bad;
            }));
        }
        int bad = 0;
        for (auto& f : work) {
            bad += co_await std::move(f);
        }
        EXPECT_EQ(bad, 0);
        auto c = co_await text_client::connect(addr);
        auto st = co_await c->call("stats\r\n", "END\r\n");
        EXPECT_EQ(stat_value(st, "curr_items"), uint64_t(shards * clients_per_shard * 10));
        EXPECT_EQ(stat_value(st, "total_connections"), uint64_t(shards * clients_per_shard + 1));
        co_await c->close();
        co_await ts.stop();
    });
}

TEST(memcached_text, connection_limit) {
    run_on_shards(1, []() -> future<> {
        test_server ts;
        server_settings s;
        s.conn_limit = 2;
        co_await ts.start(s);
        auto a = co_await text_client::connect(ts.tcp_address());
        auto b = co_await text_client::connect(ts.tcp_address());
        EXPECT_EQ(co_await a->call("version\r\n"), "VERSION 1.6.21\r\n");
        EXPECT_EQ(co_await b->call("version\r\n"), "VERSION 1.6.21\r\n");
        auto c = co_await text_client::connect(ts.tcp_address());
        EXPECT_EQ(co_await c->read_to_eof(), "ERROR Too many open connections\r\n");
        co_await c->close();
        auto st = co_await a->call("stats\r\n", "END\r\n");
        EXPECT_EQ(stat_value(st, "rejected_connections"), 1u);
        co_await a->close();
        co_await b->close();
        co_await ts.stop();
    });
}

// Every key is stored on the shard owner_of() names, whichever shard its
// connection runs on and whatever the key's length, and the keys spread.
TEST(memcached_text, each_key_lives_on_its_owner_shard) {
    run_on_shards(shards, []() -> future<> {
        test_server ts;
        co_await ts.start();
        auto addr = ts.tcp_address();
        constexpr int n = 400;
        auto key = [](int i) {
            // Short keys (stored inline in std::string) and long ones.
            return i % 2 ? "k" + std::to_string(i) : "a-longer-key-of-more-than-16-bytes:" + std::to_string(i);
        };
        std::vector<size_t> expected(shards);
        for (int i = 0; i < n; ++i) {
            ++expected[cache::owner_of(key(i))];
        }
        co_await smp::invoke_on_all([&]() -> future<> {
            auto c = co_await text_client::connect(addr);
            for (int i = int(this_shard_id()); i < n; i += int(smp::count)) {
                EXPECT_EQ(co_await c->call("set " + key(i) + " 0 0 1\r\nv\r\n"), "STORED\r\n");
            }
            for (int i = 0; i < n; ++i) {
                EXPECT_EQ(co_await c->call("get " + key(i) + "\r\n", "END\r\n"),
                          "VALUE " + key(i) + " 0 1\r\nv\r\nEND\r\n");
            }
            co_await c->close();
        });
        for (unsigned s = 0; s < shards; ++s) {
            auto count =
                co_await ts.srv->shards().invoke_on(s, [](cache_shard& cs) { return cs.local_store().item_count(); });
            EXPECT_EQ(count, expected[s]) << "shard " << s;
            EXPECT_GT(count, size_t(n / shards / 2)) << "keys should spread over the shards";
        }
        co_await ts.stop();
    });
}
