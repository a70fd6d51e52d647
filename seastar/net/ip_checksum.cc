#include "seastar/net/ip_checksum.hh"

namespace seastar::net {

void checksummer::sum(const char* data, std::size_t len) noexcept {
    auto p = reinterpret_cast<const uint8_t*>(data);
    if (len == 0) {
        return;
    }
    if (_odd) {
        _sum += *p++;
        --len;
        _odd = false;
    }
    // Words into a 64-bit accumulator, folded before it could overflow.
    while (len >= 2) {
        _sum += (uint32_t(p[0]) << 8) | p[1];
        p += 2;
        len -= 2;
        if ((_sum >> 48) != 0) [[unlikely]] {
            _sum = (_sum & 0xffffffff) + (_sum >> 32);
        }
    }
    if (len) {
        _sum += uint32_t(p[0]) << 8;
        _odd = true;
    }
}

void checksummer::sum(const packet& p) noexcept {
    for (auto& f : p.fragments()) {
        sum(f.base, f.size);
    }
}

uint16_t checksummer::get() const noexcept {
    uint64_t s = _sum;
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return uint16_t(~s);
}

uint16_t ip_checksum(const void* data, std::size_t len) noexcept {
    checksummer c;
    c.sum(static_cast<const char*>(data), len);
    return c.get();
}

} // namespace seastar::net
