// The text protocol parser: requests split at every byte, memcached's replies
// for malformed input, swallowing of refused data blocks, line limits.
#include "tools/memcached/text_protocol.hh"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace seastar::memcache;

namespace {

std::vector<text_request> parse_all(std::string_view in, text_parser_config cfg = {}, size_t step = 0) {
    text_parser p(cfg);
    std::vector<text_request> out;
    if (step == 0) {
        step = in.size() ? in.size() : 1;
    }
    for (size_t i = 0; i < in.size(); i += step) {
        p.feed(in.substr(i, step));
        while (auto r = p.next()) {
            out.push_back(std::move(*r));
        }
    }
    return out;
}

// What each request answers without touching a store: the error reply, or the command's name.
std::string describe(const text_request& r) {
    switch (r.kind) {
    case cmd::error:
        return r.reply;
    case cmd::close:
        return "<close>";
    default:
        return "<" + std::to_string(int(r.kind)) + ">";
    }
}

std::string first_reply(std::string_view in) {
    auto rs = parse_all(in);
    return rs.empty() ? "<none>" : describe(rs.front());
}

} // namespace

TEST(text_protocol, commands_in_any_split) {
    std::string in = "get a b c\r\ngets x\r\nset k 5 100 3\r\nabc\r\ncas k 1 2 3 99 noreply\r\nxyz\r\n"
                     "incr n 7\r\ndecr n 18446744073709551615\r\ndelete k\r\ndelete k 0 noreply\r\n"
                     "touch k 10\r\ngat 5 a b\r\ngats 0 a\r\nflush_all\r\nflush_all 10 noreply\r\n"
                     "stats\r\nstats items\r\nversion\r\nverbosity 1\r\nappend k 0 0 0\r\n\r\nquit\r\n";
    for (size_t step : {size_t(0), size_t(1), size_t(2), size_t(7)}) {
        auto rs = parse_all(in, {}, step);
        ASSERT_EQ(rs.size(), 19u) << "step " << step;
        EXPECT_EQ(rs[0].kind, cmd::get);
        EXPECT_EQ(rs[0].keys, (std::vector<std::string>{"a", "b", "c"}));
        EXPECT_EQ(rs[1].kind, cmd::gets);
        EXPECT_EQ(rs[2].kind, cmd::set);
        EXPECT_EQ(rs[2].flags, 5u);
        EXPECT_EQ(rs[2].exptime, 100);
        EXPECT_EQ(rs[2].data, "abc");
        EXPECT_FALSE(rs[2].noreply);
        EXPECT_EQ(rs[3].kind, cmd::cas);
        EXPECT_EQ(rs[3].cas, 99u);
        EXPECT_TRUE(rs[3].noreply);
        EXPECT_EQ(rs[3].data, "xyz");
        EXPECT_EQ(rs[4].kind, cmd::incr);
        EXPECT_EQ(rs[4].delta, 7u);
        EXPECT_EQ(rs[5].delta, UINT64_MAX);
        EXPECT_EQ(rs[6].kind, cmd::del);
        EXPECT_TRUE(rs[7].noreply);
        EXPECT_EQ(rs[8].kind, cmd::touch);
        EXPECT_EQ(rs[9].kind, cmd::gat);
        EXPECT_EQ(rs[9].exptime, 5);
        EXPECT_EQ(rs[9].keys.size(), 2u);
        EXPECT_EQ(rs[10].kind, cmd::gats);
        EXPECT_EQ(rs[11].kind, cmd::flush_all);
        EXPECT_EQ(rs[12].exptime, 10);
        EXPECT_TRUE(rs[12].noreply);
        EXPECT_EQ(rs[13].kind, cmd::stats);
        EXPECT_EQ(rs[14].stats_arg, "items");
        EXPECT_EQ(rs[15].kind, cmd::version);
        EXPECT_EQ(rs[16].kind, cmd::verbosity);
        EXPECT_EQ(rs[17].kind, cmd::append);
        EXPECT_EQ(rs[17].data, "");
        EXPECT_EQ(rs[18].kind, cmd::quit);
    }
}

TEST(text_protocol, bare_newlines_and_many_keys) {
    auto rs = parse_all("get a\nversion\n");
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[1].kind, cmd::version);
    std::string line = "get";
    for (int i = 0; i < 500; ++i) {
        line += " key" + std::to_string(i);
    }
    rs = parse_all(line + "\r\n", {}, 100);
    ASSERT_EQ(rs.size(), 1u);
    ASSERT_EQ(rs[0].keys.size(), 500u);
    EXPECT_EQ(rs[0].keys[499], "key499");
}

