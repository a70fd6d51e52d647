// Conformance suite: the same behaviour from every reactor backend.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/internal/reactor_backend_aio.hh"
#include "seastar/core/internal/reactor_backend_epoll.hh"
#include "seastar/core/internal/reactor_backend_uring.hh"
#include "seastar/core/internal/syscall_pool.hh"
#include "seastar/core/pollable_fd.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/testing/seastar_test.hh"

using namespace std::chrono_literals;

namespace seastar {
namespace {

using internal::raw_socket_address;

// The backend is the one the target names (SEASTAR_TEST_BACKEND: one target per
// backend, from seastar_backend_tests); the harness skips a backend the machine lacks.
class backend_conformance : public ::testing::Test {
protected:
    void run(std::function<future<>()> body) {
        testing::run_in_reactor([body = std::move(body)] {
            EXPECT_EQ(engine().backend_name(), engine().config().backend);
            EXPECT_EQ(engine().backend_name(), testing::requested_backend());
            return body();
        });
    }
};

std::pair<pollable_fd, pollable_fd> make_pipe() {
    int fds[2];
    throw_system_error_on(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), "pipe2");
    return {pollable_fd(file_desc(fds[0])), pollable_fd(file_desc(fds[1]))};
}

std::pair<pollable_fd, pollable_fd> make_socketpair(int type = SOCK_STREAM) {
    int fds[2];
    throw_system_error_on(::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), "socketpair");
    return {pollable_fd(file_desc(fds[0])), pollable_fd(file_desc(fds[1]))};
}

TEST_F(backend_conformance, pipe_becomes_readable_when_written) {
    run([]() -> future<> {
        auto [r, w] = make_pipe();
        auto readable = r.readable();
        co_await sleep(1ms);
        EXPECT_FALSE(readable.available());
        co_await w.write_all("abc", 3);
        co_await std::move(readable);
        char buf[8];
        EXPECT_EQ(co_await r.read_some(buf, sizeof(buf)), 3u);
        EXPECT_EQ(std::string(buf, 3), "abc");
    });
}

TEST_F(backend_conformance, read_some_waits_for_data_and_reports_eof) {
    run([]() -> future<> {
        auto [a, b] = make_socketpair();
        char buf[16];
        auto f = a.read_some(buf, sizeof(buf));
        EXPECT_FALSE(f.available());
        co_await b.write_all("hello", 5);
        EXPECT_EQ(co_await std::move(f), 5u);
        EXPECT_EQ(std::string(buf, 5), "hello");
        b.close();
        EXPECT_EQ(co_await a.read_some(buf, sizeof(buf)), 0u);
    });
}

TEST_F(backend_conformance, a_closed_fd_fails_reads_and_writes_with_ebadf) {
    run([]() -> future<> {
        auto [a, b] = make_socketpair();
        a.close();
        char buf[4];
        auto code = [](future<size_t> f) -> future<int> {
            try {
                co_await std::move(f);
            } catch (const std::system_error& e) {
                co_return e.code().value();
            }
            co_return 0;
        };
        EXPECT_EQ(co_await code(a.read_some(buf, sizeof(buf))), EBADF);
        EXPECT_EQ(co_await code(a.write_some("x", 1)), EBADF);
        int readable_err = 0;
        try {
            co_await a.readable();
        } catch (const std::system_error& e) {
            readable_err = e.code().value();
        }
        EXPECT_EQ(readable_err, EBADF);
    });
}

TEST_F(backend_conformance, writeable_again_after_the_peer_drains) {
    run([]() -> future<> {
        auto [a, b] = make_socketpair();
        std::string chunk(65536, 'x');
        size_t written = 0;
        // Fill the socket buffer until a write would block.
        for (int i = 0; i < 10000; ++i) {
            ssize_t n = ::write(a.get_fd(), chunk.data(), chunk.size());
            if (n < 0) {
                EXPECT_EQ(errno, EAGAIN);
                break;
            }
            written += size_t(n);
        }
        auto w = a.writeable();
        co_await sleep(1ms);
        EXPECT_FALSE(w.available());
        std::string sink(written, '\0');
        size_t got = 0;
        while (got < written) {
            got += co_await b.read_some(sink.data() + got, written - got);
        }
        co_await std::move(w);
        EXPECT_GT(co_await a.write_some("y", 1), 0u);
    });
}

