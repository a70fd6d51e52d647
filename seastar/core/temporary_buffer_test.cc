#include "seastar/core/temporary_buffer.hh"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace seastar {
namespace {

using tb = temporary_buffer<char>;

std::string_view view(const tb& b) {
    return {b.get(), b.size()};
}

TEST(temporary_buffer, default_is_empty) {
    tb b;
    EXPECT_TRUE(b.empty());
    EXPECT_FALSE(b);
    EXPECT_EQ(b.size(), 0u);
    EXPECT_EQ(b.get(), nullptr);
    EXPECT_EQ(b.begin(), b.end());
}

TEST(temporary_buffer, sized_buffer_is_writable) {
    tb b(5);
    EXPECT_EQ(b.size(), 5u);
    std::memcpy(b.get_write(), "hello", 5);
    EXPECT_EQ(view(b), "hello");
    EXPECT_EQ(b[1], 'e');
    EXPECT_EQ(std::string(b.begin(), b.end()), "hello");
}

TEST(temporary_buffer, zero_size_buffer) {
    tb b(size_t(0));
    EXPECT_TRUE(b.empty());
    auto c = tb::copy_of("");
    EXPECT_TRUE(c.empty());
    EXPECT_EQ(b, c);
}

TEST(temporary_buffer, copy_of_and_equality) {
    auto a = tb::copy_of("abc");
    auto b = tb::copy_of("abc");
    auto c = tb::copy_of("abd");
    EXPECT_NE(a.get(), b.get());
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_NE(a, tb::copy_of("ab"));
}

TEST(temporary_buffer, move_leaves_source_empty) {
    auto a = tb::copy_of("abc");
    auto p = a.get();
    tb b = std::move(a);
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(b.get(), p);
    tb c;
    c = std::move(b);
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(view(c), "abc");
}

TEST(temporary_buffer, share_views_same_bytes_and_outlives_original) {
    tb s;
    {
        auto a = tb::copy_of("hello world");
        s = a.share(6, 5);
        EXPECT_EQ(s.get(), a.get() + 6);
        auto all = a.share();
        EXPECT_EQ(all.get(), a.get());
        EXPECT_EQ(all.size(), a.size());
        // not copy-on-write
        a.get_write()[6] = 'W';
    }
    // a is gone; s still owns the memory (asan would catch a use after free).
    EXPECT_EQ(view(s), "World");
}

TEST(temporary_buffer, share_empty_range) {
    auto a = tb::copy_of("abc");
    auto e = a.share(3, 0);
    EXPECT_TRUE(e.empty());
}

TEST(temporary_buffer, trim_trim_front_prefix) {
    auto a = tb::copy_of("0123456789");
    a.trim_front(2);
    EXPECT_EQ(view(a), "23456789");
    a.trim(3);
    EXPECT_EQ(view(a), "234");
    auto p = std::move(a).prefix(2);
    EXPECT_EQ(view(p), "23");
    EXPECT_TRUE(a.empty());
    p.trim_front(2);
    EXPECT_TRUE(p.empty());
}

TEST(temporary_buffer, clone_is_independent) {
    auto a = tb::copy_of("abc");
    auto c = a.clone();
    EXPECT_NE(c.get(), a.get());
    a.get_write()[0] = 'x';
    EXPECT_EQ(view(c), "abc");
}

TEST(temporary_buffer, release_hands_over_ownership) {
    int runs = 0;
    char data[] = "xyz";
    tb b(data, 3, make_deleter([&] { ++runs; }));
    deleter d = b.release();
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(runs, 0);
    d = deleter();
    EXPECT_EQ(runs, 1);
}

TEST(temporary_buffer, custom_deleter_runs_once_after_all_shares) {
    int runs = 0;
    static char data[] = "static bytes";
    {
        tb b(data, sizeof(data) - 1, make_deleter([&] { ++runs; }));
        auto s1 = b.share(0, 6);
        auto s2 = s1.share();
        b = tb();
        s1 = tb();
        EXPECT_EQ(runs, 0);
        EXPECT_EQ(view(s2), "static");
    }
    EXPECT_EQ(runs, 1);
}

TEST(temporary_buffer, aligned) {
    for (size_t align : {16u, 512u, 4096u}) {
        auto b = tb::aligned(align, 100);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(b.get()) % align, 0u);
        EXPECT_EQ(b.size(), 100u);
        auto s = b.share(10, 10);
        b = tb();
        s.get_write()[0] = 1; // still valid memory
    }
}

TEST(temporary_buffer, other_byte_types) {
    temporary_buffer<uint8_t> b(3);
    b.get_write()[0] = 255;
    EXPECT_EQ(b[0], 255);
    auto c = temporary_buffer<unsigned char>::copy_of("ab");
    EXPECT_EQ(c[1], 'b');
}

} // namespace
} // namespace seastar
