#include "seastar/net/ethernet.hh"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "seastar/net/byteorder.hh"

namespace seastar::net {

ethernet_address ethernet_address::parse(std::string_view text) {
    ethernet_address a;
    if (text.size() != 17) {
        throw std::invalid_argument("bad Ethernet address: " + std::string(text));
    }
    for (unsigned i = 0; i < 6; ++i) {
        auto hex = [&](char c) -> int {
            if (c >= '0' && c <= '9') {
                return c - '0';
            }
            if (c >= 'a' && c <= 'f') {
                return c - 'a' + 10;
            }
            if (c >= 'A' && c <= 'F') {
                return c - 'A' + 10;
            }
            throw std::invalid_argument("bad Ethernet address: " + std::string(text));
        };
        if (i > 0 && text[i * 3 - 1] != ':') {
            throw std::invalid_argument("bad Ethernet address: " + std::string(text));
        }
        a.mac[i] = uint8_t(hex(text[i * 3]) << 4 | hex(text[i * 3 + 1]));
    }
    return a;
}

std::string ethernet_address::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

std::optional<eth_hdr> eth_hdr::read(packet& p) {
    auto b = p.get_header(0, size);
    if (!b) {
        return std::nullopt;
    }
    eth_hdr h;
    std::memcpy(h.dst.mac.data(), b, 6);
    std::memcpy(h.src.mac.data(), b + 6, 6);
    h.eth_proto = read_be<uint16_t>(b + 12);
    return h;
}

void eth_hdr::write(char* out) const noexcept {
    std::memcpy(out, dst.mac.data(), 6);
    std::memcpy(out + 6, src.mac.data(), 6);
    write_be<uint16_t>(out + 12, eth_proto);
}

} // namespace seastar::net