TEST_F(backend_conformance, accept_and_connect_on_loopback) {
    run([]() -> future<> {
        auto listener = pollable_fd::listen(raw_socket_address::ipv4("127.0.0.1", 0));
        auto addr = listener.local_address();
        EXPECT_NE(addr.port(), 0);
        auto accepted = listener.accept();
        auto client = pollable_fd::socket(AF_INET, SOCK_STREAM);
        co_await client.connect(addr);
        auto [server, peer] = co_await std::move(accepted);
        EXPECT_EQ(peer.family(), AF_INET);
        co_await client.write_all("ping", 4);
        char buf[4];
        size_t got = 0;
        while (got < 4) {
            got += co_await server.read_some(buf + got, 4 - got);
        }
        EXPECT_EQ(std::string(buf, 4), "ping");
        co_await server.write_all("pong", 4);
        got = 0;
        while (got < 4) {
            got += co_await client.read_some(buf + got, 4 - got);
        }
        EXPECT_EQ(std::string(buf, 4), "pong");
    });
}

TEST_F(backend_conformance, connect_to_closed_port_fails) {
    run([]() -> future<> {
        uint16_t port;
        {
            auto l = pollable_fd::listen(raw_socket_address::ipv4("127.0.0.1", 0));
            port = l.local_address().port();
        }
        auto client = pollable_fd::socket(AF_INET, SOCK_STREAM);
        int err = 0;
        try {
            co_await client.connect(raw_socket_address::ipv4("127.0.0.1", port));
        } catch (const std::system_error& e) {
            err = e.code().value();
        }
        EXPECT_EQ(err, ECONNREFUSED);
    });
}

TEST_F(backend_conformance, sendmsg_and_recvmsg) {
    run([]() -> future<> {
        auto [a, b] = make_socketpair(SOCK_DGRAM);
        char part1[] = "abc", part2[] = "defg";
        ::iovec out[2] = {{part1, 3}, {part2, 4}};
        ::msghdr m{};
        m.msg_iov = out;
        m.msg_iovlen = 2;
        char in_buf[16];
        ::iovec in{in_buf, sizeof(in_buf)};
        ::msghdr r{};
        r.msg_iov = &in;
        r.msg_iovlen = 1;
        auto rf = b.recvmsg(&r);
        EXPECT_EQ(co_await a.sendmsg(&m), 7u);
        EXPECT_EQ(co_await std::move(rf), 7u);
        EXPECT_EQ(std::string(in_buf, 7), "abcdefg");
    });
}

TEST_F(backend_conformance, close_fails_pending_waiters) {
    run([]() -> future<> {
        auto [a, b] = make_socketpair();
        char buf[4];
        auto f = a.read_some(buf, sizeof(buf));
        EXPECT_THROW((void)a.readable().get(), std::logic_error); // one reader at a time
        a.close();
        int err = 0;
        try {
            co_await std::move(f);
        } catch (const std::system_error& e) {
            err = e.code().value();
        }
        EXPECT_EQ(err, ECANCELED);
        co_await sleep(1ms); // late events of the closed fd are ignored
    });
}

// ---- socket I/O while an operation is pending (on io_uring, the kernel
// runs these reads and writes itself; every backend must behave alike) ----

// A connected TCP pair on loopback: {client, server}.
future<std::pair<pollable_fd, pollable_fd>> tcp_pair() {
    auto listener = pollable_fd::listen(raw_socket_address::ipv4("127.0.0.1", 0));
    auto accepted = listener.accept();
    auto client = pollable_fd::socket(AF_INET, SOCK_STREAM);
    co_await client.connect(listener.local_address());
    auto [server, peer] = co_await std::move(accepted);
    co_return std::pair<pollable_fd, pollable_fd>(std::move(client), std::move(server));
}

// The errno a failed operation carries, or 0 when it succeeded.
future<int> error_of(future<size_t> f) {
    try {
        co_await std::move(f);
    } catch (const std::system_error& e) {
        co_return e.code().value();
    }
    co_return 0;
}

