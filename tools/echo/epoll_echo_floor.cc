// epoll_echo_floor: the simplest fast echo server we could write without the
// framework - one thread, level-triggered epoll, non-blocking sockets, read
// then write back. It is the floor the framework's echo_server is measured
// against (tools/echo/bench.sh).
//
//   epoll_echo_floor [--address 127.0.0.1] [--port 10000] [--duration SECONDS]
//
// Runs until SIGINT/SIGTERM or --duration. A write that cannot finish at
// once is completed with the socket switched to blocking mode (echo
// responses are small; this keeps the loop trivial).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <string>

#include <boost/program_options.hpp>

namespace {

volatile std::sig_atomic_t stop = 0;

void on_signal(int) {
    stop = 1;
}

bool write_all(int fd, const char* p, size_t n) {
    while (n) {
        auto w = ::write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= size_t(w);
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int fl = ::fcntl(fd, F_GETFL);
            ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
            bool ok = write_all(fd, p, n);
            ::fcntl(fd, F_SETFL, fl);
            return ok;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else {
            return false;
        }
    }
    return true;
}

} // namespace

int main(int ac, char** av) {
    // The same command-line parser as the framework's programs, without the framework.
    namespace bpo = boost::program_options;
    bpo::options_description desc("epoll_echo_floor: a plain single-threaded epoll echo server");
    // clang-format off
    desc.add_options()
        ("help,h", "show this help")
        ("address", bpo::value<std::string>()->default_value("127.0.0.1"), "address to listen on")
        ("port", bpo::value<uint16_t>()->default_value(10000), "TCP port to listen on")
        ("duration", bpo::value<double>()->default_value(0), "stop after this many seconds (0: at SIGINT/SIGTERM)");
    // clang-format on
    bpo::variables_map vm;
    try {
        bpo::store(bpo::parse_command_line(ac, av, desc), vm);
        bpo::notify(vm);
    } catch (const bpo::error& e) {
        std::cerr << "epoll_echo_floor: " << e.what() << "\n";
        return 2;
    }
    if (vm.count("help")) {
        std::cout << desc << "\n";
        return 1;
    }
    std::string address = vm["address"].as<std::string>();
    unsigned port = vm["port"].as<uint16_t>();
    double duration = vm["duration"].as<double>();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(uint16_t(port));
    if (::inet_pton(AF_INET, address.c_str(), &sin.sin_addr) != 1 ||
        ::bind(ls, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0 || ::listen(ls, 1024) != 0) {
        std::perror("epoll_echo_floor: listen");
        return 1;
    }
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = ls;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    std::cout << "epoll_echo_floor: listening on " << address << ":" << port << std::endl;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                           std::chrono::duration<double>(duration));
    static char buf[65536];
    epoll_event evs[256];
    unsigned long conns = 0;
    while (!stop && (duration <= 0 || std::chrono::steady_clock::now() < deadline)) {
        int n = ::epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int c = ::accept4(ls, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) {
                        break;
                    }
                    ++conns;
                    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            auto r = ::read(fd, buf, sizeof(buf));
            if (r > 0 && write_all(fd, buf, size_t(r))) {
                continue;
            }
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
            ::close(fd);
        }
    }
    std::cout << "epoll_echo_floor: " << conns << " connections" << std::endl;
    return 0;
}
