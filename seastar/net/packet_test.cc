#include "seastar/net/packet.hh"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace seastar::net {
namespace {

std::string contents(const packet& p) {
    std::string s;
    for (auto& f : p.fragments()) {
        s.append(f.base, f.size);
    }
    return s;
}

// A buffer whose release is counted.
temporary_buffer<char> counted(std::string_view s, int& releases) {
    auto owned = temporary_buffer<char>::copy_of(s);
    auto p = owned.get_write();
    return temporary_buffer<char>(p, s.size(), make_deleter(owned.release(), [&releases] { ++releases; }));
}

TEST(packet, empty_and_null) {
    packet p;
    EXPECT_TRUE(p);
    EXPECT_EQ(p.len(), 0u);
    EXPECT_EQ(p.nr_frags(), 0u);
    auto n = packet::make_null_packet();
    EXPECT_FALSE(n);
    EXPECT_EQ(n.len(), 0u);
    EXPECT_TRUE(n.fragments().empty());
    packet moved = std::move(p);
    EXPECT_FALSE(p);
    EXPECT_EQ(p.len(), 0u);
    // a null packet can be appended to
    n.append(packet("ab", 2));
    EXPECT_EQ(contents(n), "ab");
}

TEST(packet, copying_constructors_copy) {
    char data[] = "hello";
    packet p(data, 5);
    data[0] = 'j';
    EXPECT_EQ(contents(p), "hello");
    packet q(fragment{data, 5});
    data[0] = 'm';
    EXPECT_EQ(contents(q), "jello");
    packet r(std::move(q), fragment{data, 2});
    data[1] = 'x';
    EXPECT_EQ(contents(r), "jellome");
    packet s(fragment{data, 1}, std::move(r));
    EXPECT_EQ(contents(s), "mjellome");
    EXPECT_EQ(s.len(), 8u);
}

TEST(packet, temporary_buffer_is_not_copied_and_released_once) {
    int releases = 0;
    {
        auto b = counted("payload", releases);
        auto base = b.get();
        packet p(std::move(b));
        ASSERT_EQ(p.nr_frags(), 1u);
        EXPECT_EQ(p.frag(0).base, base);
        EXPECT_EQ(p.len(), 7u);
        packet q = std::move(p);
        EXPECT_EQ(releases, 0);
    }
    EXPECT_EQ(releases, 1);
}

TEST(packet, zero_copy_append_and_prepend) {
    int releases = 0;
    {
        auto a = counted("bbb", releases);
        auto c = counted("ccc", releases);
        auto a_base = a.get();
        packet p(std::move(a));
        p = packet(std::move(p), std::move(c));
        p = packet(counted("aaa", releases), std::move(p));
        static const char tail[] = "ddd";
        p = packet(std::move(p), fragment{const_cast<char*>(tail), 3}, make_deleter([&] { ++releases; }));
        p = packet(std::move(p), make_deleter([&] { ++releases; }));
        EXPECT_EQ(contents(p), "aaabbbcccddd");
        EXPECT_EQ(p.nr_frags(), 4u);
        EXPECT_EQ(p.frag(1).base, a_base);
        EXPECT_EQ(releases, 0);
    }
    EXPECT_EQ(releases, 5);
}

TEST(packet, copy_shares_nothing) {
    int releases = 0;
    packet c;
    {
        auto a = counted("one", releases);
        packet p(std::move(a));
        p = packet(std::move(p), counted("two", releases));
        c = p.copy();
        EXPECT_EQ(c.nr_frags(), 1u);
        EXPECT_EQ(contents(c), "onetwo");
        EXPECT_NE(c.frag(0).base, p.frag(0).base);
        p.frag(0).base[0] = 'O'; // the copy does not see it
    }
    EXPECT_EQ(releases, 2); // the original's buffers went with it
    EXPECT_EQ(contents(c), "onetwo");
    EXPECT_EQ(packet().copy().len(), 0u);
}

TEST(packet, append_packet_moves_fragments) {
    int releases = 0;
    {
        packet a(counted("one", releases));
        packet b(counted("two", releases));
        b = packet(std::move(b), counted("three", releases));
        auto b0 = b.frag(0).base;
        a.append(std::move(b));
        EXPECT_EQ(contents(a), "onetwothree");
        EXPECT_EQ(a.nr_frags(), 3u);
        EXPECT_EQ(a.frag(1).base, b0);
        a.append(packet()); // empty: nothing changes
        a.append(packet::make_null_packet());
        EXPECT_EQ(a.nr_frags(), 3u);
        packet e;
        e.append(std::move(a)); // into an empty packet
        EXPECT_EQ(contents(e), "onetwothree");
        EXPECT_EQ(releases, 0);
    }
    EXPECT_EQ(releases, 3);
}

TEST(packet, vector_and_iterator_constructors) {
    static char x[] = "abcdef";
    int releases = 0;
    {
        std::vector<fragment> frags{{x, 2}, {x + 2, 0}, {x + 2, 4}};
        packet p(frags, make_deleter([&] { ++releases; }));
        EXPECT_EQ(contents(p), "abcdef");
        EXPECT_EQ(p.nr_frags(), 2u); // empty fragments are dropped
        packet q(frags.begin(), frags.end(), deleter());
        EXPECT_EQ(q.len(), 6u);
    }
    EXPECT_EQ(releases, 1);
}

TEST(packet, trim_front_and_back_across_fragments) {
    packet p = packet::from_static_data("aaa", 3);
    p = packet(std::move(p), fragment{const_cast<char*>("bbbb"), 4}, deleter());
    p = packet(std::move(p), fragment{const_cast<char*>("cc"), 2}, deleter());
    p.trim_front(0);
    p.trim_back(0);
    EXPECT_EQ(contents(p), "aaabbbbcc");
    p.trim_front(4);
    EXPECT_EQ(contents(p), "bbbcc");
    EXPECT_EQ(p.nr_frags(), 2u);
    p.trim_back(3);
    EXPECT_EQ(contents(p), "bb");
    EXPECT_EQ(p.nr_frags(), 1u);
    p.trim_front(2);
    EXPECT_EQ(p.len(), 0u);
    EXPECT_EQ(p.nr_frags(), 0u);
    packet q = packet::from_static_data("xyz", 3);
    q.trim_back(3);
    EXPECT_EQ(q.nr_frags(), 0u);
    // exact fragment boundaries
    packet r = packet::from_static_data("ab", 2);
    r = packet(std::move(r), fragment{const_cast<char*>("cd"), 2}, deleter());
    r.trim_front(2);
    EXPECT_EQ(contents(r), "cd");
    EXPECT_EQ(r.nr_frags(), 1u);
}

TEST(packet, share_views_without_copy_and_keeps_bytes_alive) {
    int releases = 0;
    packet s;
    {
        packet p(counted("hello ", releases));
        p = packet(std::move(p), counted("world", releases));
        auto world = p.frag(1).base;
        s = p.share(3, 6);
        EXPECT_EQ(contents(s), "lo wor");
        EXPECT_EQ(s.nr_frags(), 2u);
        EXPECT_EQ(s.frag(1).base, world);
        auto all = p.share();
        EXPECT_EQ(contents(all), "hello world");
        auto none = p.share(11, 0);
        EXPECT_EQ(none.len(), 0u);
        auto edge = p.share(6, 5);
        EXPECT_EQ(contents(edge), "world");
        EXPECT_EQ(edge.nr_frags(), 1u);
    }
    EXPECT_EQ(releases, 0);
    EXPECT_EQ(contents(s), "lo wor");
    s = packet();
    EXPECT_EQ(releases, 2);
}

struct hdr {
    uint16_t a;
    uint32_t b;
} __attribute__((packed));

TEST(packet, prepend_header_uses_header_room) {
    packet p = packet::from_static_data("data", 4);
    auto h = p.prepend_header<hdr>();
    EXPECT_EQ(h->a, 0);
    h->a = 0x1234;
    h->b = 0xdeadbeef;
    EXPECT_EQ(p.len(), 4u + sizeof(hdr));
    EXPECT_EQ(p.nr_frags(), 2u);
    // a second header goes in front, in the same room fragment
    auto h2 = p.prepend_uninitialized_header(2);
    std::memcpy(h2, "XY", 2);
    EXPECT_EQ(p.nr_frags(), 2u);
    EXPECT_EQ(p.len(), 12u);
    auto s = contents(p);
    EXPECT_EQ(s.substr(0, 2), "XY");
    EXPECT_EQ(s.substr(8), "data");
    auto got = p.get_header<hdr>(2);
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got->a, 0x1234);
    EXPECT_EQ(got->b, 0xdeadbeefu);
}

