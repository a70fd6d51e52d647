// raw_socket_address: a minimal sockaddr holder for pollable_fd's accept and
// connect (the network layer brings the full socket_address).
//
// Contract: a plain value; nothing allocates; ipv4() throws
// std::invalid_argument for an address that does not parse.
//
//     auto a = seastar::internal::raw_socket_address::ipv4("127.0.0.1", 0);
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace seastar::internal {

struct raw_socket_address {
    union {
        ::sockaddr sa;
        ::sockaddr_in in;
        ::sockaddr_in6 in6;
        ::sockaddr_un un;
        ::sockaddr_storage storage;
    } u;
    ::socklen_t len = sizeof(u.storage);

    raw_socket_address() noexcept { std::memset(&u, 0, sizeof(u)); }

    static raw_socket_address ipv4(const std::string& ip, uint16_t port) {
        raw_socket_address a;
        a.u.in.sin_family = AF_INET;
        a.u.in.sin_port = htons(port);
        if (::inet_pton(AF_INET, ip.c_str(), &a.u.in.sin_addr) != 1) {
            throw std::invalid_argument("not an IPv4 address: " + ip);
        }
        a.len = sizeof(a.u.in);
        return a;
    }

    int family() const noexcept { return u.sa.sa_family; }
    uint16_t port() const noexcept {
        return family() == AF_INET ? ntohs(u.in.sin_port) : family() == AF_INET6 ? ntohs(u.in6.sin6_port) : 0;
    }
};

} // namespace seastar::internal