TEST_F(backend_conformance, a_peer_closing_during_a_pending_read_gives_end_of_stream) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        char buf[64];
        // Drain first so that the read below is truly pending.
        co_await client.write_all("abc", 3);
        size_t got = 0;
        while (got < 3) {
            got += co_await server.read_some(buf + got, sizeof(buf) - got);
        }
        auto f = server.read_some(buf, sizeof(buf));
        co_await sleep(1ms);
        EXPECT_FALSE(f.available());
        client.close();
        EXPECT_EQ(co_await std::move(f), 0u);
        EXPECT_EQ(co_await server.read_some(buf, sizeof(buf)), 0u); // and stays at end
    });
}

TEST_F(backend_conformance, a_reset_peer_fails_a_pending_read_with_econnreset) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        char buf[64];
        auto f = server.read_some(buf, sizeof(buf));
        co_await sleep(1ms);
        EXPECT_FALSE(f.available());
        ::linger lg{1, 0}; // close with RST
        throw_system_error_on(::setsockopt(client.get_fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), "setsockopt");
        client.close();
        EXPECT_EQ(co_await error_of(std::move(f)), ECONNRESET);
    });
}

TEST_F(backend_conformance, writing_to_a_reset_peer_fails_with_the_same_error_everywhere) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        ::linger lg{1, 0};
        throw_system_error_on(::setsockopt(client.get_fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), "setsockopt");
        client.close();
        co_await sleep(1ms); // let the RST arrive
        std::string chunk(4096, 'x');
        int err = 0;
        for (int i = 0; i < 100 && err == 0; ++i) {
            err = co_await error_of(server.write_some(chunk.data(), chunk.size()));
        }
        EXPECT_TRUE(err == ECONNRESET || err == EPIPE) << err;
    });
}

TEST_F(backend_conformance, shutting_down_input_completes_a_pending_read) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        char buf[64];
        auto f = server.read_some(buf, sizeof(buf));
        co_await sleep(1ms);
        EXPECT_FALSE(f.available());
        server.shutdown(SHUT_RD);
        EXPECT_EQ(co_await std::move(f), 0u);
    });
}

TEST_F(backend_conformance, close_cancels_a_pending_write) {
    run([]() -> future<> {
        auto [a, b] = make_socketpair();
        std::string chunk(65536, 'x');
        // Fill the socket buffer, then leave a write pending.
        for (int i = 0; i < 10000; ++i) {
            if (::write(a.get_fd(), chunk.data(), chunk.size()) < 0) {
                EXPECT_EQ(errno, EAGAIN);
                break;
            }
        }
        auto f = a.write_some(chunk.data(), chunk.size());
        co_await sleep(1ms);
        EXPECT_FALSE(f.available());
        EXPECT_THROW((void)a.writeable().get(), std::logic_error); // one writer at a time
        a.close();
        EXPECT_EQ(co_await error_of(std::move(f)), ECANCELED);
        char buf[16];
        EXPECT_EQ(co_await b.read_some(buf, sizeof(buf)), sizeof(buf)); // the buffered bytes remain
    });
}

TEST_F(backend_conformance, a_large_write_completes_fully_and_in_order) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        constexpr size_t size = 8 << 20; // far more than the socket buffers hold
        std::string out(size, '\0');
        for (size_t i = 0; i < size; ++i) {
            out[i] = char(i * 7 + (i >> 13));
        }
        std::string in(size, '\0');
        auto reader = [&]() -> future<> {
            size_t got = 0;
            for (int i = 0; i < 1000000 && got < size; ++i) {
                auto n = co_await server.read_some(in.data() + got, std::min<size_t>(size - got, 100000));
                EXPECT_GT(n, 0u);
                if (n == 0) {
                    break;
                }
                got += n;
            }
            EXPECT_EQ(got, size);
        };
        auto r = reader();
        // One write_some may move only part; write_all repeats until done.
        co_await client.write_all(out.data(), out.size());
        co_await std::move(r);
        EXPECT_TRUE(in == out);
    });
}

