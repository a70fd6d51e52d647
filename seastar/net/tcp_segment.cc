#include "seastar/net/tcp_segment.hh"

#include <cstring>

namespace seastar::net {

namespace {

uint16_t get16(const unsigned char* p) noexcept {
    return uint16_t((p[0] << 8) | p[1]);
}
uint32_t get32(const unsigned char* p) noexcept {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
void put16(unsigned char* p, uint16_t v) noexcept {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
void put32(unsigned char* p, uint32_t v) noexcept {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}

// One's-complement sum of a byte stream fed in pieces of any length.
class checksummer {
    uint64_t _sum = 0;
    bool _odd = false; // the next byte is the low half of a 16-bit word

public:
    void add(const unsigned char* p, std::size_t n) noexcept {
        if (n == 0) {
            return;
        }
        if (_odd) {
            _sum += *p++;
            --n;
            _odd = false;
        }
        while (n >= 2) {
            _sum += get16(p);
            p += 2;
            n -= 2;
        }
        if (n) {
            _sum += uint32_t(*p) << 8;
            _odd = true;
        }
    }
    void add16(uint16_t v) noexcept {
        unsigned char b[2];
        put16(b, v);
        add(b, 2);
    }
    void add32(uint32_t v) noexcept {
        unsigned char b[4];
        put32(b, v);
        add(b, 4);
    }
    uint16_t folded() const noexcept {
        uint64_t s = _sum;
        while (s >> 16) {
            s = (s & 0xffff) + (s >> 16);
        }
        return uint16_t(s);
    }
};

void add_pseudo_header(checksummer& c, uint32_t src, uint32_t dst, std::size_t tcp_len) noexcept {
    c.add32(src);
    c.add32(dst);
    c.add16(6);
    c.add16(uint16_t(tcp_len));
}

// Walks the option bytes; false on a malformed option.
bool parse_options(const unsigned char* p, std::size_t n, tcp_option_values& o) noexcept {
    std::size_t i = 0;
    while (i < n) {
        uint8_t kind = p[i];
        if (kind == 0) { // end of option list
            break;
        }
        if (kind == 1) { // no-operation
            ++i;
            continue;
        }
        if (i + 1 >= n) {
            return false;
        }
        uint8_t len = p[i + 1];
        if (len < 2 || i + len > n) {
            return false;
        }
        switch (kind) {
        case 2:
            if (len != 4) {
                return false;
            }
            o.mss = get16(p + i + 2);
            break;
        case 3:
            if (len != 3) {
                return false;
            }
            o.wscale = p[i + 2];
            break;
        case 4:
            if (len != 2) {
                return false;
            }
            o.sack_permitted = true;
            break;
        case 8:
            if (len != 10) {
                return false;
            }
            o.ts = tcp_option_values::timestamps{get32(p + i + 2), get32(p + i + 6)};
            break;
        default:
            break; // well-formed but unknown: skipped
        }
        i += len;
    }
    return true;
}

} // namespace

std::string_view to_string(tcp_drop_reason r) noexcept {
    switch (r) {
    case tcp_drop_reason::none:
        return "none";
    case tcp_drop_reason::truncated:
        return "truncated";
    case tcp_drop_reason::bad_data_offset:
        return "bad_data_offset";
    case tcp_drop_reason::bad_option:
        return "bad_option";
    case tcp_drop_reason::bad_checksum:
        return "bad_checksum";
    case tcp_drop_reason::bad_port:
        return "bad_port";
    case tcp_drop_reason::bad_flags:
        return "bad_flags";
    case tcp_drop_reason::no_connection:
        return "no_connection";
    case tcp_drop_reason::out_of_window:
        return "out_of_window";
    case tcp_drop_reason::paws:
        return "paws";
    case tcp_drop_reason::bad_ack:
        return "bad_ack";
    case tcp_drop_reason::no_ack:
        return "no_ack";
    case tcp_drop_reason::backlog_full:
        return "backlog_full";
    case tcp_drop_reason::rst_ignored:
        return "rst_ignored";
    case tcp_drop_reason::syn_in_window:
        return "syn_in_window";
    case tcp_drop_reason::no_buffer:
        return "no_buffer";
    case tcp_drop_reason::count_:
        break;
    }
    return "unknown";
}

namespace internal {

uint16_t tcp_pseudo_header_sum(uint32_t src, uint32_t dst, std::size_t tcp_len) noexcept {
    checksummer c;
    add_pseudo_header(c, src, dst, tcp_len);
    return c.folded();
}

uint16_t tcp_checksum(const packet& p, uint32_t src, uint32_t dst) noexcept {
    checksummer c;
    add_pseudo_header(c, src, dst, p.len());
    for (unsigned i = 0; i < p.nr_frags(); ++i) {
        auto f = p.frag(i);
        c.add(reinterpret_cast<const unsigned char*>(f.base), f.size);
    }
    return uint16_t(~c.folded());
}

} // namespace internal

tcp_drop_reason parse_tcp_segment(packet p, uint32_t src, uint32_t dst, bool verify_checksum, tcp_segment& out) {
    if (p.len() < tcp_header_min_size) {
        return tcp_drop_reason::truncated;
    }
    if (verify_checksum && internal::tcp_checksum(p, src, dst) != 0) {
        return tcp_drop_reason::bad_checksum;
    }
    auto fixed = reinterpret_cast<const unsigned char*>(p.get_header(0, tcp_header_min_size));
    std::size_t doff = (fixed[12] >> 4) * 4u;
    if (doff < tcp_header_min_size || doff > p.len()) {
        return tcp_drop_reason::bad_data_offset;
    }
    auto hdr = reinterpret_cast<const unsigned char*>(p.get_header(0, doff));
    tcp_segment s;
    s.h.src_port = get16(hdr);
    s.h.dst_port = get16(hdr + 2);
    s.h.seq = get32(hdr + 4);
    s.h.ack = get32(hdr + 8);
    s.h.flags = hdr[13];
    s.h.window = get16(hdr + 14);
    s.h.urgent = get16(hdr + 18);
    if (!parse_options(hdr + tcp_header_min_size, doff - tcp_header_min_size, s.opts)) {
        return tcp_drop_reason::bad_option;
    }
    if (s.h.src_port == 0 || s.h.dst_port == 0) {
        return tcp_drop_reason::bad_port;
    }
    if (s.has(tcp_flags::syn) && (s.has(tcp_flags::rst) || s.has(tcp_flags::fin))) {
        return tcp_drop_reason::bad_flags;
    }
    p.trim_front(doff);
    s.payload = std::move(p);
    out = std::move(s);
    return tcp_drop_reason::none;
}

std::size_t tcp_options_size(const tcp_option_values& o) noexcept {
    std::size_t n = 0;
    if (o.mss) {
        n += 4;
    }
    if (o.sack_permitted) {
        n += 2;
    }
    if (o.ts) {
        n += 10;
    }
    if (o.wscale) {
        n += 3;
    }
    return (n + 3) & ~std::size_t(3);
}

packet serialize_tcp_segment(const tcp_segment_header& h, const tcp_option_values& o, packet payload, uint32_t src,
                             uint32_t dst, bool checksum_offload) {
    if (!payload) {
        payload = packet();
    }
    std::size_t opt_len = tcp_options_size(o);
    std::size_t hlen = tcp_header_min_size + opt_len;
    auto b = reinterpret_cast<unsigned char*>(payload.prepend_uninitialized_header(hlen));
    put16(b, h.src_port);
    put16(b + 2, h.dst_port);
    put32(b + 4, h.seq);
    put32(b + 8, h.ack);
    b[12] = uint8_t((hlen / 4) << 4);
    b[13] = h.flags;
    put16(b + 14, h.window);
    put16(b + 16, 0);
    put16(b + 18, h.urgent);
    auto q = b + tcp_header_min_size;
    auto end = b + hlen;
    if (o.mss) {
        q[0] = 2;
        q[1] = 4;
        put16(q + 2, *o.mss);
        q += 4;
    }
    if (o.sack_permitted) {
        q[0] = 4;
        q[1] = 2;
        q += 2;
    }
    if (o.ts) {
        q[0] = 8;
        q[1] = 10;
        put32(q + 2, o.ts->value);
        put32(q + 6, o.ts->echo_reply);
        q += 10;
    }
    if (o.wscale) {
        q[0] = 3;
        q[1] = 3;
        q[2] = *o.wscale;
        q += 3;
    }
    while (q < end) {
        *q++ = 1; // padding with no-operation options
    }
    uint16_t csum = checksum_offload ? internal::tcp_pseudo_header_sum(src, dst, payload.len())
                                     : internal::tcp_checksum(payload, src, dst);
    // get_header() may have merged fragments, so write through a fresh pointer.
    auto hb = reinterpret_cast<unsigned char*>(payload.get_header(0, tcp_header_min_size));
    put16(hb + 16, csum);
    return payload;
}

} // namespace seastar::net
