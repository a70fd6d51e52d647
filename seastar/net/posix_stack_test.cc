// The POSIX stack over the shard's reactor backend (SEASTAR_TEST_BACKEND
// picks it; BUILD runs this suite once per backend).
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/loop.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/net/api.hh"
#include "seastar/net/posix-stack.hh"
#include "seastar/net/stack.hh"
#include "seastar/testing/seastar_test.hh"

using namespace seastar;
using namespace std::chrono_literals;

namespace {

socket_address loopback(uint16_t port = 0) {
    return socket_address(ipv4_addr("127.0.0.1", port));
}

// An order-sensitive checksum over a byte stream, whatever its chunking.
class stream_hash {
    uint64_t _h = 1469598103934665603ull;
    uint64_t _word = 0;
    unsigned _have = 0;
    uint64_t _bytes = 0;

public:
    void add(const char* p, size_t n) {
        _bytes += n;
        while (n && _have) {
            _word |= uint64_t(uint8_t(*p++)) << (8 * _have);
            --n;
            if (++_have == 8) {
                mix();
            }
        }
        while (n >= 8) {
            std::memcpy(&_word, p, 8);
            mix();
            p += 8;
            n -= 8;
        }
        while (n--) {
            _word |= uint64_t(uint8_t(*p++)) << (8 * _have++);
        }
    }
    uint64_t value() const { return (_h ^ _word ^ (uint64_t(_have) << 56)) * 0x9e3779b97f4a7c15ull ^ _bytes; }

private:
    void mix() {
        _h = (_h ^ _word) * 0x100000001b3ull;
        _h ^= _h >> 29;
        _word = 0;
        _have = 0;
    }
};

template <typename Exception = std::system_error, typename F>
future<std::string> expect_failure(F&& f, int err) {
    try {
        co_await std::forward<F>(f)();
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), err) << e.what();
        co_return std::string(e.what());
    }
    ADD_FAILURE() << "expected errno " << err;
    co_return std::string();
}

future<std::string> read_all(input_stream<char>& in) {
    std::string s;
    for (;;) {
        auto b = co_await in.read();
        if (b.empty()) {
            co_return s;
        }
        s.append(b.get(), b.size());
    }
}

} // namespace

SEASTAR_TEST_CASE(posix_stack, loopback_request_response) {
    auto ss = seastar::listen(loopback());
    auto addr = ss.local_address();
    EXPECT_NE(addr.port(), 0);
    auto server = [&ss]() -> future<> {
        auto ar = co_await ss.accept();
        auto in = ar.connection.input();
        auto out = ar.connection.output();
        auto req = co_await in.read_exactly(5);
        co_await out.write("echo:");
        co_await out.write(std::move(req));
        co_await out.flush();
        co_await out.close();
        co_await in.close();
    }();
    auto c = co_await seastar::connect(addr);
    EXPECT_EQ(c.remote_address(), addr);
    EXPECT_EQ(c.local_address().addr(), net::inet_address("127.0.0.1"));
    auto in = c.input();
    auto out = c.output();
    co_await out.write("hello");
    co_await out.flush();
    EXPECT_EQ(co_await read_all(in), "echo:hello");
    co_await out.close();
    co_await in.close();
    co_await std::move(server);
}