// Reads one byte string of `size` bytes from `fd` in reads of at most `chunk`.
future<std::string> read_exactly(pollable_fd& fd, size_t size, size_t chunk) {
    std::string in(size, '\0');
    size_t got = 0;
    while (got < size) {
        auto n = co_await fd.read_some(in.data() + got, std::min(chunk, size - got));
        if (n == 0) {
            break;
        }
        got += n;
    }
    in.resize(got);
    co_return in;
}

// A read that finds `server` empty and waits, then `first` arriving for it:
// afterwards the server side has read once and waits for nothing (on io_uring,
// its multishot receive is armed).
future<> first_read_waits(pollable_fd& client, pollable_fd& server, std::string_view first) {
    std::string buf(first.size() + 16, '\0');
    auto f = server.read_some(buf.data(), buf.size());
    co_await client.write_all(first.data(), first.size());
    EXPECT_EQ(buf.substr(0, co_await std::move(f)), first);
}

// first_read_waits(), then `more` arriving while no read is pending (on
// io_uring, held in the backend's receive buffers until a read takes it).
future<> more_arrives_unread(pollable_fd& client, pollable_fd& server, std::string_view first, std::string_view more) {
    co_await first_read_waits(client, server, first);
    co_await client.write_all(more.data(), more.size());
    co_await sleep(1ms);
}

// Data that arrives while no read is pending (on io_uring, received into the
// backend's own buffers) reaches later reads whole and in order, also reads
// smaller than what arrived at once.
TEST_F(backend_conformance, what_arrives_between_reads_is_read_in_order_by_small_reads) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        char buf[8];
        auto first = server.read_some(buf, sizeof(buf)); // the socket is empty: waits
        std::string sent;
        for (int i = 0; i < 40; ++i) {
            auto msg = fmt::format("<message {} {}>", i, std::string(size_t(i * 37 % 300), char('a' + i % 26)));
            co_await client.write_all(msg.data(), msg.size());
            sent += msg;
            if (i % 8 == 0) {
                co_await sleep(1ms); // lets several messages arrive before the next read
            }
        }
        auto n = co_await std::move(first);
        EXPECT_GT(n, 0u);
        if (n == 0) {
            co_return;
        }
        auto rest = co_await read_exactly(server, sent.size() - n, 7);
        EXPECT_EQ(std::string(buf, n) + rest, sent);
    });
}

TEST_F(backend_conformance, data_that_arrived_before_the_end_of_stream_is_read_before_it) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        char buf[16];
        co_await first_read_waits(client, server, "first");
        co_await client.write_all("second-and-more", 15);
        client.close();
        co_await sleep(2ms); // both the data and the end arrive before the next read
        EXPECT_EQ(co_await read_exactly(server, 15, 4), "second-and-more");
        EXPECT_EQ(co_await server.read_some(buf, sizeof(buf)), 0u);
        EXPECT_EQ(co_await server.read_some(buf, sizeof(buf)), 0u);
    });
}

TEST_F(backend_conformance, readable_is_ready_while_received_data_waits_to_be_read) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        char buf[16];
        co_await more_arrives_unread(client, server, "ab", "cd");
        auto r = server.readable();
        co_await sleep(1ms);
        EXPECT_TRUE(r.available());
        co_await std::move(r);
        EXPECT_EQ(std::string(buf, co_await server.read_some(buf, sizeof(buf))), "cd");
    });
}

// More connections with unread data than the backend keeps receive buffers
// for (io_uring: 256): every connection still reads all of its data.
TEST_F(backend_conformance, more_connections_with_unread_data_than_receive_buffers) {
    run([]() -> future<> {
        constexpr int conns = 300;
        std::vector<std::pair<pollable_fd, pollable_fd>> pairs;
        for (int i = 0; i < conns; ++i) {
            pairs.push_back(make_socketpair());
        }
        auto message = [](int i, int part) {
            return fmt::format("{}:{}:{}", i, part, std::string(900, char('A' + i % 26)));
        };
        // A read on each that finds the socket empty, then data for it.
        std::vector<future<size_t>> reads;
        std::vector<std::string> bufs(conns, std::string(1000, '\0'));
        for (int i = 0; i < conns; ++i) {
            reads.push_back(pairs[i].first.read_some(bufs[i].data(), bufs[i].size()));
        }
        for (int i = 0; i < conns; ++i) {
            auto m = message(i, 0);
            co_await pairs[i].second.write_all(m.data(), m.size());
        }
        std::vector<std::string> firsts;
        for (int i = 0; i < conns; ++i) {
            firsts.push_back(bufs[i].substr(0, co_await std::move(reads[i])));
        }
        // Now data arrives while no read is pending, on every connection.
        for (int i = 0; i < conns; ++i) {
            auto m = message(i, 1);
            co_await pairs[i].second.write_all(m.data(), m.size());
        }
        co_await sleep(5ms);
        for (int i = 0; i < conns; ++i) {
            auto want = message(i, 0) + message(i, 1);
            auto rest = co_await read_exactly(pairs[i].first, want.size() - firsts[i].size(), 512);
            EXPECT_EQ(firsts[i] + rest, want) << "connection " << i;
        }
    });
}