TEST(packet, headers_beyond_the_room_and_sharing_after_prepend) {
    packet p = packet::from_static_data("data", 4);
    // fill the room, then one more byte than fits
    p.prepend_uninitialized_header(packet::internal_data_size - 1);
    std::memset(p.frag(0).base, 'h', packet::internal_data_size - 1);
    auto more = p.prepend_uninitialized_header(2);
    std::memcpy(more, "AB", 2);
    auto big = p.prepend_uninitialized_header(packet::internal_data_size + 10);
    std::memset(big, 'B', packet::internal_data_size + 10);
    std::string expect = std::string(packet::internal_data_size + 10, 'B') + "AB" +
                         std::string(packet::internal_data_size - 1, 'h') + "data";
    EXPECT_EQ(contents(p), expect);
    // a share must not point into p's header room
    auto s = p.share();
    auto ab = p.share(packet::internal_data_size + 10, 2);
    p = packet();
    EXPECT_EQ(contents(s), expect);
    EXPECT_EQ(contents(ab), "AB");
}

TEST(packet, header_room_survives_fragment_array_growth) {
    packet p = packet::from_static_data("x", 1);
    std::memcpy(p.prepend_uninitialized_header(3), "HDR", 3);
    for (int i = 0; i < 20; ++i) {
        p = packet(std::move(p), fragment{const_cast<char*>("y"), 1}, deleter());
    }
    EXPECT_EQ(contents(p), "HDRx" + std::string(20, 'y'));
    std::memcpy(p.prepend_uninitialized_header(1), "<", 1);
    EXPECT_EQ(contents(p).substr(0, 5), "<HDRx");
}

