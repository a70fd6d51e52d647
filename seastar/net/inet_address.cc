#include "seastar/net/inet_address.hh"

#include <arpa/inet.h>

#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string_view>

namespace seastar::net {

inet_address::inet_address() noexcept : inet_address(family::INET) {}

inet_address::inet_address(family f) noexcept : _in_family(f) {
    std::memset(&_in6, 0, sizeof(_in6));
}

inet_address::inet_address(::in_addr a) noexcept : inet_address(family::INET) {
    _in = a;
}

inet_address::inet_address(const ::in6_addr& a, uint32_t scope) noexcept : _in_family(family::INET6), _scope(scope) {
    _in6 = a;
}

inet_address::inet_address(uint32_t ipv4_host_order) noexcept : inet_address(family::INET) {
    _in.s_addr = htonl(ipv4_host_order);
}

inet_address::inet_address(const std::string& text) : inet_address(family::INET) {
    if (::inet_pton(AF_INET, text.c_str(), &_in) == 1) {
        return;
    }
    // "fe80::1%2": a numeric scope after '%'.
    std::string host = text;
    uint32_t scope = invalid_scope;
    if (auto pct = text.find('%'); pct != std::string::npos) {
        host = text.substr(0, pct);
        auto s = text.substr(pct + 1);
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9) {
            throw std::invalid_argument("not an IP address: " + text);
        }
        scope = uint32_t(std::stoul(s));
    }
    if (::inet_pton(AF_INET6, host.c_str(), &_in6) == 1) {
        _in_family = family::INET6;
        _scope = scope;
        return;
    }
    throw std::invalid_argument("not an IP address: " + text);
}

::in_addr inet_address::as_ipv4_address() const {
    if (is_ipv4()) {
        return _in;
    }
    if (IN6_IS_ADDR_V4MAPPED(&_in6)) {
        ::in_addr a;
        std::memcpy(&a, &_in6.s6_addr[12], 4);
        return a;
    }
    throw std::invalid_argument("not an IPv4 address: " + to_string());
}

::in6_addr inet_address::as_ipv6_address() const noexcept {
    if (is_ipv6()) {
        return _in6;
    }
    ::in6_addr a;
    std::memset(&a, 0, sizeof(a));
    a.s6_addr[10] = 0xff;
    a.s6_addr[11] = 0xff;
    std::memcpy(&a.s6_addr[12], &_in, 4);
    return a;
}

uint32_t inet_address::as_ipv4_host_order() const {
    if (!is_ipv4()) {
        throw std::invalid_argument("not an IPv4 address: " + to_string());
    }
    return ntohl(_in.s_addr);
}

bool inet_address::is_loopback() const noexcept {
    return is_ipv4() ? (ntohl(_in.s_addr) >> 24) == 127 : IN6_IS_ADDR_LOOPBACK(&_in6);
}

bool inet_address::is_addr_any() const noexcept {
    return is_ipv4() ? _in.s_addr == INADDR_ANY : IN6_IS_ADDR_UNSPECIFIED(&_in6);
}

bool inet_address::operator==(const inet_address& o) const noexcept {
    if (_in_family != o._in_family) {
        return false;
    }
    return is_ipv4() ? _in.s_addr == o._in.s_addr
                     : std::memcmp(&_in6, &o._in6, sizeof(_in6)) == 0 && _scope == o._scope;
}

std::string inet_address::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    ::inet_ntop(int(_in_family), &_in, buf, sizeof(buf));
    std::string s(buf);
    if (is_ipv6() && _scope != invalid_scope) {
        s += '%';
        s += std::to_string(_scope);
    }
    return s;
}

std::ostream& operator<<(std::ostream& os, const inet_address& a) {
    return os << a.to_string();
}

} // namespace seastar::net

size_t std::hash<seastar::net::inet_address>::operator()(const seastar::net::inet_address& a) const noexcept {
    return std::hash<std::string_view>()(std::string_view(static_cast<const char*>(a.data()), a.size())) ^
           size_t(a.in_family());
}
