#include "seastar/net/socket_defs.hh"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "seastar/net/inet_address.hh"

namespace seastar {
namespace {

TEST(inet_address, parses_ipv4_and_ipv6) {
    net::inet_address a("127.0.0.1");
    EXPECT_TRUE(a.is_ipv4());
    EXPECT_TRUE(a.is_loopback());
    EXPECT_EQ(a.as_ipv4_host_order(), 0x7f000001u);
    EXPECT_EQ(a.to_string(), "127.0.0.1");
    net::inet_address b("::1");
    EXPECT_TRUE(b.is_ipv6());
    EXPECT_TRUE(b.is_loopback());
    EXPECT_EQ(b.to_string(), "::1");
    EXPECT_EQ(net::inet_address("fe80::1%3").scope(), 3u);
    EXPECT_EQ(net::inet_address("fe80::1%3").to_string(), "fe80::1%3");
    EXPECT_TRUE(net::inet_address().is_addr_any());
    EXPECT_TRUE(net::inet_address(net::inet_address::family::INET6).is_addr_any());
}

TEST(inet_address, rejects_garbage) {
    EXPECT_THROW(net::inet_address("localhost"), std::invalid_argument);
    EXPECT_THROW(net::inet_address("1.2.3.256"), std::invalid_argument);
    EXPECT_THROW(net::inet_address("::1%x"), std::invalid_argument);
    EXPECT_THROW(net::inet_address(""), std::invalid_argument);
    EXPECT_THROW(net::inet_address("::1").as_ipv4_host_order(), std::invalid_argument);
}

TEST(inet_address, mapped_conversions_and_equality) {
    net::inet_address v4("10.1.2.3");
    net::inet_address mapped(v4.as_ipv6_address());
    EXPECT_EQ(mapped.to_string(), "::ffff:10.1.2.3");
    EXPECT_EQ(net::inet_address(mapped.as_ipv4_address()), v4);
    EXPECT_NE(mapped, v4);
    EXPECT_THROW(net::inet_address("2001:db8::1").as_ipv4_address(), std::invalid_argument);
    std::unordered_set<net::inet_address> s{v4, net::inet_address("10.1.2.3"), net::inet_address("::1")};
    EXPECT_EQ(s.size(), 2u);
}

TEST(socket_address, ipv4) {
    socket_address a(ipv4_addr("127.0.0.1", 8080));
    EXPECT_EQ(a.family(), AF_INET);
    EXPECT_EQ(a.port(), 8080);
    EXPECT_EQ(a.addr(), net::inet_address("127.0.0.1"));
    EXPECT_EQ(a.to_string(), "127.0.0.1:8080");
    EXPECT_EQ(fmt::format("{}", a), "127.0.0.1:8080");
    EXPECT_EQ(a.length(), sizeof(sockaddr_in));
    EXPECT_FALSE(a.is_wildcard());
    EXPECT_EQ(socket_address(ipv4_addr("1.2.3.4:99")), socket_address(net::inet_address("1.2.3.4"), 99));
    EXPECT_TRUE(socket_address(uint16_t(5)).is_wildcard());
    a.set_port(1);
    EXPECT_EQ(a.port(), 1);
}

TEST(socket_address, ipv6_and_scope) {
    socket_address a(net::inet_address("::1"), 443);
    EXPECT_EQ(a.family(), AF_INET6);
    EXPECT_EQ(a.to_string(), "[::1]:443");
    EXPECT_EQ(a.addr(), net::inet_address("::1"));
    socket_address s(net::inet_address("fe80::1%2"), 1);
    EXPECT_EQ(s.as_posix_sockaddr_in6().sin6_scope_id, 2u);
    EXPECT_EQ(s.addr().scope(), 2u);
    EXPECT_NE(s, socket_address(net::inet_address("fe80::1"), 1));
    EXPECT_THROW(ipv6_addr("1.2.3.4", 1), std::invalid_argument);
}

TEST(socket_address, unix_paths) {
    socket_address u(unix_domain_addr("/tmp/x.sock"));
    EXPECT_TRUE(u.is_af_unix());
    EXPECT_EQ(u.to_string(), "/tmp/x.sock");
    EXPECT_EQ(u.port(), 0);
    EXPECT_THROW(u.addr(), std::invalid_argument);
    socket_address abstract(unix_domain_addr(std::string("\0name", 5)));
    EXPECT_EQ(abstract.to_string(), "@name");
    EXPECT_NE(u, abstract);
    EXPECT_EQ(u, socket_address(unix_domain_addr("/tmp/x.sock")));
    EXPECT_THROW(unix_domain_addr(std::string(200, 'a')), std::invalid_argument);
    EXPECT_NO_THROW(unix_domain_addr(std::string(107, 'a')));
    EXPECT_THROW(unix_domain_addr(std::string(108, 'a')), std::invalid_argument);
}

TEST(socket_address, unspecified_and_raw) {
    socket_address none;
    EXPECT_TRUE(none.is_unspecified());
    EXPECT_EQ(none.to_string(), "unspecified");
    sockaddr_storage ss{};
    ss.ss_family = AF_PACKET;
    EXPECT_TRUE(socket_address(reinterpret_cast<sockaddr*>(&ss), sizeof(ss)).is_unspecified());
    EXPECT_TRUE(socket_address(nullptr, 0).is_unspecified());
    socket_address a(ipv4_addr("127.0.0.2", 7));
    socket_address b(&a.as_posix_sockaddr(), a.length());
    EXPECT_EQ(a, b);
    EXPECT_EQ(std::hash<socket_address>()(a), std::hash<socket_address>()(b));
    std::ostringstream os;
    os << a;
    EXPECT_EQ(os.str(), "127.0.0.2:7");
}

TEST(ipv4_addr, rejects_bad_text) {
    EXPECT_THROW(ipv4_addr("1.2.3.4:70000"), std::invalid_argument);
    EXPECT_THROW(ipv4_addr("1.2.3.4:"), std::invalid_argument);
    EXPECT_THROW(ipv4_addr("::1", 1), std::invalid_argument);
    EXPECT_EQ(ipv4_addr("1.2.3.4").port, 0);
}

} // namespace
} // namespace seastar