TEST(packet, prepend_fragment_in_front_of_header_room) {
    packet p = packet::from_static_data("x", 1);
    std::memcpy(p.prepend_uninitialized_header(2), "hh", 2);
    p = packet(fragment{const_cast<char*>("F"), 1}, deleter(), std::move(p));
    std::memcpy(p.prepend_uninitialized_header(1), "<", 1);
    EXPECT_EQ(contents(p), "<Fhhx");
}

TEST(packet, get_header_linearizes_only_when_split) {
    packet p = packet::from_static_data("abc", 3);
    p = packet(std::move(p), fragment{const_cast<char*>("defg"), 4}, deleter());
    p = packet(std::move(p), fragment{const_cast<char*>("hi"), 2}, deleter());
    auto in_one = p.get_header(3, 4);
    EXPECT_EQ(std::string(in_one, 4), "defg");
    EXPECT_EQ(p.nr_frags(), 3u);
    auto spanning = p.get_header(1, 5);
    ASSERT_NE(spanning, nullptr);
    EXPECT_EQ(std::string(spanning, 5), "bcdef");
    EXPECT_EQ(p.nr_frags(), 2u);
    EXPECT_EQ(contents(p), "abcdefghi");
    EXPECT_EQ(p.get_header(8, 2), nullptr);
    EXPECT_EQ(p.get_header(9, 0), nullptr);
    EXPECT_EQ(p.get_header<uint64_t>(2), nullptr);
    EXPECT_NE(p.get_header<uint64_t>(1), nullptr);
}