// Each malformed request gets the reply memcached 1.6 gives.
TEST(text_protocol, malformed_corpus) {
    EXPECT_EQ(first_reply("foo\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("GET a\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("get\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("get " + std::string(251, 'k') + "\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("get a\x01\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("set a 0 0\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("set a 0 0 1 2 3\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("set a 0 0 1 a b c d e f g h i j k l m n o p q r s t u v w x y z\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("set a x 0 1\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("set a -1 0 1\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("set a 0 0 -1\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("set a 0 zz 1\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("set a 0 0 99999999999\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("set " + std::string(251, 'k') + " 0 0 1\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("cas b 0 0 1\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("cas b 0 0 1 abc\r\n"), "CLIENT_ERROR bad command line format\r\n");
    EXPECT_EQ(first_reply("incr a\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("incr a x\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
    EXPECT_EQ(first_reply("incr a -1\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
    EXPECT_EQ(first_reply("decr a 18446744073709551616\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
    EXPECT_EQ(first_reply("delete\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("delete n 5\r\n"),
              "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
    EXPECT_EQ(first_reply("touch a\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("touch n x\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
    EXPECT_EQ(first_reply("gat\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("gat x n\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
    EXPECT_EQ(first_reply("flush_all x\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
    EXPECT_EQ(first_reply("verbosity\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("stats foo\r\n"), "ERROR\r\n");
    EXPECT_EQ(first_reply("version 2\r\n"), "ERROR\r\n");
}

TEST(text_protocol, bad_data_chunk) {
    // 3 declared, 4 sent: the 5 bytes "abcd\r" are the block; what follows is parsed again.
    auto rs = parse_all("set a 0 0 3\r\nabcd\r\nget a\r\n");
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(describe(rs[0]), "CLIENT_ERROR bad data chunk\r\n");
    EXPECT_EQ(describe(rs[1]), "ERROR\r\n"); // the lone "\n"
    EXPECT_EQ(rs[2].kind, cmd::get);
    // Shorter than declared: the next line is taken as data and the chunk is bad.
    rs = parse_all("set a 0 0 10\r\nab\r\nget b\r\nget c\r\n");
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(describe(rs[0]), "CLIENT_ERROR bad data chunk\r\n");
    EXPECT_EQ(describe(rs[1]), "ERROR\r\n"); // "t c"
}

TEST(text_protocol, oversize_data_is_swallowed) {
    std::string block(5000, 'x');
    // The block looks like commands: none of them may be parsed.
    std::string evil;
    while (evil.size() < 4000) {
        evil += "delete k\r\n";
    }
    for (auto& data : {block, evil}) {
        std::string in = "set big 0 0 " + std::to_string(data.size()) + "\r\n" + data + "\r\nget a\r\n";
        for (size_t step : {size_t(0), size_t(1), size_t(333)}) {
            auto rs = parse_all(in, {.max_item_size = 1000}, step);
            ASSERT_EQ(rs.size(), 2u) << step;
            EXPECT_EQ(describe(rs[0]), "SERVER_ERROR object too large for cache\r\n");
            EXPECT_TRUE(rs[0].drop_key);
            EXPECT_EQ(rs[0].keys.at(0), "big");
            EXPECT_EQ(rs[1].kind, cmd::get);
        }
    }
    // add refused as too large keeps the old value.
    auto rs = parse_all("add big 0 0 2000\r\n" + std::string(2000, 'y') + "\r\n", {.max_item_size = 1000});
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_FALSE(rs[0].drop_key);
}

TEST(text_protocol, line_limits) {
    // No newline within the limit: the connection is closed, once.
    auto rs = parse_all(std::string(3000, 'x'));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].kind, cmd::close);
    rs = parse_all(std::string(3000, 'x') + "\r\nversion\r\n", {}, 100);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].kind, cmd::close);
    // A long multi-get may pass the plain limit, not the get limit.
    std::string get = "get";
    while (get.size() < 5000) {
        get += " k";
    }
    rs = parse_all(get, {}, 64);
    EXPECT_TRUE(rs.empty());
    rs = parse_all(get, {.max_get_line = 4096}, 64);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].kind, cmd::close);
}

TEST(text_protocol, waits_for_data) {
    text_parser p;
    p.feed("set a 0 0 5\r\nab");
    EXPECT_FALSE(p.next());
    EXPECT_TRUE(p.in_data());
    p.feed("cde\r");
    EXPECT_FALSE(p.next());
    p.feed("\n");
    auto r = p.next();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->data, "abcde");
    EXPECT_FALSE(p.in_data());
    EXPECT_EQ(p.buffered(), 0u);
}

TEST(text_protocol, noreply_silences_argument_errors) {
    auto rs = parse_all("incr k x noreply\r\nincr k x\r\nset k 0 0 1 2 noreply\r\nset k 0 0 1 noreply\r\nxx\r\n");
    ASSERT_EQ(rs.size(), 5u);
    EXPECT_TRUE(rs[0].noreply);
    EXPECT_FALSE(rs[1].noreply);
    EXPECT_EQ(describe(rs[2]), "ERROR\r\n"); // a wrong token count is answered
    EXPECT_FALSE(rs[2].noreply);
    EXPECT_EQ(describe(rs[3]), "CLIENT_ERROR bad data chunk\r\n");
    EXPECT_TRUE(rs[3].noreply);
    EXPECT_EQ(describe(rs[4]), "ERROR\r\n");
}