TEST_F(backend_conformance, closing_with_received_data_unread_loses_nothing_else) {
    run([]() -> future<> {
        auto [client, server] = co_await tcp_pair();
        char buf[16];
        co_await more_arrives_unread(client, server, "x", "unread");
        server.close(); // with "unread" held: its buffer goes back, nothing leaks
        // The backend still serves new connections as before.
        auto [c2, s2] = co_await tcp_pair();
        auto g = s2.read_some(buf, sizeof(buf));
        co_await c2.write_all("next", 4);
        EXPECT_EQ(std::string(buf, co_await std::move(g)), "next");
    });
}

TEST_F(backend_conformance, many_fds_waiting_at_once) {
    run([]() -> future<> {
        std::vector<std::pair<pollable_fd, pollable_fd>> pairs;
        std::vector<future<>> waits;
        for (int i = 0; i < 50; ++i) {
            pairs.push_back(make_socketpair());
        }
        for (auto& p : pairs) {
            waits.push_back(p.first.readable());
        }
        for (auto& p : pairs) {
            co_await p.second.write_all("z", 1);
        }
        for (auto& w : waits) {
            co_await std::move(w);
        }
    });
}

TEST_F(backend_conformance, sleeping_reactor_wakes_for_another_thread) {
    run([]() -> future<> {
        auto [a, b] = make_socketpair();
        int fd = b.get_fd();
        std::thread writer([fd] {
            std::this_thread::sleep_for(5ms);
            [[maybe_unused]] auto r = ::write(fd, "w", 1);
        });
        char c;
        auto n = co_await a.read_some(&c, 1);
        writer.join();
        EXPECT_EQ(n, 1u);
        EXPECT_EQ(c, 'w');
    });
}

struct aligned_deleter {
    void operator()(char* p) const { std::free(p); }
};