TEST(packet, linearize_merges_into_one) {
    int releases = 0;
    {
        packet p(counted("ab", releases));
        p = packet(std::move(p), counted("cd", releases));
        p = packet(std::move(p), counted("ef", releases));
        p.linearize();
        EXPECT_EQ(p.nr_frags(), 1u);
        EXPECT_EQ(contents(p), "abcdef");
        packet one = packet::from_static_data("z", 1);
        auto base = one.frag(0).base;
        one.linearize();
        EXPECT_EQ(one.frag(0).base, base); // nothing to merge: no copy
    }
    EXPECT_EQ(releases, 3);
}

TEST(packet, release_into_buffers) {
    int releases = 0;
    std::vector<temporary_buffer<char>> bufs;
    {
        packet p(counted("ab", releases));
        p = packet(std::move(p), counted("cde", releases));
        std::memcpy(p.prepend_uninitialized_header(1), "H", 1);
        bufs = p.release();
        EXPECT_EQ(p.len(), 0u);
        EXPECT_EQ(p.nr_frags(), 0u);
    }
    ASSERT_EQ(bufs.size(), 3u);
    EXPECT_EQ(std::string(bufs[0].get(), bufs[0].size()), "H");
    EXPECT_EQ(std::string(bufs[1].get(), bufs[1].size()), "ab");
    EXPECT_EQ(std::string(bufs[2].get(), bufs[2].size()), "cde");
    bufs.pop_back();
    bufs.pop_back();
    EXPECT_EQ(releases, 0);
    bufs.clear();
    EXPECT_EQ(releases, 2);
}

TEST(packet, reset_and_reserve) {
    int releases = 0;
    packet p(counted("ab", releases));
    p.reserve(100);
    EXPECT_EQ(contents(p), "ab");
    p.reset();
    EXPECT_EQ(releases, 1);
    EXPECT_EQ(p.len(), 0u);
    p.append(packet("x", 1));
    EXPECT_EQ(contents(p), "x");
}

TEST(packet, many_fragments_grow_then_linearize_at_the_limit) {
    static const char bytes[] = "0123456789";
    packet p = packet::make_null_packet();
    size_t total = 0;
    // beyond the 65535 fragment limit: the packet must keep every byte in order
    const size_t n = packet::max_nr_frags + 100;
    for (size_t i = 0; i < n; ++i) {
        p = packet(std::move(p), fragment{const_cast<char*>(bytes + i % 10), 1}, deleter());
        ++total;
        ASSERT_LE(p.nr_frags(), packet::max_nr_frags);
    }
    EXPECT_EQ(p.len(), total);
    // linearized once at the limit, then 100 more fragments appended
    EXPECT_EQ(p.nr_frags(), 101u);
    auto s = contents(p);
    for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(s[i], bytes[i % 10]) << i;
    }
}

TEST(packet, too_many_fragments_in_vector_are_copied) {
    static char byte = 'q';
    std::vector<fragment> frags(packet::max_nr_frags + 1, fragment{&byte, 1});
    int releases = 0;
    packet p(frags, make_deleter([&] { ++releases; }));
    EXPECT_EQ(releases, 1); // the bytes were copied, the source released at once
    EXPECT_EQ(p.nr_frags(), 1u);
    EXPECT_EQ(p.len(), packet::max_nr_frags + 1);
}

TEST(packet, append_packets_beyond_the_limit) {
    packet a = packet::make_null_packet();
    packet b = packet::make_null_packet();
    for (size_t i = 0; i < 40000; ++i) {
        a = packet(std::move(a), fragment{const_cast<char*>("a"), 1}, deleter());
        b = packet(std::move(b), fragment{const_cast<char*>("b"), 1}, deleter());
    }
    a.append(std::move(b));
    EXPECT_LE(a.nr_frags(), packet::max_nr_frags);
    EXPECT_EQ(contents(a), std::string(40000, 'a') + std::string(40000, 'b'));
}

} // namespace
} // namespace seastar::net
