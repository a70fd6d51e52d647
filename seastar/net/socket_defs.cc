#include "seastar/net/socket_defs.hh"

#include <arpa/inet.h>

#include <cstddef>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string_view>

namespace seastar {

namespace {

uint16_t parse_port(const std::string& s, const std::string& whole) {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) {
        throw std::invalid_argument("bad port in address: " + whole);
    }
    auto v = std::stoul(s);
    if (v > 65535) {
        throw std::invalid_argument("bad port in address: " + whole);
    }
    return uint16_t(v);
}

constexpr size_t sun_path_offset = offsetof(::sockaddr_un, sun_path);

} // namespace

// ---- ipv4_addr / ipv6_addr / unix_domain_addr ----

ipv4_addr::ipv4_addr(const std::string& addr) {
    auto colon = addr.rfind(':');
    auto host = colon == std::string::npos ? addr : addr.substr(0, colon);
    port = colon == std::string::npos ? 0 : parse_port(addr.substr(colon + 1), addr);
    net::inet_address a(host);
    ip = a.as_ipv4_host_order();
}

ipv4_addr::ipv4_addr(const std::string& addr, uint16_t port)
    : ip(net::inet_address(addr).as_ipv4_host_order()), port(port) {}

ipv4_addr::ipv4_addr(const net::inet_address& a, uint16_t port) : ip(a.as_ipv4_host_order()), port(port) {}

ipv4_addr::ipv4_addr(const ::sockaddr_in& sin) noexcept : ip(ntohl(sin.sin_addr.s_addr)), port(ntohs(sin.sin_port)) {}

ipv6_addr::ipv6_addr(const std::string& addr, uint16_t port) : ipv6_addr(net::inet_address(addr), port) {
    if (!net::inet_address(addr).is_ipv6()) {
        throw std::invalid_argument("not an IPv6 address: " + addr);
    }
}

ipv6_addr::ipv6_addr(const net::inet_address& a, uint16_t port) noexcept : port(port) {
    auto in6 = a.as_ipv6_address();
    std::memcpy(ip.data(), &in6, 16);
}

ipv6_addr::ipv6_addr(const ::sockaddr_in6& sin6) noexcept : port(ntohs(sin6.sin6_port)) {
    std::memcpy(ip.data(), &sin6.sin6_addr, 16);
}

bool ipv6_addr::is_ip_unspecified() const noexcept {
    for (auto b : ip) {
        if (b) {
            return false;
        }
    }
    return true;
}

unix_domain_addr::unix_domain_addr(const std::string& fn) : unix_domain_addr(fn.data(), fn.size()) {}

unix_domain_addr::unix_domain_addr(const char* path, size_t length) : name(path, length), path_count(int(length)) {
    if (length >= sizeof(::sockaddr_un::sun_path) + (length && path[0] == '\0' ? 1 : 0)) {
        throw std::invalid_argument("unix socket path too long: " + std::string(path, length));
    }
}

// ---- socket_address ----

socket_address::socket_address() noexcept : addr_length(0) {
    std::memset(&u, 0, sizeof(u));
    u.sa.sa_family = AF_UNSPEC;
}

socket_address::socket_address(const ::sockaddr_in& sa) noexcept : socket_address() {
    u.in = sa;
    addr_length = sizeof(sa);
}

socket_address::socket_address(const ::sockaddr_in6& sa) noexcept : socket_address() {
    u.in6 = sa;
    addr_length = sizeof(sa);
}

socket_address::socket_address(const ::sockaddr* sa, ::socklen_t len) noexcept : socket_address() {
    if (!sa || len < sizeof(sa_family_t) || len > sizeof(u)) {
        return;
    }
    switch (sa->sa_family) {
    case AF_INET:
    case AF_INET6:
    case AF_UNIX:
        std::memcpy(&u, sa, len);
        addr_length = len;
        break;
    default:
        break;
    }
}

socket_address::socket_address(const ipv4_addr& a) noexcept : socket_address() {
    u.in.sin_family = AF_INET;
    u.in.sin_port = htons(a.port);
    u.in.sin_addr.s_addr = htonl(a.ip);
    addr_length = sizeof(u.in);
}

socket_address::socket_address(const ipv6_addr& a, uint32_t scope) noexcept : socket_address() {
    u.in6.sin6_family = AF_INET6;
    u.in6.sin6_port = htons(a.port);
    std::memcpy(&u.in6.sin6_addr, a.ip.data(), 16);
    u.in6.sin6_scope_id = scope == net::inet_address::invalid_scope ? 0 : scope;
    addr_length = sizeof(u.in6);
}

