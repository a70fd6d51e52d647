// file_desc: an owned file descriptor, and thin wrappers over the POSIX calls
// the reactor and its backends make.
//
// Contract: a file_desc closes its fd when destroyed; it is movable, not
// copyable. Calls that fail throw std::system_error carrying errno and the
// call's name, except the non-blocking I/O helpers, which return std::nullopt
// for EAGAIN/EWOULDBLOCK so callers can wait for readiness instead. Any thread
// may use its own file_desc objects. Nothing here allocates except exceptions.
//
//     auto efd = seastar::file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
//     efd.write(&one, sizeof(one));
#pragma once

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>
#include <utility>

namespace seastar {

[[noreturn]] inline void throw_system_error(int err, const char* what) {
    throw std::system_error(err, std::system_category(), what);
}

// Throws std::system_error(errno, what) when r == -1.
template <typename T>
inline T throw_system_error_on(T r, const char* what) {
    if (r == T(-1)) {
        throw_system_error(errno, what);
    }
    return r;
}

class file_desc {
    int _fd = -1;

public:
    file_desc() noexcept = default;
    explicit file_desc(int fd) noexcept : _fd(fd) {}
    file_desc(file_desc&& o) noexcept : _fd(std::exchange(o._fd, -1)) {}
    file_desc& operator=(file_desc&& o) noexcept {
        if (this != &o) {
            close();
            _fd = std::exchange(o._fd, -1);
        }
        return *this;
    }
    file_desc(const file_desc&) = delete;
    file_desc& operator=(const file_desc&) = delete;
    ~file_desc() { close(); }

    int get() const noexcept { return _fd; }
    bool valid() const noexcept { return _fd >= 0; }
    explicit operator bool() const noexcept { return valid(); }
    // Gives up ownership without closing.
    int release() noexcept { return std::exchange(_fd, -1); }
    void close() noexcept {
        if (_fd >= 0) {
            ::close(_fd);
            _fd = -1;
        }
    }

    static file_desc eventfd(unsigned initval, int flags) {
        return file_desc(throw_system_error_on(::eventfd(initval, flags), "eventfd"));
    }
    static file_desc socket(int family, int type, int protocol = 0) {
        return file_desc(throw_system_error_on(::socket(family, type, protocol), "socket"));
    }

    // Non-blocking helpers: nullopt when the call would block.
    std::optional<size_t> read(void* buf, size_t len) {
        auto r = ::read(_fd, buf, len);
        return would_block_or(r, "read");
    }
    std::optional<size_t> write(const void* buf, size_t len) {
        auto r = ::write(_fd, buf, len);
        return would_block_or(r, "write");
    }

private:
    static std::optional<size_t> would_block_or(ssize_t r, const char* what) {
        if (r == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return std::nullopt;
            }
            throw_system_error(errno, what);
        }
        return size_t(r);
    }
};

} // namespace seastar
