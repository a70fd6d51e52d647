#include "seastar/net/tcp_segment.hh"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace seastar::net {
namespace {

constexpr uint32_t src_ip = 0xc0000201; // 192.0.2.1
constexpr uint32_t dst_ip = 0xc0000202; // 192.0.2.2

std::string bytes_of(packet& p) {
    std::string s;
    for (auto f : p.fragments()) {
        s.append(f.base, f.size);
    }
    return s;
}

packet sample(const tcp_option_values& o, std::string payload = "hello, world") {
    tcp_segment_header h;
    h.src_port = 1234;
    h.dst_port = 80;
    h.seq = 0x01020304;
    h.ack = 0xa0b0c0d0;
    h.flags = tcp_flags::ack | tcp_flags::psh;
    h.window = 4096;
    return serialize_tcp_segment(h, o, packet(payload.data(), payload.size()), src_ip, dst_ip, false);
}

tcp_option_values all_options() {
    tcp_option_values o;
    o.mss = 1460;
    o.wscale = 7;
    o.sack_permitted = true;
    o.ts = tcp_option_values::timestamps{111, 222};
    return o;
}

TEST(tcp_segment, round_trip_with_every_option) {
    auto p = sample(all_options());
    EXPECT_EQ(p.len(), 20 + 20 + 12u);
    EXPECT_EQ(internal::tcp_checksum(p, src_ip, dst_ip), 0);
    tcp_segment s;
    ASSERT_EQ(parse_tcp_segment(std::move(p), src_ip, dst_ip, true, s), tcp_drop_reason::none);
    EXPECT_EQ(s.h.src_port, 1234);
    EXPECT_EQ(s.h.dst_port, 80);
    EXPECT_EQ(s.h.seq, 0x01020304u);
    EXPECT_EQ(s.h.ack, 0xa0b0c0d0u);
    EXPECT_EQ(s.h.window, 4096);
    EXPECT_TRUE(s.has(tcp_flags::ack));
    EXPECT_FALSE(s.has(tcp_flags::syn));
    EXPECT_EQ(s.opts.mss, 1460);
    EXPECT_EQ(s.opts.wscale, 7);
    EXPECT_TRUE(s.opts.sack_permitted);
    ASSERT_TRUE(s.opts.ts);
    EXPECT_EQ(s.opts.ts->value, 111u);
    EXPECT_EQ(s.opts.ts->echo_reply, 222u);
    EXPECT_EQ(bytes_of(s.payload), "hello, world");
    EXPECT_EQ(s.seg_len(), 12u);
}

TEST(tcp_segment, checksum_over_odd_fragments_matches_linear) {
    tcp_segment_header h;
    h.src_port = 1;
    h.dst_port = 2;
    packet payload("a", 1);
    payload.append(packet("bcd", 3));
    payload.append(packet("efghi", 5));
    auto p = serialize_tcp_segment(h, {}, std::move(payload), src_ip, dst_ip, false);
    EXPECT_GT(p.nr_frags(), 1u);
    auto flat = bytes_of(p);
    packet q(flat.data(), flat.size());
    EXPECT_EQ(internal::tcp_checksum(p, src_ip, dst_ip), 0);
    EXPECT_EQ(internal::tcp_checksum(q, src_ip, dst_ip), 0);
    // Wrong addresses in the pseudo-header make the checksum wrong.
    EXPECT_NE(internal::tcp_checksum(q, src_ip, dst_ip + 1), 0);
}

TEST(tcp_segment, offload_leaves_pseudo_header_sum) {
    tcp_segment_header h;
    h.src_port = 1;
    h.dst_port = 2;
    auto p = serialize_tcp_segment(h, {}, packet("xyz", 3), src_ip, dst_ip, true);
    auto b = reinterpret_cast<unsigned char*>(p.get_header(0, 20));
    uint16_t field = uint16_t((b[16] << 8) | b[17]);
    EXPECT_EQ(field, internal::tcp_pseudo_header_sum(src_ip, dst_ip, 23));
    // Checksum verification off (device verified) accepts it; on rejects it.
    tcp_segment s;
    EXPECT_EQ(parse_tcp_segment(p.share(), src_ip, dst_ip, true, s), tcp_drop_reason::bad_checksum);
    EXPECT_EQ(parse_tcp_segment(std::move(p), src_ip, dst_ip, false, s), tcp_drop_reason::none);
}

// Re-computes the checksum after a test has damaged a header on purpose.
packet refix(std::string b) {
    b[16] = b[17] = 0;
    packet p(b.data(), b.size());
    auto c = internal::tcp_checksum(p, src_ip, dst_ip);
    b[16] = char(c >> 8);
    b[17] = char(c);
    return packet(b.data(), b.size());
}

tcp_drop_reason parse_bytes(std::string b, bool fix = true) {
    tcp_segment s;
    if (fix && b.size() >= 20) {
        return parse_tcp_segment(refix(std::move(b)), src_ip, dst_ip, true, s);
    }
    return parse_tcp_segment(packet(b.data(), b.size()), src_ip, dst_ip, true, s);
}

TEST(tcp_segment, every_truncation_is_dropped) {
    auto p = sample(all_options(), "");
    auto full = bytes_of(p);
    ASSERT_EQ(full.size(), 40u);
    for (std::size_t n = 0; n < full.size(); ++n) {
        auto r = parse_bytes(full.substr(0, n));
        if (n < 20) {
            EXPECT_EQ(r, tcp_drop_reason::truncated) << n;
        } else {
            EXPECT_EQ(r, tcp_drop_reason::bad_data_offset) << n; // header says 40 bytes
        }
    }
    EXPECT_EQ(parse_bytes(full), tcp_drop_reason::none);
}

TEST(tcp_segment, bad_data_offsets_are_dropped) {
    auto full = bytes_of(*std::make_unique<packet>(sample({}, "")));
    for (int doff : {0, 1, 4, 6, 15}) {
        auto b = full;
        b[12] = char(doff << 4);
        EXPECT_EQ(parse_bytes(b), tcp_drop_reason::bad_data_offset) << doff;
    }
}

TEST(tcp_segment, malformed_options_are_dropped) {
    auto base = bytes_of(*std::make_unique<packet>(sample({}, "")));
    auto with_options = [&](std::vector<unsigned char> opts) {
        while (opts.size() % 4) {
            opts.push_back(0);
        }
        auto b = base;
        b.insert(20, std::string(opts.begin(), opts.end()));
        b[12] = char(((20 + opts.size()) / 4) << 4);
        return parse_bytes(b);
    };
    EXPECT_EQ(with_options({2, 4, 5, 0xb4}), tcp_drop_reason::none);
    EXPECT_EQ(with_options({2, 3, 5}), tcp_drop_reason::bad_option);                // MSS length 3
    EXPECT_EQ(with_options({3, 4, 7, 0}), tcp_drop_reason::bad_option);             // wscale length 4
    EXPECT_EQ(with_options({4, 3, 0}), tcp_drop_reason::bad_option);                // SACK-permitted length 3
    EXPECT_EQ(with_options({8, 6, 0, 0, 0, 0}), tcp_drop_reason::bad_option);       // timestamps length 6
    EXPECT_EQ(with_options({1, 1, 1, 9}), tcp_drop_reason::bad_option);             // kind without length
    EXPECT_EQ(with_options({9, 1, 0, 0}), tcp_drop_reason::bad_option);             // length below 2
    EXPECT_EQ(with_options({9, 0, 0, 0}), tcp_drop_reason::bad_option);             // length 0 (would loop)
    EXPECT_EQ(with_options({9, 9, 0, 0, 0, 0, 0, 0}), tcp_drop_reason::bad_option); // runs past the header
    EXPECT_EQ(with_options({9, 4, 0, 0}), tcp_drop_reason::none);                   // unknown kind: skipped
    EXPECT_EQ(with_options({0, 99, 99, 99}), tcp_drop_reason::none);                // after end-of-list
}

TEST(tcp_segment, bad_checksum_ports_and_flags_are_dropped) {
    auto good = bytes_of(*std::make_unique<packet>(sample({}, "data")));
    for (std::size_t i = 0; i < good.size(); ++i) {
        auto b = good;
        b[i] ^= 0x40;
        EXPECT_EQ(parse_bytes(b, false), tcp_drop_reason::bad_checksum) << i;
    }
    auto zero_src = good;
    zero_src[0] = zero_src[1] = 0;
    EXPECT_EQ(parse_bytes(zero_src), tcp_drop_reason::bad_port);
    auto zero_dst = good;
    zero_dst[2] = zero_dst[3] = 0;
    EXPECT_EQ(parse_bytes(zero_dst), tcp_drop_reason::bad_port);
    auto syn_rst = good;
    syn_rst[13] = char(tcp_flags::syn | tcp_flags::rst);
    EXPECT_EQ(parse_bytes(syn_rst), tcp_drop_reason::bad_flags);
    auto syn_fin = good;
    syn_fin[13] = char(tcp_flags::syn | tcp_flags::fin);
    EXPECT_EQ(parse_bytes(syn_fin), tcp_drop_reason::bad_flags);
}

TEST(tcp_segment, drop_reasons_have_names) {
    for (std::size_t i = 0; i < tcp_drop_reason_count; ++i) {
        EXPECT_NE(to_string(tcp_drop_reason(i)), "unknown");
    }
}

} // namespace
} // namespace seastar::net
