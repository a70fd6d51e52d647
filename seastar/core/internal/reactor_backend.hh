// The reactor backend interface: how a reactor waits for fd readiness,
// submits disk I/O and sleeps until something happens.
//
// Three implementations exist, each its own target that registers itself
// here when it is linked in (register_reactor_backend): epoll
// (reactor_backend_epoll), linux-aio (reactor_backend_aio: IOCB_CMD_POLL for
// readiness, io_getevents for completions) and io_uring (reactor_backend_uring).
// reactor_backend_selector picks one of the registered ones at start-up; the
// reactor depends on none of them. Nothing here names a third-party type.
//
// Contract:
//   * A backend belongs to one reactor thread; every call except wakeup()
//     comes from that thread. wakeup() may come from any thread and from a
//     signal handler (it only writes to an eventfd).
//   * Readiness is one-shot: readable()/writeable() return a future that is
//     ready once the fd is readable/writeable (or has an error or hang-up, so
//     that the caller's next syscall reports it). At most one readable and one
//     writeable waiter per fd at a time; a second fails with std::logic_error.
//   * forget() must be called before the fd is closed; waiters still pending
//     fail with std::system_error(ECANCELED).
//   * Blocking work (disk I/O epoll cannot do, fdatasync under linux-aio)
//     goes to the shard's one blocking-I/O thread, backend_options::blocking,
//     which the reactor owns and whose completions the reactor runs.
//   * submit_io() returns the syscall's result (bytes, or 0 for fdatasync) or a
//     failed future with std::system_error. The buffers must stay valid until
//     the future resolves.
//   * Futures are fulfilled from poll()/wait(), on the reactor thread.
//   * Direct socket I/O (optional; direct_socket_io() says whether a backend
//     has it): submit_socket_io() runs a read, write, recvmsg or sendmsg to
//     completion in the kernel (waiting for data or buffer space there), and
//     resolves with what the syscall would have returned, or fails with
//     std::system_error(errno, what). A backend may keep receiving on a
//     stream socket between plain reads (into buffers of its own, handed to
//     the next read); while it holds input, pollable_fd_state::input_held is
//     set, readable() is ready at once if held data waits, and recvmsg on
//     that fd fails with std::logic_error. It counts as the fd's readable (read,
//     recvmsg) or writeable (write, sendmsg) waiter. forget() cancels it; its
//     future then fails with std::system_error(ECANCELED) once the kernel has
//     let go of the buffers, which must stay valid until then. Backends
//     without it keep the default: pollable_fd waits for readiness and
//     retries the syscall.
//
//     auto be = seastar::internal::select_reactor_backend("", opts).backend;
//     auto f = be->readable(state);
//     be->wait(std::chrono::milliseconds(10));   // fulfils f if data arrived
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "seastar/core/future.hh"

namespace seastar::internal {

class syscall_pool;

// Per-fd bookkeeping shared by the pollable_fd and its backend.
class pollable_fd_state {
public:
    explicit pollable_fd_state(int fd) noexcept : fd(fd) {}
    pollable_fd_state(const pollable_fd_state&) = delete;
    pollable_fd_state& operator=(const pollable_fd_state&) = delete;

    int fd;
    // Waiters; `*_waiting` says whether the promise has a future.
    promise<> pollin;
    promise<> pollout;
    bool pollin_waiting = false;
    bool pollout_waiting = false;
    // Backend-private: epoll keeps its registered event mask here,
    // completion-based backends their in-flight poll requests.
    uint32_t backend_events = 0;
    void* backend_data = nullptr;
    // Whether the next read should try the syscall before a direct socket
    // read: the last read filled its buffer, so more is likely waiting.
    // Kept by pollable_fd and by backends with direct socket I/O.
    bool speculate_in = true;
    // The backend holds data it received for this fd (io_uring's multishot
    // reads): every input operation must go to the backend, never straight
    // to a syscall, or it would read past what the backend holds.
    bool input_held = false;

    // Creates the waiter for a direction; throws std::logic_error if one exists.
    future<> wait_for(bool in) {
        auto& waiting = in ? pollin_waiting : pollout_waiting;
        if (waiting) {
            throw std::logic_error(in ? "pollable_fd: a readable() wait is already pending"
                                      : "pollable_fd: a writeable() wait is already pending");
        }
        waiting = true;
        auto& pr = in ? pollin : pollout;
        pr = promise<>();
        return pr.get_future();
    }
    void complete(bool in) noexcept {
        auto& waiting = in ? pollin_waiting : pollout_waiting;
        if (waiting) {
            waiting = false;
            (in ? pollin : pollout).set_value();
        }
    }
    void fail(bool in, std::exception_ptr ex) noexcept {
        auto& waiting = in ? pollin_waiting : pollout_waiting;
        if (waiting) {
            waiting = false;
            (in ? pollin : pollout).set_exception(std::move(ex));
        }
    }
};

// One disk (or any positional) I/O request on an fd.
struct io_request {
    enum class operation { read, write, readv, writev, fdatasync };
    operation op = operation::read;
    int fd = -1;
    uint64_t pos = 0;
    // read/write: addr+size; readv/writev: iov+iov_count.
    void* addr = nullptr;
    size_t size = 0;
    const ::iovec* iov = nullptr;
    size_t iov_count = 0;