socket_address::socket_address(const unix_domain_addr& a) noexcept : socket_address() {
    u.un.sun_family = AF_UNIX;
    std::memcpy(u.un.sun_path, a.path_bytes(), size_t(a.path_count));
    // A filesystem path is counted with its terminating NUL; an abstract
    // name is exactly its bytes.
    bool abstract = a.path_count > 0 && a.name[0] == '\0';
    addr_length = ::socklen_t(sun_path_offset + size_t(a.path_count) + (abstract ? 0 : 1));
}

socket_address::socket_address(const net::inet_address& a, uint16_t port) noexcept
    : socket_address(a.is_ipv4() ? socket_address(ipv4_addr(a.as_ipv4_host_order(), port))
                                 : socket_address(ipv6_addr(a, port), a.scope())) {}

socket_address::socket_address(uint16_t port) noexcept : socket_address(ipv4_addr(port)) {}

bool socket_address::is_wildcard() const noexcept {
    switch (family()) {
    case AF_INET:
        return u.in.sin_addr.s_addr == INADDR_ANY;
    case AF_INET6:
        return IN6_IS_ADDR_UNSPECIFIED(&u.in6.sin6_addr);
    default:
        return false;
    }
}

uint16_t socket_address::port() const noexcept {
    switch (family()) {
    case AF_INET:
        return ntohs(u.in.sin_port);
    case AF_INET6:
        return ntohs(u.in6.sin6_port);
    default:
        return 0;
    }
}

void socket_address::set_port(uint16_t port) noexcept {
    if (family() == AF_INET) {
        u.in.sin_port = htons(port);
    } else if (family() == AF_INET6) {
        u.in6.sin6_port = htons(port);
    }
}

net::inet_address socket_address::addr() const {
    switch (family()) {
    case AF_INET:
        return net::inet_address(u.in.sin_addr);
    case AF_INET6:
        return net::inet_address(u.in6.sin6_addr,
                                 u.in6.sin6_scope_id ? u.in6.sin6_scope_id : net::inet_address::invalid_scope);
    default:
        throw std::invalid_argument("not an IP socket address: " + to_string());
    }
}

bool socket_address::operator==(const socket_address& o) const noexcept {
    if (family() != o.family()) {
        return false;
    }
    switch (family()) {
    case AF_INET:
        return u.in.sin_port == o.u.in.sin_port && u.in.sin_addr.s_addr == o.u.in.sin_addr.s_addr;
    case AF_INET6:
        return u.in6.sin6_port == o.u.in6.sin6_port && std::memcmp(&u.in6.sin6_addr, &o.u.in6.sin6_addr, 16) == 0 &&
               u.in6.sin6_scope_id == o.u.in6.sin6_scope_id;
    case AF_UNIX:
        return addr_length == o.addr_length &&
               std::memcmp(u.un.sun_path, o.u.un.sun_path, addr_length - sun_path_offset) == 0;
    default:
        return true;
    }
}

std::string socket_address::to_string() const {
    switch (family()) {
    case AF_INET:
        return addr().to_string() + ":" + std::to_string(port());
    case AF_INET6:
        return "[" + addr().to_string() + "]:" + std::to_string(port());
    case AF_UNIX: {
        if (addr_length <= sun_path_offset) {
            return "unix:unnamed";
        }
        size_t n = addr_length - sun_path_offset;
        if (u.un.sun_path[0] == '\0') {
            return "@" + std::string(u.un.sun_path + 1, n - 1);
        }
        return std::string(u.un.sun_path, ::strnlen(u.un.sun_path, n));
    }
    default:
        return "unspecified";
    }
}

std::ostream& operator<<(std::ostream& os, const socket_address& a) {
    return os << a.to_string();
}

std::ostream& operator<<(std::ostream& os, const ipv4_addr& a) {
    return os << socket_address(a);
}

} // namespace seastar

size_t std::hash<seastar::socket_address>::operator()(const seastar::socket_address& a) const noexcept {
    // Only the meaningful bytes (padding of the union differs between equal addresses).
    switch (a.family()) {
    case AF_INET:
        return std::hash<uint64_t>()((uint64_t(a.u.in.sin_addr.s_addr) << 16) | a.u.in.sin_port);
    case AF_INET6:
        return std::hash<std::string_view>()(std::string_view(reinterpret_cast<const char*>(&a.u.in6.sin6_addr), 16)) ^
               a.u.in6.sin6_port;
    case AF_UNIX:
        return std::hash<std::string_view>()(std::string_view(a.u.un.sun_path, a.addr_length - sizeof(sa_family_t)));
    default:
        return 0;
    }
}