SEASTAR_TEST_CASE(posix_stack, transfer_100mb_with_checksum) {
    constexpr size_t total = 100u << 20;
    auto ss = seastar::listen(loopback());
    auto server = [&ss]() -> future<> {
        auto ar = co_await ss.accept();
        auto in = ar.connection.input();
        auto out = ar.connection.output();
        stream_hash h;
        for (;;) {
            auto b = co_await in.read();
            if (b.empty()) {
                break;
            }
            h.add(b.get(), b.size());
        }
        auto v = h.value();
        co_await out.write(reinterpret_cast<const char*>(&v), sizeof(v));
        co_await out.close();
        co_await in.close();
    }();
    auto c = co_await seastar::connect(ss.local_address());
    auto in = c.input();
    auto out = c.output(65536);
    // A pattern that differs per chunk, written in odd-sized pieces so
    // chunk boundaries never line up with the reader's.
    std::vector<char> pattern(1 << 20);
    uint64_t x = 88172645463325252ull;
    for (auto& ch : pattern) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ch = char(x);
    }
    stream_hash sent;
    size_t done = 0;
    unsigned i = 0;
    while (done < total) {
        size_t off = (i * 7919) % 4096;
        size_t n = std::min<size_t>(total - done, 65521 + (i % 3) * 1000);
        n = std::min(n, pattern.size() - off);
        sent.add(pattern.data() + off, n);
        if (i % 2) {
            co_await out.write(pattern.data() + off, n);
        } else {
            co_await out.write(temporary_buffer<char>(pattern.data() + off, n));
        }
        done += n;
        ++i;
    }
    co_await out.close(); // half-close: the server sees EOF
    auto reply = co_await in.read_exactly(8);
    EXPECT_EQ(reply.size(), 8u);
    uint64_t got = 0;
    std::memcpy(&got, reply.get(), std::min<size_t>(8, reply.size()));
    EXPECT_EQ(got, sent.value());
    co_await in.close();
    co_await std::move(server);
}

SEASTAR_TEST_CASE(posix_stack, half_close_keeps_the_other_direction) {
    auto ss = seastar::listen(loopback());
    auto server = [&ss]() -> future<> {
        auto ar = co_await ss.accept();
        auto in = ar.connection.input();
        auto out = ar.connection.output();
        // Read to EOF first: the client has closed its output.
        auto req = co_await read_all(in);
        co_await ar.connection.wait_input_shutdown();
        co_await out.write("got " + std::to_string(req.size()) + " bytes: " + req);
        co_await out.close();
    }();
    auto c = co_await seastar::connect(ss.local_address());
    auto in = c.input();
    auto out = c.output();
    co_await out.write("abc");
    co_await out.close(); // flushes, then shuts the write side down
    EXPECT_EQ(co_await read_all(in), "got 3 bytes: abc");
    co_await in.close();
    co_await std::move(server);
}

SEASTAR_TEST_CASE(posix_stack, shutdown_output_sends_eof_and_fails_later_writes) {
    auto ss = seastar::listen(loopback());
    auto accepted = ss.accept();
    auto c = co_await seastar::connect(ss.local_address());
    auto ar = co_await std::move(accepted);
    c.shutdown_output();
    auto sin = ar.connection.input();
    EXPECT_EQ(co_await read_all(sin), "");
    // The other direction still works.
    auto sout = ar.connection.output();
    co_await sout.write("still open");
    co_await sout.close();
    auto cin = c.input();
    EXPECT_EQ(co_await read_all(cin), "still open");
    // Our write side is shut: writing fails (at the flush or the close that sends it).
    auto cout = c.output();
    co_await cout.write("late");
    co_await cout.flush();
    auto what = co_await expect_failure([&] { return cout.close(); }, EPIPE);
    EXPECT_NE(what.find(c.remote_address().to_string()), std::string::npos) << what;
    co_await cin.close();
    co_await sin.close();
}

SEASTAR_TEST_CASE(posix_stack, shutdown_input_ends_reads) {
    auto ss = seastar::listen(loopback());
    auto accepted = ss.accept();
    auto c = co_await seastar::connect(ss.local_address());
    auto ar = co_await std::move(accepted);
    auto in = c.input();
    auto read = in.read();
    c.shutdown_input();
    auto b = co_await std::move(read);
    EXPECT_TRUE(b.empty());
    co_await c.wait_input_shutdown();
    co_await in.close();
}

