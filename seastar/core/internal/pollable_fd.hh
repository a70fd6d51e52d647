// pollable_fd: a non-blocking fd owned by a shard, with future-returning
// readiness and I/O operations; what the network stack builds on.
//
// Operations try the syscall first and wait for readiness (through the
// reactor's backend) only when it would block, so a busy socket costs no
// extra syscalls. On a backend with direct socket I/O (io_uring) an
// operation that would block is handed to the kernel whole instead (one
// request, no second syscall), and a read skips the first syscall when the
// last read left the socket drained.
//
// Contract:
//   * Use on the shard that created it (engine() is used for waiting).
//   * At most one operation waiting for readability and one for writeability
//     at a time (as with Seastar); a second fails with std::logic_error.
//   * close() (or destruction) fails waiting operations with
//     std::system_error(ECANCELED) (with direct socket I/O, once the kernel
//     has cancelled the request and let go of the buffers); operations that resume after the close,
//     and operations started on a closed pollable_fd, fail with EBADF. Errors of syscalls come as failed futures
//     carrying std::system_error; nothing throws synchronously except constructors.
//   * The buffers passed to an operation must stay valid until it resolves.
//   * read_some() returns 0 at end of file; write_some() may write less than
//     asked.
//
//     auto listener = seastar::pollable_fd::listen(raw_socket_address::ipv4("127.0.0.1", 0));
//     auto [conn, peer] = co_await listener.accept();
//     char buf[100];
//     size_t n = co_await conn.read_some(buf, sizeof(buf));
#pragma once

#include <sys/socket.h>

#include <memory>
#include <tuple>

#include "seastar/core/future.hh"
#include "seastar/core/internal/reactor_backend.hh"
#include "seastar/core/internal/socket_addr.hh"
#include "seastar/core/posix.hh"

namespace seastar {

class pollable_fd {
    std::shared_ptr<internal::pollable_fd_state> _s;

public:
    using state_ptr = std::shared_ptr<internal::pollable_fd_state>;

    pollable_fd() noexcept = default;
    // Takes ownership of `fd` and makes it non-blocking.
    explicit pollable_fd(file_desc fd);
    pollable_fd(pollable_fd&&) noexcept = default;
    pollable_fd& operator=(pollable_fd&& o) noexcept {
        if (this != &o) {
            close();
            _s = std::move(o._s);
        }
        return *this;
    }
    ~pollable_fd() { close(); }

    // A non-blocking socket; throws std::system_error.
    static pollable_fd socket(int family, int type, int protocol = 0);
    // A listening TCP socket bound to `addr` (SO_REUSEADDR); throws std::system_error.
    static pollable_fd listen(const internal::raw_socket_address& addr, int backlog = 128);

    explicit operator bool() const noexcept { return bool(_s); }
    int get_fd() const noexcept { return _s ? _s->fd : -1; }
    // The address the socket is bound to; throws std::system_error.
    internal::raw_socket_address local_address() const;

    future<> readable();
    future<> writeable();

    future<size_t> read_some(char* buf, size_t len);
    future<size_t> write_some(const char* buf, size_t len);
    // Writes everything, waiting as needed.
    future<> write_all(const char* buf, size_t len);
    future<size_t> sendmsg(const ::msghdr* msg);
    future<size_t> recvmsg(::msghdr* msg);
    future<std::tuple<pollable_fd, internal::raw_socket_address>> accept();
    future<> connect(const internal::raw_socket_address& addr);

    // shutdown(2); throws std::system_error (except for ENOTCONN, ignored).
    void shutdown(int how);
    void close() noexcept;
};

} // namespace seastar
