// The binary protocol parser and serializer: frames split at every byte,
// per-opcode length checks, swallowed values and bodies, header round trip.
#include "tools/memcached/binary_protocol.hh"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace seastar::memcache;
namespace bin = seastar::memcache::binary;

namespace {

std::string frame(uint8_t op, std::string_view key, std::string_view extras = {}, std::string_view value = {},
                  uint32_t opaque = 0) {
    bin::header h;
    h.opcode = op;
    h.key_length = uint16_t(key.size());
    h.extras_length = uint8_t(extras.size());
    h.body_length = uint32_t(key.size() + extras.size() + value.size());
    h.opaque = opaque;
    h.cas = 0x0102030405060708ull;
    std::string out;
    bin::encode_header(h, out);
    return out.append(extras).append(key).append(value);
}

std::vector<bin::request> parse_all(std::string_view in, size_t step, size_t max_item = 1 << 20) {
    bin::parser p(max_item);
    std::vector<bin::request> out;
    for (size_t i = 0; i < in.size(); i += step) {
        p.feed(in.substr(i, step));
        while (auto r = p.next()) {
            out.push_back(std::move(*r));
        }
    }
    return out;
}

} // namespace

TEST(binary_protocol, header_round_trip) {
    auto f = frame(bin::op_set, "key", std::string(8, '\1'), "value", 0xabcdef01);
    auto h = bin::decode_header(f.data());
    EXPECT_EQ(h.magic, bin::request_magic);
    EXPECT_EQ(h.opcode, bin::op_set);
    EXPECT_EQ(h.key_length, 3u);
    EXPECT_EQ(h.extras_length, 8u);
    EXPECT_EQ(h.body_length, 16u);
    EXPECT_EQ(h.opaque, 0xabcdef01u);
    EXPECT_EQ(h.cas, 0x0102030405060708ull);
    std::string again;
    bin::encode_header(h, again);
    EXPECT_EQ(again, f.substr(0, bin::header_size));
}

TEST(binary_protocol, frames_in_any_split) {
    std::string in = frame(bin::op_set, "k", std::string(8, '\0'), "hello") + frame(bin::op_get, "k") +
                     frame(bin::op_noop, "") + frame(bin::op_increment, "n", std::string(20, '\0'));
    for (size_t step : {size_t(1), size_t(5), size_t(24), in.size()}) {
        auto rs = parse_all(in, step);
        ASSERT_EQ(rs.size(), 4u) << step;
        EXPECT_EQ(rs[0].kind, bin::frame_kind::request);
        EXPECT_EQ(rs[0].key, "k");
        EXPECT_EQ(rs[0].value, "hello");
        EXPECT_EQ(rs[0].extras.size(), 8u);
        EXPECT_EQ(rs[1].h.opcode, bin::op_get);
        EXPECT_EQ(rs[2].h.opcode, bin::op_noop);
        EXPECT_EQ(rs[3].extras.size(), 20u);
    }
}

TEST(binary_protocol, bad_frames) {
    // Bad magic: a protocol error, and nothing after it is parsed.
    auto f = frame(bin::op_noop, "");
    f[0] = 0x81;
    auto rs = parse_all(f + frame(bin::op_noop, ""), 1);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].kind, bin::frame_kind::protocol_error);
    for (auto bad :
         {frame(bin::op_get, ""), frame(bin::op_get, "k", "x"), frame(bin::op_set, "k", "1234", "v"),
          frame(bin::op_increment, "k", std::string(8, '\0')), frame(bin::op_version, "k"),
          frame(bin::op_flush, "", "12"), frame(bin::op_touch, "k"), frame(bin::op_get, std::string(251, 'k'))}) {
        rs = parse_all(bad, 3);
        ASSERT_EQ(rs.size(), 1u);
        EXPECT_EQ(rs[0].kind, bin::frame_kind::protocol_error) << int(rs[0].h.opcode);
    }
    // Key longer than the body.
    f = frame(bin::op_get, "key");
    f[11] = 2;
    rs = parse_all(f, 100);
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].kind, bin::frame_kind::protocol_error);
}

TEST(binary_protocol, swallowed_bodies) {
    // A value over the limit is swallowed, even one that holds frames.
    std::string inner;
    while (inner.size() < 3000) {
        inner += frame(bin::op_flush, "");
    }
    auto in = frame(bin::op_set, "big", std::string(8, '\0'), inner) + frame(bin::op_noop, "");
    for (size_t step : {size_t(1), size_t(100), in.size()}) {
        auto rs = parse_all(in, step, 2048);
        ASSERT_EQ(rs.size(), 2u);
        EXPECT_EQ(rs[0].kind, bin::frame_kind::too_large);
        EXPECT_EQ(rs[0].key, "big");
        EXPECT_EQ(rs[1].h.opcode, bin::op_noop);
    }
    // An unknown opcode's body is swallowed too.
    auto rs = parse_all(frame(0x42, "abc", "", "defg") + frame(bin::op_noop, ""), 1);
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].kind, bin::frame_kind::unknown);
    EXPECT_EQ(rs[1].h.opcode, bin::op_noop);
}

TEST(binary_protocol, responses) {
    std::string out;
    bin::write_response(out, bin::op_get, bin::st_ok, 9, 77, "FLAG", "key", "value");
    auto h = bin::decode_header(out.data());
    EXPECT_EQ(h.magic, bin::response_magic);
    EXPECT_EQ(h.vbucket_or_status, bin::st_ok);
    EXPECT_EQ(h.body_length, 12u);
    EXPECT_EQ(h.cas, 77u);
    EXPECT_EQ(out.substr(bin::header_size), "FLAGkeyvalue");
    EXPECT_EQ(bin::status_message(bin::st_key_enoent), "Not found");
    EXPECT_EQ(bin::status_message(bin::st_e2big), "Too large.");
}
