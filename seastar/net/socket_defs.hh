// socket_address and friends: the address of a socket endpoint (IPv4, IPv6 or
// a unix-domain path), the transport enum and the ipv4_addr / ipv6_addr /
// unix_domain_addr helpers, with Seastar's names.
//
// Contract: plain values, copyable and comparable, usable on any thread.
// Constructors from text throw std::invalid_argument for an address that does
// not parse (and unix_domain_addr for a path longer than sun_path); nothing
// else throws. Printing allocates. A unix path that starts with '\0' is in
// the abstract namespace (printed with a leading '@').
//
//     seastar::socket_address a(seastar::ipv4_addr("127.0.0.1", 8080));
//     seastar::socket_address b(seastar::net::inet_address("::1"), 8080);
//     seastar::socket_address u(seastar::unix_domain_addr("/tmp/app.sock"));
//     fmt::print("{} {} {}\n", a, b, u);   // 127.0.0.1:8080 [::1]:8080 /tmp/app.sock
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include <fmt/format.h>

#include "seastar/net/inet_address.hh"

namespace seastar {

enum class transport { TCP = IPPROTO_TCP, SCTP = IPPROTO_SCTP };

struct ipv4_addr {
    uint32_t ip = 0; // host order
    uint16_t port = 0;

    ipv4_addr() noexcept = default;
    ipv4_addr(uint32_t ip, uint16_t port) noexcept : ip(ip), port(port) {}
    explicit ipv4_addr(uint16_t port) noexcept : port(port) {}
    // "a.b.c.d:port" or "a.b.c.d" (port 0).
    explicit ipv4_addr(const std::string& addr);
    ipv4_addr(const std::string& addr, uint16_t port);
    ipv4_addr(const net::inet_address& a, uint16_t port);
    explicit ipv4_addr(const ::sockaddr_in& sin) noexcept;

    bool is_ip_unspecified() const noexcept { return ip == 0; }
    bool is_port_unspecified() const noexcept { return port == 0; }
    bool operator==(const ipv4_addr&) const noexcept = default;
};

struct ipv6_addr {
    using ipv6_bytes = std::array<uint8_t, 16>;
    ipv6_bytes ip{};
    uint16_t port = 0;

    ipv6_addr() noexcept = default;
    ipv6_addr(const ipv6_bytes& ip, uint16_t port) noexcept : ip(ip), port(port) {}
    ipv6_addr(const std::string& addr, uint16_t port);
    ipv6_addr(const net::inet_address& a, uint16_t port) noexcept;
    explicit ipv6_addr(const ::sockaddr_in6& sin6) noexcept;

    bool is_ip_unspecified() const noexcept;
    bool is_port_unspecified() const noexcept { return port == 0; }
    bool operator==(const ipv6_addr&) const noexcept = default;
};

struct unix_domain_addr {
    std::string name;
    // Bytes of `name` that make up the path (an abstract name may hold '\0's).
    int path_count = 0;

    explicit unix_domain_addr(const std::string& fn);
    explicit unix_domain_addr(const char* fn) : unix_domain_addr(std::string(fn)) {}
    unix_domain_addr(const char* path, size_t length);

    int path_length() const noexcept { return path_count; }
    const char* path_bytes() const noexcept { return name.data(); }
    bool operator==(const unix_domain_addr& o) const noexcept { return name == o.name; }
};

class socket_address {
public:
    union {
        ::sockaddr_storage sas;
        ::sockaddr sa;
        ::sockaddr_in in;
        ::sockaddr_in6 in6;
        ::sockaddr_un un;
    } u;
    ::socklen_t addr_length;

    // An unspecified address (family AF_UNSPEC): "let the stack choose".
    socket_address() noexcept;
    socket_address(const ::sockaddr_in& sa) noexcept;
    socket_address(const ::sockaddr_in6& sa) noexcept;
    // From a raw sockaddr of `len` bytes (what accept() and recvfrom() return);
    // an unknown family or a too-long length gives an unspecified address.
    socket_address(const ::sockaddr* sa, ::socklen_t len) noexcept;
    socket_address(const ipv4_addr& a) noexcept;
    socket_address(const ipv6_addr& a, uint32_t scope = net::inet_address::invalid_scope) noexcept;
    socket_address(const unix_domain_addr& a) noexcept;
    socket_address(const net::inet_address& a, uint16_t port = 0) noexcept;
    // The wildcard address of port `port` (0.0.0.0:port).
    explicit socket_address(uint16_t port) noexcept;

    sa_family_t family() const noexcept { return u.sa.sa_family; }
    ::socklen_t length() const noexcept { return addr_length; }
    bool is_unspecified() const noexcept { return family() == AF_UNSPEC; }
    // An IP address that is the wildcard (any port).
    bool is_wildcard() const noexcept;
    bool is_af_unix() const noexcept { return family() == AF_UNIX; }
    // The port of an IPv4/IPv6 address; 0 for others.
    uint16_t port() const noexcept;
    void set_port(uint16_t port) noexcept;
    // The host address of an IPv4/IPv6 address; throws std::invalid_argument for others.
    net::inet_address addr() const;

    ::sockaddr& as_posix_sockaddr() noexcept { return u.sa; }
    ::sockaddr_in& as_posix_sockaddr_in() noexcept { return u.in; }
    ::sockaddr_in6& as_posix_sockaddr_in6() noexcept { return u.in6; }
    const ::sockaddr& as_posix_sockaddr() const noexcept { return u.sa; }
    const ::sockaddr_in& as_posix_sockaddr_in() const noexcept { return u.in; }
    const ::sockaddr_in6& as_posix_sockaddr_in6() const noexcept { return u.in6; }

    bool operator==(const socket_address& o) const noexcept;

    // "1.2.3.4:80", "[::1]:80", "/path", "@abstract", "unspecified", "unix:unnamed".
    std::string to_string() const;
};

std::ostream& operator<<(std::ostream& os, const socket_address& a);
std::ostream& operator<<(std::ostream& os, const ipv4_addr& a);

namespace net {
// Seastar also spells it net::socket_address in places.
using seastar::socket_address;
} // namespace net

} // namespace seastar

template <>
struct std::hash<seastar::socket_address> {
    size_t operator()(const seastar::socket_address& a) const noexcept;
};

template <>
struct fmt::formatter<seastar::socket_address> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const seastar::socket_address& a, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(a.to_string(), ctx);
    }
};

template <>
struct fmt::formatter<seastar::net::inet_address> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const seastar::net::inet_address& a, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(a.to_string(), ctx);
    }
};
