// net::inet_address: an IPv4 or IPv6 host address (no port), as in Seastar.
//
// A plain value: copyable, comparable, hashable, printable ("127.0.0.1",
// "::1", "fe80::1%2" with a scope). Parsing a string that is not a numeric
// address throws std::invalid_argument; nothing else throws or allocates
// (printing allocates the string). Any thread may use it. Name lookup is
// find(), declared here as in Seastar and defined by //seastar/net:dns (link
// it to use find()): it resolves on the reactor through net::dns.
//
//     seastar::net::inet_address a("127.0.0.1");
//     assert(a.is_ipv4() && a.is_loopback());
//     seastar::net::inet_address b("::1");
//     assert(b.in_family() == seastar::net::inet_address::family::INET6);
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace seastar {

// Declared in seastar/core/future.hh and seastar/core/sstring.hh; find()
// needs only the names here.
template <typename T>
class future;
template <typename CharType, typename Size, Size MaxSize, bool NulTerminate>
class basic_sstring;
using sstring = basic_sstring<char, uint32_t, 15, true>;

} // namespace seastar

namespace seastar::net {

class inet_address {
public:
    enum class family : sa_family_t { INET = AF_INET, INET6 = AF_INET6 };

private:
    family _in_family = family::INET;
    union {
        ::in_addr _in;
        ::in6_addr _in6;
    };
    uint32_t _scope = invalid_scope;

public:
    static constexpr uint32_t invalid_scope = uint32_t(-1);

    // 0.0.0.0
    inet_address() noexcept;
    explicit inet_address(family f) noexcept; // the wildcard of family f
    inet_address(::in_addr a) noexcept;
    inet_address(const ::in6_addr& a, uint32_t scope = invalid_scope) noexcept;
    // From a host-order IPv4 address (0x7f000001 is 127.0.0.1).
    explicit inet_address(uint32_t ipv4_host_order) noexcept;
    // Numeric IPv4 or IPv6 text; throws std::invalid_argument otherwise.
    explicit inet_address(const std::string& text);
    explicit inet_address(const char* text) : inet_address(std::string(text)) {}

    family in_family() const noexcept { return _in_family; }
    bool is_ipv4() const noexcept { return _in_family == family::INET; }
    bool is_ipv6() const noexcept { return _in_family == family::INET6; }
    uint32_t scope() const noexcept { return _scope; }
    // 4 or 16.
    size_t size() const noexcept { return is_ipv4() ? sizeof(_in) : sizeof(_in6); }
    const void* data() const noexcept { return &_in; }

    // The address as the other family's type: IPv4 as ::ffff:a.b.c.d, and an
    // IPv4-mapped IPv6 address back to IPv4; throws std::invalid_argument for
    // an IPv6 address that is not IPv4-mapped.
    ::in_addr as_ipv4_address() const;
    ::in6_addr as_ipv6_address() const noexcept;
    // Host-order IPv4 value; throws std::invalid_argument for IPv6.
    uint32_t as_ipv4_host_order() const;

    bool is_loopback() const noexcept;
    bool is_addr_any() const noexcept;

    bool operator==(const inet_address& o) const noexcept;

    std::string to_string() const;

    // The primary address of `name` (of family `f` when given) from the
    // shard's default resolver (net::dns); numeric text needs no server.
    // Fails as net::dns's lookups do. Defined by //seastar/net:dns.
    static future<inet_address> find(const sstring& name);
    static future<inet_address> find(const sstring& name, family f);
};

std::ostream& operator<<(std::ostream& os, const inet_address& a);

} // namespace seastar::net

template <>
struct std::hash<seastar::net::inet_address> {
    size_t operator()(const seastar::net::inet_address& a) const noexcept;
};
