#include "seastar/net/ipv4_address.hh"

#include <arpa/inet.h>

#include <stdexcept>

namespace seastar::net {

ipv4_address::ipv4_address(const std::string& dotted_quad) {
    ::in_addr a;
    if (::inet_pton(AF_INET, dotted_quad.c_str(), &a) != 1) {
        throw std::invalid_argument("bad IPv4 address: " + dotted_quad);
    }
    ip = ntohl(a.s_addr);
}

std::string ipv4_address::to_string() const {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." + std::to_string((ip >> 8) & 0xff) +
           "." + std::to_string(ip & 0xff);
}

} // namespace seastar::net
