#include "seastar/core/internal/pollable_fd.hh"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "seastar/core/reactor.hh"

namespace seastar {

namespace {

using state_ptr = pollable_fd::state_ptr;

template <typename T = size_t>
future<T> errno_future(int err, const char* what) {
    return make_exception_future<T>(std::system_error(err, std::system_category(), what));
}

bool would_block(int err) {
    return err == EAGAIN || err == EWOULDBLOCK;
}

enum class direction { in, out };

// Waits until the fd is readable (in) or writeable (out).
future<> wait_for(const state_ptr& s, direction d) {
    if (!s || s->fd < 0) {
        return errno_future<void>(EBADF, "pollable_fd closed");
    }
    try {
        auto& backend = engine().backend();
        return d == direction::in ? backend.readable(*s) : backend.writeable(*s);
    } catch (...) {
        return make_exception_future<>(std::current_exception());
    }
}

// Runs `op` (returns -1/errno like a syscall) until it does not block,
// waiting for readiness in direction `d` between attempts.
template <typename Op>
future<size_t> retry(state_ptr s, direction d, Op op, const char* what) {
    if (!s || s->fd < 0) { // closed (or never opened): fail, never touch the state
        return errno_future(EBADF, what);
    }
    auto r = op(s->fd);
    if (r >= 0) {
        return make_ready_future<size_t>(size_t(r));
    }
    if (!would_block(errno)) {
        return errno_future(errno, what);
    }
    auto f = wait_for(s, d);
    return f.then([s = std::move(s), d, op, what]() mutable { return retry(std::move(s), d, op, what); });
}

// Like retry(), but when the backend runs socket I/O itself (io_uring), a
// syscall that would block becomes one request the kernel completes, in
// place of a readiness wait followed by the syscall again. A read skips the
// syscall unless the last read filled its buffer (speculate_in): a socket
// that was drained is most likely still empty, and the syscall would only
// say EAGAIN. A write goes to the ring without a syscall: the writes of one
// loop turn then reach the kernel in one submission (the kernel runs each
// at once when the socket has room).
template <typename Op>
future<size_t> perform(const state_ptr& s, direction d, Op op, const internal::socket_io_request& req,
                       const char* what) {
    if (!s || s->fd < 0) {
        return errno_future(EBADF, what);
    }
    internal::reactor_backend* backend = engine_is_ready() ? &engine().backend() : nullptr;
    if (!backend || !backend->direct_socket_io()) {
        return retry(s, d, std::move(op), what);
    }
    bool plain_read = req.op == internal::socket_io_request::operation::read;
    bool speculate = req.is_input() && !s->input_held && (!plain_read || s->speculate_in);
    if (speculate) {
        auto r = op(s->fd);
        if (r >= 0) {
            if (plain_read) {
                s->speculate_in = size_t(r) == req.size;
            }
            return make_ready_future<size_t>(size_t(r));
        }
        if (!would_block(errno)) {
            return errno_future(errno, what);
        }
    }
    return backend->submit_socket_io(*s, req, what);
}

void set_nonblocking(int fd) {
    int flags = throw_system_error_on(::fcntl(fd, F_GETFL), "fcntl");
    if (!(flags & O_NONBLOCK)) {
        throw_system_error_on(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), "fcntl");
    }
}

future<> write_all_from(pollable_fd& fd, const char* buf, size_t len) {
    if (len == 0) {
        return make_ready_future<>();
    }
    return fd.write_some(buf, len).then([&fd, buf, len](size_t n) { return write_all_from(fd, buf + n, len - n); });
}

} // namespace

pollable_fd::pollable_fd(file_desc fd) {
    set_nonblocking(fd.get());
    _s = std::make_shared<internal::pollable_fd_state>(fd.get());
    fd.release();
}