    static io_request make_read(int fd, uint64_t pos, void* buf, size_t len) noexcept {
        return {operation::read, fd, pos, buf, len, nullptr, 0};
    }
    static io_request make_write(int fd, uint64_t pos, const void* buf, size_t len) noexcept {
        return {operation::write, fd, pos, const_cast<void*>(buf), len, nullptr, 0};
    }
    static io_request make_readv(int fd, uint64_t pos, const ::iovec* iov, size_t n) noexcept {
        return {operation::readv, fd, pos, nullptr, 0, iov, n};
    }
    static io_request make_writev(int fd, uint64_t pos, const ::iovec* iov, size_t n) noexcept {
        return {operation::writev, fd, pos, nullptr, 0, iov, n};
    }
    static io_request make_fdatasync(int fd) noexcept { return {operation::fdatasync, fd, 0, nullptr, 0, nullptr, 0}; }
};

// One socket operation for reactor_backend::submit_socket_io(): read(2) or
// write(2) of addr/size, or recvmsg(2)/sendmsg(2) of msg with flags.
struct socket_io_request {
    enum class operation { read, write, recvmsg, sendmsg };
    operation op = operation::read;
    void* addr = nullptr;
    size_t size = 0;
    ::msghdr* msg = nullptr;
    int flags = 0;

    bool is_input() const noexcept { return op == operation::read || op == operation::recvmsg; }
};

// Runs an io_request with plain blocking syscalls; returns the result or -errno.
long perform_io_blocking(const io_request& req) noexcept;

// Runs `req` on the blocking-I/O thread `pool`; the future resolves (when the
// pool's owner completes its items) with the result, or fails with
// std::system_error(errno, `what`). Throws what syscall_pool::submit throws.
future<size_t> submit_blocking_io(syscall_pool& pool, const io_request& req, const char* what);

// What a backend factory is given.
struct backend_options {
    // Queue depth of completion-based backends (linux-aio events, io_uring entries).
    unsigned queue_depth = 1024;
    // Backend names the selector treats as unavailable, to test fallbacks
    // (added to those in the environment variable SEASTAR_UNAVAILABLE_BACKENDS).
    std::vector<std::string> simulate_unavailable;
    // The shard's blocking-I/O thread, shared by the reactor and its backend
    // (the reactor completes its items). Required: a backend's factory throws
    // std::invalid_argument without it.
    syscall_pool* blocking = nullptr;
};

// Thrown by a backend's factory when the kernel or its limits rule it out.
class backend_unavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class reactor_backend {
public:
    virtual ~reactor_backend() = default;

    // "epoll", "linux-aio" or "io_uring".
    virtual std::string_view name() const noexcept = 0;

    virtual future<> readable(pollable_fd_state& fd) = 0;
    virtual future<> writeable(pollable_fd_state& fd) = 0;
    virtual void forget(pollable_fd_state& fd) noexcept = 0;

    virtual future<size_t> submit_io(const io_request& req) = 0;

    // Whether submit_socket_io() is supported (see the contract above).
    virtual bool direct_socket_io() const noexcept { return false; }
    // Runs `req` on `fd` to completion; `what` names the syscall in errors.
    // A second read-side (or write-side) wait or operation on the fd fails
    // with std::logic_error.
    virtual future<size_t> submit_socket_io(pollable_fd_state& fd, const socket_io_request& req, const char* what) {
        (void)fd, (void)req, (void)what;
        return make_exception_future<size_t>(std::logic_error("this reactor backend has no direct socket I/O"));
    }

    // Handles whatever has completed, without blocking; true if anything did.
    virtual bool poll() noexcept = 0;
    // Sleeps until an event, wakeup() or the timeout (nullopt: none), then
    // handles what arrived.
    virtual void wait(std::optional<std::chrono::nanoseconds> timeout) noexcept = 0;
    // Ends a wait() in progress, or makes the next one return at once.
    virtual void wakeup() noexcept = 0;
};

// ---- the registry of linked-in backends ----
//
// A backend target registers its factory from a static initializer in its .cc
// (its target is alwayslink), so linking the target is what makes the backend
// available; nothing names the backends in code.

// Makes a backend; throws backend_unavailable when the kernel rules it out.
using reactor_backend_factory = std::unique_ptr<reactor_backend> (*)(const backend_options&);

// Adds `name` (as --reactor-backend spells it). The default choice tries
// backends by ascending `preference`. Registering a name twice keeps the first.
// Called during static initialization; not thread-safe.
void register_reactor_backend(std::string_view name, int preference, reactor_backend_factory factory);

// The registered backends' names, in the order the default choice tries them.
std::vector<std::string> registered_reactor_backends();

// The factory registered under `name`, or nullptr.
reactor_backend_factory find_reactor_backend(std::string_view name);

// Registers a backend from a namespace-scope object in the backend's .cc:
//     const reactor_backend_registration reg("epoll", 30, make_epoll_backend);
struct reactor_backend_registration {
    reactor_backend_registration(std::string_view name, int preference, reactor_backend_factory factory) {
        register_reactor_backend(name, preference, factory);
    }
};

} // namespace seastar::internal