SEASTAR_TEST_CASE(posix_stack, peer_reset_mid_stream) {
    auto ss = seastar::listen(loopback());
    auto accepted = ss.accept();
    // A plain client, so that nothing but its close() touches the connection.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto addr = ss.local_address();
    EXPECT_EQ(::connect(fd, &addr.as_posix_sockaddr(), addr.length()), 0); // loopback: immediate
    auto ar = co_await std::move(accepted);
    auto client_addr = ar.remote_address;
    std::string data(1000, 'x');
    EXPECT_EQ(::write(fd, data.data(), data.size()), ssize_t(data.size()));
    auto in = ar.connection.input();
    auto first = co_await in.read_exactly(1000);
    EXPECT_EQ(first.size(), 1000u);
    // Linger 0: close() sends RST instead of FIN.
    ::linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    ::close(fd);
    auto what = co_await expect_failure([&] { return in.read().discard_result(); }, ECONNRESET);
    EXPECT_NE(what.find("read from " + client_addr.to_string()), std::string::npos) << what;
    // Writes to the reset connection fail too.
    auto out = ar.connection.output();
    co_await out.write("x");
    co_await out.flush();
    auto werr = co_await expect_failure([&] { return out.close(); }, EPIPE);
    EXPECT_NE(werr.find("write to " + client_addr.to_string()), std::string::npos) << werr;
    co_await in.close();
}

SEASTAR_TEST_CASE(posix_stack, connection_refused_names_the_address) {
    // A port nobody listens on: bind one, close it.
    auto ss = seastar::listen(loopback());
    auto addr = ss.local_address();
    ss.abort_accept();
    ss = server_socket();
    auto what = co_await expect_failure([&] { return seastar::connect(addr).discard_result(); }, ECONNREFUSED);
    EXPECT_NE(what.find("connect to " + addr.to_string()), std::string::npos) << what;
}

SEASTAR_TEST_CASE(posix_stack, listen_errors_are_synchronous_and_named) {
    auto ss = seastar::listen(loopback());
    auto addr = ss.local_address();
    try {
        auto again = seastar::listen(addr);
        ADD_FAILURE() << "second listen on " << addr << " succeeded";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EADDRINUSE);
        EXPECT_NE(std::string(e.what()).find(addr.to_string()), std::string::npos) << e.what();
    }
    listen_options lo;
    lo.set_fixed_cpu(1000); // no such shard
    EXPECT_THROW(seastar::listen(loopback(), lo), std::invalid_argument);
    co_return;
}

SEASTAR_TEST_CASE(posix_stack, abort_accept_fails_pending_and_later_accepts) {
    auto ss = seastar::listen(loopback());
    auto pending = ss.accept();
    ss.abort_accept();
    co_await expect_failure([&] { return std::move(pending).discard_result(); }, ECONNABORTED);
    co_await expect_failure([&] { return ss.accept().discard_result(); }, ECONNABORTED);
}

SEASTAR_TEST_CASE(posix_stack, socket_shutdown_cancels_a_pending_connect) {
    // Backlog 0: one connection fills the accept queue, so the kernel drops
    // the next SYN and that connect stays pending until cancelled.
    listen_options lo;
    lo.listen_backlog = 0;
    auto ss = seastar::listen(loopback(), lo);
    auto first = co_await seastar::connect(ss.local_address());
    auto s = make_socket();
    auto f = s.connect(ss.local_address());
    co_await seastar::sleep(20ms);
    EXPECT_FALSE(f.available());
    s.shutdown();
    auto what = co_await expect_failure([&] { return std::move(f).discard_result(); }, ECONNABORTED);
    EXPECT_NE(what.find(ss.local_address().to_string()), std::string::npos) << what;
}