pollable_fd pollable_fd::socket(int family, int type, int protocol) {
    return pollable_fd(file_desc::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
}

pollable_fd pollable_fd::listen(const internal::raw_socket_address& addr, int backlog) {
    auto fd = file_desc::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
    int one = 1;
    throw_system_error_on(::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), "setsockopt");
    throw_system_error_on(::bind(fd.get(), &addr.u.sa, addr.len), "bind");
    throw_system_error_on(::listen(fd.get(), backlog), "listen");
    return pollable_fd(std::move(fd));
}

internal::raw_socket_address pollable_fd::local_address() const {
    internal::raw_socket_address a;
    throw_system_error_on(::getsockname(get_fd(), &a.u.sa, &a.len), "getsockname");
    return a;
}

future<> pollable_fd::readable() {
    return wait_for(_s, direction::in);
}

future<> pollable_fd::writeable() {
    return wait_for(_s, direction::out);
}

future<size_t> pollable_fd::read_some(char* buf, size_t len) {
    internal::socket_io_request req{internal::socket_io_request::operation::read, buf, len, nullptr, 0};
    return perform(_s, direction::in, [buf, len](int fd) { return ::read(fd, buf, len); }, req, "read");
}

future<size_t> pollable_fd::write_some(const char* buf, size_t len) {
    internal::socket_io_request req{internal::socket_io_request::operation::write, const_cast<char*>(buf), len, nullptr,
                                    0};
    return perform(_s, direction::out, [buf, len](int fd) { return ::write(fd, buf, len); }, req, "write");
}

future<> pollable_fd::write_all(const char* buf, size_t len) {
    return write_all_from(*this, buf, len);
}

future<size_t> pollable_fd::sendmsg(const ::msghdr* msg) {
    internal::socket_io_request req{internal::socket_io_request::operation::sendmsg, nullptr, 0,
                                    const_cast<::msghdr*>(msg), MSG_NOSIGNAL};
    return perform(_s, direction::out, [msg](int fd) { return ::sendmsg(fd, msg, MSG_NOSIGNAL); }, req, "sendmsg");
}

future<size_t> pollable_fd::recvmsg(::msghdr* msg) {
    internal::socket_io_request req{internal::socket_io_request::operation::recvmsg, nullptr, 0, msg, 0};
    return perform(_s, direction::in, [msg](int fd) { return ::recvmsg(fd, msg, 0); }, req, "recvmsg");
}

future<std::tuple<pollable_fd, internal::raw_socket_address>> pollable_fd::accept() {
    using result = std::tuple<pollable_fd, internal::raw_socket_address>;
    auto addr = std::make_unique<internal::raw_socket_address>();
    auto a = addr.get();
    return retry(
               _s, direction::in,
               [a](int fd) {
                   a->len = sizeof(a->u.storage);
                   return ssize_t(::accept4(fd, &a->u.sa, &a->len, SOCK_NONBLOCK | SOCK_CLOEXEC));
               },
               "accept4")
        .then([addr = std::move(addr)](size_t fd) { return result(pollable_fd(file_desc(int(fd))), *addr); });
}

future<> pollable_fd::connect(const internal::raw_socket_address& addr) {
    if (!_s || _s->fd < 0) {
        return errno_future<void>(EBADF, "connect");
    }
    if (::connect(_s->fd, &addr.u.sa, addr.len) == 0) {
        return make_ready_future<>();
    }
    if (errno != EINPROGRESS) {
        return errno_future<void>(errno, "connect");
    }
    return wait_for(_s, direction::out).then([s = _s] {
        int err = 0;
        ::socklen_t len = sizeof(err);
        if (s->fd < 0) {
            err = EBADF;
        } else if (::getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
            err = errno;
        }
        if (err) {
            return errno_future<void>(err, "connect");
        }
        return make_ready_future<>();
    });
}

void pollable_fd::shutdown(int how) {
    if (::shutdown(get_fd(), how) == -1 && errno != ENOTCONN) {
        throw_system_error(errno, "shutdown");
    }
}

void pollable_fd::close() noexcept {
    if (!_s) {
        return;
    }
    if (engine_is_ready()) {
        engine().backend().forget(*_s);
    }
    ::close(_s->fd);
    _s->fd = -1;
    _s.reset();
}

} // namespace seastar
