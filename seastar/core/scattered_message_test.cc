#include "seastar/core/scattered_message.hh"

#include <gtest/gtest.h>

#include <string>

namespace seastar {
namespace {

std::string contents(const net::packet& p) {
    std::string s;
    for (auto& f : p.fragments()) {
        s.append(f.base, f.size);
    }
    return s;
}

TEST(scattered_message, empty) {
    scattered_message<char> m;
    EXPECT_FALSE(m);
    EXPECT_EQ(m.size(), 0u);
    auto p = std::move(m).release();
    EXPECT_EQ(p.len(), 0u);
}

TEST(scattered_message, pieces_in_order_without_copying_static_and_buffers) {
    static const char greeting[] = "hello";
    scattered_message<char> m;
    m.append_static(greeting);
    m.append_static(std::string_view(" "));
    auto buf = temporary_buffer<char>::copy_of("big");
    auto bp = buf.get();
    m.append(std::move(buf));
    std::string owned = "world";
    m.append(std::string_view(owned)); // copied
    owned[0] = 'W';
    m.append(std::string("!")); // short string: bytes must stay valid after the move
    m.prepend_static("> ");
    m.prepend(std::string("[1] "));
    m.append_static("", 0);
    m.append(std::string());
    EXPECT_EQ(m.size(), 21u);
    auto p = std::move(m).release();
    EXPECT_EQ(contents(p), "[1] > hello bigworld!");
    EXPECT_EQ(p.frag(2).base, greeting); // static data referenced, not copied
    EXPECT_EQ(p.frag(4).base, bp);       // buffer moved in, not copied
}

TEST(scattered_message, on_delete_runs_once_when_released) {
    int runs = 0;
    {
        scattered_message<char> m;
        m.append(std::string(100, 'x'));
        m.on_delete([&] { ++runs; });
        auto p = std::move(m).release();
        auto s = p.share();
        p = net::packet();
        EXPECT_EQ(runs, 0);
    }
    EXPECT_EQ(runs, 1);
}

} // namespace
} // namespace seastar