// A new file in the test's temporary directory, opened with O_DIRECT where the
// file system allows it (tmpfs does not); unlinked at once.
file_desc open_temp_file() {
    std::string path = ::testing::TempDir() + "/reactor_io_XXXXXX";
    int raw = ::mkstemp(path.data());
    EXPECT_GE(raw, 0);
    ::close(raw);
    int fd = ::open(path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
    if (fd < 0) {
        fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    }
    EXPECT_GE(fd, 0);
    ::unlink(path.c_str());
    return file_desc(fd);
}

constexpr size_t block = 4096;

std::unique_ptr<char, aligned_deleter> aligned_blocks(size_t n) {
    return std::unique_ptr<char, aligned_deleter>(static_cast<char*>(std::aligned_alloc(block, n * block)));
}

// A temporary file of `n` blocks, block i filled with char(first + i % 26),
// written through `buf` (n blocks), which is zeroed afterwards for reading.
file_desc temp_file_of_blocks(char* buf, size_t n, char first) {
    file_desc file = open_temp_file();
    for (size_t i = 0; i < n; ++i) {
        std::memset(buf + i * block, char(first + i % 26), block);
    }
    EXPECT_EQ(::pwrite(file.get(), buf, n * block, 0), ssize_t(n * block));
    std::memset(buf, 0, n * block);
    return file;
}

TEST_F(backend_conformance, disk_io_with_o_direct_buffers) {
    run([]() -> future<> {
        file_desc file = open_temp_file();
        int fd = file.get();
        auto wbuf = aligned_blocks(2);
        auto rbuf = aligned_blocks(2);
        for (size_t i = 0; i < 2 * block; ++i) {
            wbuf.get()[i] = char('a' + i % 26);
        }
        auto& r = engine();
        EXPECT_EQ(co_await r.submit_io(internal::io_request::make_write(fd, 0, wbuf.get(), 2 * block)), 2 * block);
        EXPECT_EQ(co_await r.submit_io(internal::io_request::make_fdatasync(fd)), 0u);
        std::memset(rbuf.get(), 0, 2 * block);
        EXPECT_EQ(co_await r.submit_io(internal::io_request::make_read(fd, block, rbuf.get(), block)), block);
        EXPECT_EQ(std::memcmp(rbuf.get(), wbuf.get() + block, block), 0);
        // Vectored: two blocks swapped.
        ::iovec wv[2] = {{wbuf.get() + block, block}, {wbuf.get(), block}};
        EXPECT_EQ(co_await r.submit_io(internal::io_request::make_writev(fd, 2 * block, wv, 2)), 2 * block);
        ::iovec rv[2] = {{rbuf.get(), block}, {rbuf.get() + block, block}};
        EXPECT_EQ(co_await r.submit_io(internal::io_request::make_readv(fd, 2 * block, rv, 2)), 2 * block);
        EXPECT_EQ(std::memcmp(rbuf.get(), wbuf.get() + block, block), 0);
        EXPECT_EQ(std::memcmp(rbuf.get() + block, wbuf.get(), block), 0);
        // Reading at end of file gives 0 bytes.
        EXPECT_EQ(co_await r.submit_io(internal::io_request::make_read(fd, 100 * block, rbuf.get(), block)), 0u);
    });
}

// Disk reads and writes go to the kernel asynchronously on every backend
// (epoll through a linux-aio context, as in Seastar), not to the shard's
// blocking-I/O thread: they complete while that thread is busy.
TEST_F(backend_conformance, disk_io_does_not_wait_for_the_blocking_thread) {
    run([]() -> future<> {
        file_desc file = open_temp_file();
        int fd = file.get();
        auto buf = aligned_blocks(4);
        std::memset(buf.get(), 'x', 4 * block);
        auto release = std::make_shared<std::atomic<bool>>(false);
        // Occupies the blocking thread until released (at most 10 s, so that
        // a failing run ends).
        auto busy = engine().run_blocking([release] {
            for (int i = 0; i < 10000 && !release->load(); ++i) {
                std::this_thread::sleep_for(1ms);
            }
            return 0;
        });
        auto& r = engine();
        EXPECT_EQ(co_await r.submit_io(internal::io_request::make_write(fd, 0, buf.get(), 4 * block)), 4 * block);
        std::vector<future<size_t>> reads;
        for (size_t i = 0; i < 4; ++i) {
            reads.push_back(r.submit_io(internal::io_request::make_read(fd, i * block, buf.get() + i * block, block)));
        }
        for (auto& f : reads) {
            EXPECT_EQ(co_await std::move(f), block);
        }
        EXPECT_FALSE(busy.available()) << "disk I/O completed only after the blocking thread was free";
        release->store(true);
        co_await std::move(busy);
    });
}

TEST_F(backend_conformance, disk_io_errors_are_failed_futures) {
    run([]() -> future<> {
        char buf[16];
        int err = 0;
        try {
            co_await engine().submit_io(internal::io_request::make_read(-1, 0, buf, sizeof(buf)));
        } catch (const std::system_error& e) {
            err = e.code().value();
        }
        EXPECT_EQ(err, EBADF);
    });
}

TEST(backend_errors, aio_reports_exhausted_aio_max_nr) {
    internal::syscall_pool blocking([] {});
    internal::backend_options opts;
    opts.blocking = &blocking;
    opts.queue_depth = 100000000; // a depth io_setup refuses
    try {
        internal::make_aio_backend(opts);
        ADD_FAILURE() << "io_setup accepted an absurd queue depth";
    } catch (const internal::backend_unavailable& e) {
        std::string what = e.what();
        EXPECT_TRUE(what.find("aio-max-nr") != std::string::npos || what.find("linux-aio") != std::string::npos)
            << what;
    }
}

// More disk requests at once than the backend's queue holds: what the kernel
// cannot take yet (io_submit's EAGAIN or a partial count, a full submission
// queue) is submitted later, never failed.
TEST(backend_queue, disk_requests_beyond_the_queue_depth_all_complete) {
    internal::syscall_pool blocking([] {});
    internal::backend_options opts;
    opts.blocking = &blocking;
    opts.queue_depth = 16;
    auto factory = internal::find_reactor_backend(testing::requested_backend());
    ASSERT_NE(factory, nullptr);
    std::unique_ptr<internal::reactor_backend> backend;
    try {
        backend = factory(opts);
    } catch (const internal::backend_unavailable& e) {
        GTEST_SKIP() << e.what();
    }
    constexpr size_t n = 256;
    auto buf = aligned_blocks(n);
    file_desc file = temp_file_of_blocks(buf.get(), n, 'a');
    std::vector<future<size_t>> reads;
    for (size_t i = 0; i < n; ++i) {
        reads.push_back(
            backend->submit_io(internal::io_request::make_read(file.get(), i * block, buf.get() + i * block, block)));
    }
    auto all_done = [&] { return std::all_of(reads.begin(), reads.end(), [](auto& f) { return f.available(); }); };
    for (int i = 0; i < 10000 && !all_done(); ++i) {
        backend->poll();
        blocking.complete_ready();
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    ASSERT_TRUE(all_done());
    for (size_t i = 0; i < n; ++i) {
        EXPECT_FALSE(reads[i].failed()) << i;
        EXPECT_EQ(reads[i].get(), block) << i;
        EXPECT_EQ(buf.get()[i * block + block - 1], char('a' + i % 26)) << i;
    }
}

// A sleeping epoll loop wakes when a disk request completes: the completion
// signals the eventfd in the epoll set (IOCB_FLAG_RESFD). Without it, wait()
// would sleep its whole timeout and return with the request unreaped.
TEST(backend_epoll, a_disk_completion_wakes_a_sleeping_loop) {
    internal::syscall_pool blocking([] {});
    internal::backend_options opts;
    opts.blocking = &blocking;
    auto backend = internal::make_epoll_backend(opts);
    auto buf = aligned_blocks(1);
    file_desc file = temp_file_of_blocks(buf.get(), 1, 'z');
    auto f = backend->submit_io(internal::io_request::make_read(file.get(), 0, buf.get(), block));
    EXPECT_EQ(blocking.in_flight(), 0u);
    auto start = std::chrono::steady_clock::now();
    backend->wait(std::chrono::seconds(30));
    auto slept = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(f.available()) << "wait() returned without the completion";
    EXPECT_LT(slept, std::chrono::seconds(29)) << "wait() slept its whole timeout";
    EXPECT_EQ(f.get(), block);
    EXPECT_EQ(buf.get()[0], 'z');
}

// A socket read again and again stays in the epoll set between waits (no
// epoll_ctl per wait: two syscalls a request at one request in flight), and
// leaves it when its event fires with nobody waiting (so a level-triggered
// event does not wake every turn). Data that came meanwhile is still seen.
TEST(backend_epoll, a_socket_stays_registered_between_waits) {
    internal::syscall_pool blocking([] {});
    internal::backend_options opts;
    opts.blocking = &blocking;
    auto backend = internal::make_epoll_backend(opts);
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    file_desc a(fds[0]), b(fds[1]);
    internal::pollable_fd_state s(a.get());
    auto ready_after_poll = [&](future<>& f) {
        for (int i = 0; i < 1000 && !f.available(); ++i) {
            backend->poll();
        }
        return f.available();
    };
    char c;
    for (int round = 0; round < 3; ++round) {
        auto f = backend->readable(s);
        ASSERT_EQ(::write(b.get(), "x", 1), 1);
        ASSERT_TRUE(ready_after_poll(f)) << round;
        f.get();
        EXPECT_EQ(s.backend_events & EPOLLIN, uint32_t(EPOLLIN)) << "dropped after waking its waiter, round " << round;
        ASSERT_EQ(::read(a.get(), &c, 1), 1);
    }
    // Readable with nobody waiting: the event drops the registration...
    ASSERT_EQ(::write(b.get(), "y", 1), 1);
    for (int i = 0; i < 1000 && s.backend_events; ++i) {
        backend->poll();
    }
    EXPECT_EQ(s.backend_events, 0u);
    // ...and the next wait registers again and sees the byte already there.
    auto f = backend->readable(s);
    ASSERT_TRUE(ready_after_poll(f));
    f.get();
    ASSERT_EQ(::read(a.get(), &c, 1), 1);
    EXPECT_EQ(c, 'y');
    backend->forget(s);
    EXPECT_EQ(s.backend_events, 0u);
}

// When linux-aio cannot be set up (here: a queue depth io_setup refuses),
// epoll's disk I/O still works, on the blocking-I/O thread.
TEST(backend_errors, epoll_disk_io_falls_back_to_the_blocking_thread) {
    internal::syscall_pool blocking([] {});
    internal::backend_options opts;
    opts.blocking = &blocking;
    opts.queue_depth = 100000000; // a depth io_setup refuses
    auto backend = internal::make_epoll_backend(opts);
    auto buf = aligned_blocks(1);
    file_desc file = temp_file_of_blocks(buf.get(), 1, 'y');
    auto f = backend->submit_io(internal::io_request::make_read(file.get(), 0, buf.get(), block));
    EXPECT_EQ(blocking.in_flight(), 1u);
    for (int i = 0; i < 10000 && !f.available(); ++i) {
        blocking.complete_ready();
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(f.available());
    EXPECT_EQ(f.get(), block);
    EXPECT_EQ(buf.get()[block - 1], 'y');
}

TEST(backend_errors, backends_refuse_to_start_without_the_blocking_thread) {
    internal::backend_options opts;
    EXPECT_THROW(internal::make_aio_backend(opts), std::invalid_argument);
    EXPECT_THROW(internal::make_epoll_backend(opts), std::invalid_argument);
}

TEST(backend_errors, unknown_backend_names_the_linked_in_ones) {
    try {
        reactor r([] {
            reactor_config cfg;
            cfg.backend = "kqueue";
            return cfg;
        }());
        ADD_FAILURE() << "a reactor started with an unknown backend";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "unknown reactor backend 'kqueue' (linked in: io_uring, linux-aio, epoll)");
    }
}

// A file that a pending request holds is released by the time the backend
// is gone: the peer of a socket that was being read sees the hang-up at once
// (the ring would otherwise cancel the read in the background, later).
TEST(backend_uring, destroying_the_backend_releases_the_files_its_requests_hold) {
    internal::syscall_pool blocking([] {});
    internal::backend_options opts;
    opts.blocking = &blocking;
    std::unique_ptr<internal::reactor_backend> backend;
    try {
        backend = internal::make_uring_backend(opts);
    } catch (const internal::backend_unavailable& e) {
        GTEST_SKIP() << e.what();
    }
    for (int round = 0; round < 20; ++round) {
        int fds[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
        file_desc b(fds[1]);
        {
            file_desc a(fds[0]);
            internal::pollable_fd_state s(a.get());
            auto f = backend->readable(s); // a poll in the kernel, holding a's file
            backend->poll();
            EXPECT_FALSE(f.available());
            backend->forget(s);
            f.ignore_ready_future();
        } // a closed: only the ring still holds its file
        backend.reset();
        ::pollfd p{b.get(), POLLIN, 0};
        ASSERT_EQ(::poll(&p, 1, 0), 1) << "round " << round;
        EXPECT_TRUE(p.revents & POLLHUP) << "round " << round;
        backend = internal::make_uring_backend(opts);
    }
}

TEST(backend_errors, uring_setup_errors_name_their_cause) {
    EXPECT_NE(internal::uring_setup_error_message(EPERM).find("kernel.io_uring_disabled"), std::string::npos);
    EXPECT_NE(internal::uring_setup_error_message(ENOSYS).find("does not support"), std::string::npos);
    EXPECT_NE(internal::uring_setup_error_message(ENOMEM).find("RLIMIT_MEMLOCK"), std::string::npos);
}

} // namespace
} // namespace seastar