// 10,000 connections open at once on the server. The clients live in a
// forked child (plain blocking sockets), so each process needs only 10,000
// descriptors: the hard RLIMIT_NOFILE here may be 20,000 and not raisable.
SEASTAR_TEST_CASE(posix_stack, ten_thousand_concurrent_connections) {
    constexpr unsigned n = 10000;
    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < n + 256) {
        rlimit want{std::min<rlim_t>(rl.rlim_max, 4 * n), rl.rlim_max};
        setrlimit(RLIMIT_NOFILE, &want);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    EXPECT_GE(rl.rlim_cur, n + 256) << "cannot raise RLIMIT_NOFILE";
    listen_options lo;
    lo.listen_backlog = 4096;
    auto ss = seastar::listen(loopback(), lo);
    auto addr = ss.local_address();
    std::vector<int> fds(n, -1); // allocated before fork: the child does not allocate
    pid_t child = ::fork();
    if (child == 0) {
        int status = 0;
        for (unsigned i = 0; i < n && !status; ++i) {
            fds[i] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fds[i] < 0 || ::connect(fds[i], &addr.as_posix_sockaddr(), addr.length()) != 0) {
                status = 2;
            }
        }
        // Every connection is open; now one request and reply on each.
        for (unsigned i = 0; i < n && !status; ++i) {
            if (::write(fds[i], &i, sizeof(i)) != ssize_t(sizeof(i))) {
                status = 3;
            }
        }
        for (unsigned i = 0; i < n && !status; ++i) {
            unsigned v = ~0u;
            if (::read(fds[i], &v, sizeof(v)) != ssize_t(sizeof(v)) || v != i + 1) {
                status = 4;
            }
        }
        ::_exit(status);
    }
    EXPECT_GT(child, 0);
    std::vector<connected_socket> conns;
    conns.reserve(n);
    while (conns.size() < n) {
        conns.push_back((co_await ss.accept()).connection);
    }
    unsigned answered = 0;
    co_await max_concurrent_for_each(conns.begin(), conns.end(), n, [&](connected_socket& c) -> future<> {
        auto in = c.input();
        auto out = c.output();
        auto req = co_await in.read_exactly(sizeof(unsigned));
        unsigned v = 0;
        if (req.size() == sizeof(v)) {
            std::memcpy(&v, req.get(), sizeof(v));
            ++v;
            co_await out.write(reinterpret_cast<const char*>(&v), sizeof(v));
            ++answered;
        }
        co_await out.close();
        co_await in.close();
    });
    EXPECT_EQ(answered, n);
    int status = -1;
    co_await engine().run_blocking([child, &status] { ::waitpid(child, &status, 0); });
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

SEASTAR_TEST_CASE(posix_stack, output_stream_batches_small_writes) {
    auto ss = seastar::listen(loopback());
    auto accepted = ss.accept();
    auto c = co_await seastar::connect(ss.local_address());
    auto ar = co_await std::move(accepted);
    auto out = c.output(8192);
    auto before = net::internal::posix_stats().send_calls;
    // 1000 writes of 10 bytes: one full 8 KiB buffer, then the rest at flush.
    for (int i = 0; i < 1000; ++i) {
        co_await out.write("0123456789", 10);
    }
    co_await out.flush();
    co_await out.close();
    auto calls = net::internal::posix_stats().send_calls - before;
    EXPECT_GE(calls, 1u);
    EXPECT_LE(calls, 2u) << "1000 small writes took " << calls << " send calls";
    auto in = ar.connection.input();
    auto all = co_await read_all(in);
    EXPECT_EQ(all.size(), 10000u);
    co_await in.close();
}

