#include "seastar/core/sstring.hh"

#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "gtest/gtest.h"

namespace seastar {
namespace {

bool stored_inline(const sstring& s) {
    auto p = reinterpret_cast<const char*>(s.data());
    auto obj = reinterpret_cast<const char*>(&s);
    return p >= obj && p < obj + sizeof(s);
}

TEST(sstring, small_string_boundary_is_seastars) {
    static_assert(sizeof(sstring) == 16);
    sstring s14(14, 'a');
    sstring s15(15, 'b');
    EXPECT_TRUE(stored_inline(s14));
    EXPECT_FALSE(stored_inline(s15));
    EXPECT_EQ(s14.size(), 14u);
    EXPECT_EQ(s15.size(), 15u);
    EXPECT_EQ(s14.c_str()[14], '\0');
    EXPECT_EQ(s15.c_str()[15], '\0');
    EXPECT_EQ(std::string(s15), std::string(15, 'b'));

    // Growing across the boundary moves the characters out; they survive.
    sstring g = "0123456789abc"; // 13
    g += "d";                    // 14: still inline
    EXPECT_TRUE(stored_inline(g));
    g += "e"; // 15: external
    EXPECT_FALSE(stored_inline(g));
    EXPECT_EQ(g, "0123456789abcde");
    g.resize(3);
    EXPECT_EQ(g, "012");
    EXPECT_EQ(g.c_str()[3], '\0');
}

TEST(sstring, copy_move_and_compare) {
    for (size_t n : {0, 1, 14, 15, 100}) {
        sstring a(n, 'x');
        sstring b = a;
        EXPECT_EQ(a, b);
        EXPECT_NE(a.data(), b.data());
        sstring c = std::move(a);
        EXPECT_EQ(c, b);
        EXPECT_TRUE(a.empty());
        a = c;
        EXPECT_EQ(a, c);
        a = std::move(c);
        EXPECT_EQ(a, b);
    }
    EXPECT_LT(sstring("abc"), sstring("abd"));
    EXPECT_GT(sstring("b"), sstring("abcdefghijklmnopq"));
    EXPECT_EQ(sstring("x"), std::string("x"));
    EXPECT_EQ(sstring("x"), std::string_view("x"));
    EXPECT_TRUE(sstring("abc") < "abd");
    sstring s1 = "short", s2(40, 'L');
    swap(s1, s2);
    EXPECT_EQ(s1, std::string(40, 'L'));
    EXPECT_EQ(s2, "short");
}

TEST(sstring, conversions_to_and_from_std) {
    std::string big(1000, 'q');
    sstring s(big);
    std::string back = s;
    EXPECT_EQ(back, big);
    std::string_view v = s;
    EXPECT_EQ(v.data(), s.data());
    sstring from_view(std::string_view("view"));
    EXPECT_EQ(from_view, "view");
    std::vector<char> chars{'a', 'b', 'c'};
    EXPECT_EQ(sstring(chars.begin(), chars.end()), "abc");
    std::istringstream in("stream");
    EXPECT_EQ(sstring(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()), "stream");
}

TEST(sstring, string_operations) {
    sstring s = "hello, world";
    EXPECT_EQ(s.find('o'), 4u);
    EXPECT_EQ(s.find("world"), 7u);
    EXPECT_EQ(s.find("nope"), sstring::npos);
    EXPECT_EQ(s.rfind('o'), 8u);
    EXPECT_EQ(s.substr(7), "world");
    EXPECT_EQ(s.substr(0, 5), "hello");
    EXPECT_THROW(s.substr(13), std::out_of_range);
    EXPECT_THROW(s.at(12), std::out_of_range);
    EXPECT_EQ(s.at(0), 'h');
    EXPECT_TRUE(s.starts_with("hello"));
    EXPECT_TRUE(s.ends_with('d'));
    EXPECT_TRUE(s.contains(", "));
    s.replace(0, 5, "goodbye", 7);
    EXPECT_EQ(s, "goodbye, world");
    std::string ins = "big ";
    s.insert(s.begin() + 9, ins.begin(), ins.end());
    EXPECT_EQ(s, "goodbye, big world");
    s.erase(s.begin(), s.begin() + 9);
    EXPECT_EQ(s, "big world");
    EXPECT_EQ(s.compare("big world"), 0);
    EXPECT_LT(s.compare("zzz"), 0);
    sstring grown;
    for (int i = 0; i < 1000; ++i) {
        grown += char('a' + i % 26);
    }
    EXPECT_EQ(grown.size(), 1000u);
    EXPECT_EQ(grown[27], 'b');
    EXPECT_EQ(sstring("a") + "b" + sstring("c") + 'd', "abcd");
    sstring ov;
    ov.resize_and_overwrite(20, [](char* p, size_t n) {
        std::memcpy(p, "written", 7);
        return size_t(7);
    });
    EXPECT_EQ(ov, "written");
}

TEST(sstring, helpers) {
    EXPECT_EQ(to_sstring(42), "42");
    EXPECT_EQ(to_sstring(-7L), "-7");
    EXPECT_EQ(to_sstring(1.5), "1.5");
    EXPECT_EQ(to_sstring(true), "true");
    EXPECT_EQ(to_sstring("lit"), "lit");
    EXPECT_EQ(to_sstring(std::string("std")), "std");
    EXPECT_EQ(to_sstring<std::string>(12), std::string("12"));

    auto u = uninitialized_string(20);
    EXPECT_EQ(u.size(), 20u);
    std::memset(u.data(), 'z', 20);
    EXPECT_EQ(u, std::string(20, 'z'));
    auto su = uninitialized_string<std::string>(3);
    EXPECT_EQ(su.size(), 3u);

    std::string_view v = "view";
    EXPECT_EQ(make_sstring("a", std::string("bc"), v, sstring("!")), "abcview!");
    EXPECT_EQ(make_sstring<std::string>("x", sstring("y")), std::string("xy"));
    EXPECT_EQ(make_sstring(), "");
}

TEST(sstring, hash_format_and_stream) {
    std::unordered_map<sstring, int> m;
    m["one"] = 1;
    m[sstring(30, 'k')] = 2;
    EXPECT_EQ(m.at("one"), 1);
    EXPECT_EQ(m.at(sstring(30, 'k')), 2);
    EXPECT_EQ(std::hash<sstring>()(sstring("abc")), std::hash<std::string_view>()("abc"));

    EXPECT_EQ(fmt::format("[{}]", sstring("fmt")), "[fmt]");
    EXPECT_EQ(fmt::format("[{:>5}]", sstring("ab")), "[   ab]");
    std::ostringstream os;
    os << sstring("out") << ' ' << sstring(std::string_view("with\0nul", 8));
    EXPECT_EQ(os.str(), std::string("out with\0nul", 12));
}

TEST(sstring, non_terminated_variant) {
    using raw = basic_sstring<char, uint16_t, 12, false>;
    raw r(12, 'r'); // 12 chars fit inline when no terminator is stored
    EXPECT_EQ(r.size(), 12u);
    EXPECT_EQ(std::string_view(r), "rrrrrrrrrrrr");
    raw big(70000 % 65536, 'b');
    EXPECT_EQ(big.size(), 70000u % 65536);
    EXPECT_THROW(raw(size_t(70000), 'x'), std::length_error);
}

} // namespace
} // namespace seastar