SEASTAR_TEST_CASE(posix_stack, socket_options) {
    auto ss = seastar::listen(loopback());
    auto accepted = ss.accept();
    auto c = co_await seastar::connect(ss.local_address());
    auto ar = co_await std::move(accepted);
    c.set_nodelay(true);
    EXPECT_TRUE(c.get_nodelay());
    c.set_nodelay(false);
    EXPECT_FALSE(c.get_nodelay());
    c.set_keepalive(true);
    EXPECT_TRUE(c.get_keepalive());
    c.set_keepalive_parameters(net::tcp_keepalive_params{std::chrono::seconds(30), std::chrono::seconds(5), 4});
    auto p = std::get<net::tcp_keepalive_params>(c.get_keepalive_parameters());
    EXPECT_EQ(p.idle, std::chrono::seconds(30));
    EXPECT_EQ(p.interval, std::chrono::seconds(5));
    EXPECT_EQ(p.count, 4u);
    EXPECT_THROW(c.set_keepalive_parameters(net::sctp_keepalive_params{std::chrono::seconds(1), 1}),
                 std::invalid_argument);
    int rcvbuf = 1 << 16;
    c.set_sockopt(SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    int got = 0;
    EXPECT_EQ(c.get_sockopt(SOL_SOCKET, SO_RCVBUF, &got, sizeof(got)), int(sizeof(got)));
    EXPECT_GE(got, rcvbuf); // the kernel doubles it
    int bad = 0;
    EXPECT_THROW(c.set_sockopt(SOL_SOCKET, 12345, &bad, sizeof(bad)), std::system_error);
    EXPECT_EQ(ar.connection.local_address(), c.remote_address());
    EXPECT_EQ(ar.connection.remote_address(), c.local_address());
    co_return;
}

SEASTAR_TEST_CASE(posix_stack, udp_round_trips) {
    auto a = seastar::make_udp_channel(loopback());
    auto b = seastar::make_udp_channel(loopback());
    EXPECT_NE(a.local_address().port(), 0);
    for (int i = 0; i < 20; ++i) {
        auto msg = "ping " + std::to_string(i);
        co_await a.send(b.local_address(), msg.c_str());
        auto d = co_await b.receive();
        EXPECT_EQ(d.get_src(), a.local_address());
        EXPECT_EQ(d.get_dst_port(), b.local_address().port());
        auto& p = d.get_data();
        p.linearize();
        EXPECT_EQ(std::string(p.fragments()[0].base, p.len()), msg);
        // A reply made of several fragments arrives as one datagram.
        net::packet reply(temporary_buffer<char>::copy_of("pong "));
        reply.append(net::packet(temporary_buffer<char>::copy_of(std::to_string(i))));
        co_await b.send(d.get_src(), std::move(reply));
        auto r = co_await a.receive();
        auto& rp = r.get_data();
        rp.linearize();
        EXPECT_EQ(std::string(rp.fragments()[0].base, rp.len()), "pong " + std::to_string(i));
    }
    // close() fails a pending receive; the channel reports closed.
    auto pending = a.receive();
    a.close();
    EXPECT_TRUE(a.is_closed());
    co_await expect_failure([&] { return std::move(pending).discard_result(); }, ECANCELED);
    b.shutdown_output();
    co_await expect_failure([&] { return b.send(loopback(1), "x"); }, EBADF);
    b.close();
}

SEASTAR_TEST_CASE(posix_stack, udp_shutdown_input_wakes_receive) {
    auto a = seastar::make_udp_channel(loopback());
    auto pending = a.receive();
    a.shutdown_input();
    co_await expect_failure([&] { return std::move(pending).discard_result(); }, EBADF);
    a.close();
}

SEASTAR_TEST_CASE(posix_stack, unix_domain_sockets) {
    // Bazel's TEST_TMPDIR is too long for sun_path: a directory of our own in /tmp.
    char dir[] = "/tmp/seastar-net-XXXXXX";
    EXPECT_NE(::mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/s.sock";
    std::vector<socket_address> addrs{
        socket_address(unix_domain_addr(path)),
        socket_address(unix_domain_addr(std::string("\0seastar-test-", 14) + std::to_string(::getpid())))};
    for (auto& addr : addrs) {
        auto ss = seastar::listen(addr);
        EXPECT_EQ(ss.local_address(), addr);
        auto accepted = ss.accept();
        auto c = co_await seastar::connect(addr);
        auto ar = co_await std::move(accepted);
        EXPECT_TRUE(c.remote_address().is_af_unix());
        EXPECT_EQ(c.remote_address(), addr);
        EXPECT_TRUE(ar.remote_address.is_af_unix());
        // No Nagle, no keepalive on unix sockets: accepted and ignored.
        c.set_nodelay(true);
        EXPECT_FALSE(c.get_nodelay());
        auto out = c.output();
        co_await out.write("over unix");
        co_await out.close();
        auto in = ar.connection.input();
        EXPECT_EQ(co_await read_all(in), "over unix");
        co_await in.close();
    }
    ::unlink(path.c_str());
    ::rmdir(dir);
    auto what = co_await expect_failure([&] { return seastar::connect(addrs[0]).discard_result(); }, ENOENT);
    EXPECT_NE(what.find(path), std::string::npos) << what;
}

SEASTAR_TEST_CASE(posix_stack, every_algorithm_serves_one_shard_locally) {
    using lba = server_socket::load_balancing_algorithm;
    for (auto a : {lba::connection_distribution, lba::port, lba::fixed}) {
        listen_options lo;
        lo.lba = a;
        auto ss = seastar::listen(loopback(), lo);
        auto before = net::internal::posix_stats().accepted;
        for (int i = 0; i < 5; ++i) {
            auto accepted = ss.accept();
            auto c = co_await seastar::connect(ss.local_address());
            auto ar = co_await std::move(accepted);
            EXPECT_EQ(ar.remote_address, c.local_address());
        }
        EXPECT_EQ(net::internal::posix_stats().accepted - before, 5u);
    }
}

SEASTAR_TEST_CASE(posix_stack, reuse_port_listeners_share_a_port) {
    listen_options lo;
    lo.reuse_port = true;
    auto s1 = seastar::listen(loopback(), lo);
    auto s2 = seastar::listen(s1.local_address(), lo);
    EXPECT_EQ(s1.local_address(), s2.local_address());
    // The kernel gives each connection to one of them.
    auto a1 = s1.accept();
    auto a2 = s2.accept();
    std::vector<connected_socket> clients;
    for (int i = 0; i < 16 && !(a1.available() && a2.available()); ++i) {
        clients.push_back(co_await seastar::connect(s1.local_address()));
        co_await seastar::sleep(1ms);
    }
    EXPECT_TRUE(a1.available() || a2.available());
    s1.abort_accept();
    s2.abort_accept();
    for (auto* f : {&a1, &a2}) {
        try {
            co_await std::move(*f);
        } catch (...) {
        }
    }
}

TEST(posix_stack, wildcard_connect_ports_match_the_shard) {
    for (auto [count, shard] : {std::pair(4u, 3u), std::pair(7u, 5u), std::pair(2u, 0u)}) {
        for (int i = 0; i < 10; ++i) {
            int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            ASSERT_GE(fd, 0);
            auto port = net::internal::bind_to_shard_port(fd, loopback(0), count, shard);
            ASSERT_NE(port, 0);
            EXPECT_EQ(port % count, shard);
            sockaddr_in sin{};
            socklen_t len = sizeof(sin);
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
            EXPECT_EQ(ntohs(sin.sin_port), port);
            ::close(fd);
        }
    }
    // One shard: the kernel chooses (nothing bound).
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(net::internal::bind_to_shard_port(fd, loopback(0), 1, 0), 0);
    ::close(fd);
}

SEASTAR_TEST_CASE(posix_stack, ipv6_loopback) {
    socket_address addr(net::inet_address("::1"), 0);
    server_socket ss;
    try {
        ss = seastar::listen(addr);
    } catch (const std::system_error& e) {
        // A machine without IPv6 on loopback: nothing to test here.
        EXPECT_TRUE(e.code().value() == EADDRNOTAVAIL || e.code().value() == EAFNOSUPPORT) << e.what();
        co_return;
    }
    EXPECT_EQ(ss.local_address().family(), AF_INET6);
    auto accepted = ss.accept();
    auto c = co_await seastar::connect(ss.local_address());
    auto ar = co_await std::move(accepted);
    EXPECT_EQ(c.local_address().family(), AF_INET6);
    EXPECT_EQ(ar.remote_address, c.local_address());
    EXPECT_EQ(c.remote_address().to_string(), "[::1]:" + std::to_string(ss.local_address().port()));
    auto out = c.output();
    co_await out.write("v6");
    co_await out.close();
    auto in = ar.connection.input();
    EXPECT_EQ(co_await read_all(in), "v6");
    co_await in.close();
}
