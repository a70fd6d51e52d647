#include "seastar/core/internal/reactor_backend_uring.hh"

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <vector>

#include "seastar/core/internal/reactor_backend_completion.hh"
#include "seastar/core/posix.hh"
#include "seastar/util/log.hh"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#include <sanitizer/tsan_interface.h>
#define SEASTAR_URING_UNDER_TSAN 1
#endif
#endif

namespace seastar::internal {

std::string uring_setup_error_message(int err) {
    switch (err) {
    case ENOSYS:
        return "io_uring: the kernel does not support io_uring (ENOSYS)";
    case EPERM:
        return "io_uring: creating a ring is not permitted (EPERM): io_uring is disabled by "
               "sysctl kernel.io_uring_disabled or by a seccomp/container policy";
    case ENOMEM:
        return "io_uring: not enough locked memory for the ring (ENOMEM): raise RLIMIT_MEMLOCK "
               "(ulimit -l) or lower the queue depth";
    default:
        return std::string("io_uring: io_uring_queue_init failed: ") + std::strerror(err);
    }
}

namespace {

logger uring_log("io_uring");

// Ring set-ups from the best the kernel may take down to none:
//   * SINGLE_ISSUER + COOP_TASKRUN + TASKRUN_FLAG (6.0): completions are
//     posted when the thread next enters the kernel, never by interrupting it
//     while it runs tasks; TASKRUN_FLAG marks in the shared ring that some are
//     pending, so a busy loop enters the kernel for them only then. Only the
//     reactor's thread touches the ring (wakeup() writes an eventfd), which is
//     what SINGLE_ISSUER asks.
//   * COOP_TASKRUN + TASKRUN_FLAG (5.19).
//   * none.
// DEFER_TASKRUN (completions only when asked) is not used: with it the
// 10,000-connection test of the POSIX stack took 39 s instead of 12-15 s
// with the other backends (not yet understood).
struct ring_setup {
    unsigned flags;
    const char* name;
};
constexpr ring_setup ring_setups[] = {
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
     "SINGLE_ISSUER|COOP_TASKRUN|TASKRUN_FLAG"},
    {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, "COOP_TASKRUN|TASKRUN_FLAG"},
    {0, "no set-up flags"},
};

// Logs one line, once per process, when the kernel refused the best set-up.
void note_fallback(const char* refused, const char* used, int err) {
    static std::atomic<bool> noted{false};
    if (!noted.exchange(true)) {
        uring_log.info("the kernel refused io_uring set-up {} ({}); using {}", refused, std::strerror(err), used);
    }
}

using completion_backend::completion;
using completion_backend::errno_exception;

// ThreadSanitizer does not see liburing map and unmap the rings (it makes
// the syscalls itself), so a ring mapped where another thread's ring was
// unmapped looks as if its first writes raced with that thread's last ones.
// Ordering every ring's teardown before every later set-up tells it what
// the kernel did.
#ifdef SEASTAR_URING_UNDER_TSAN
char ring_handover;
void ring_unmapping() noexcept {
    __tsan_release(&ring_handover);
}
void ring_mapped() noexcept {
    __tsan_acquire(&ring_handover);
}
#else
void ring_unmapping() noexcept {}
void ring_mapped() noexcept {}
#endif

// io_uring keeps nothing per request beyond the completion's address (the
// sqe's user data). A read's slot remembers whether its fd is a socket
// (-1: not yet known), which decides how the read is submitted.
struct uring_slot {
    int8_t is_socket = -1;
};

using io_completion = completion_backend::io_completion<uring_slot>;

class uring_backend final : public reactor_backend {
    ::io_uring _ring;
    file_desc _wakeup_fd;
    completion_backend::fd_table<uring_slot> _fds;
    // The kernel takes IORING_RECVSEND_POLL_FIRST (5.19, like COOP_TASKRUN).
    bool _poll_first = false;
    // Requests with a completion that the kernel has not completed yet.
    size_t _in_kernel = 0;

    struct wakeup_completion final : completion {
        uring_backend* be;
        explicit wakeup_completion(uring_backend* b) : be(b) {}
        void complete(long) noexcept override {
            in_flight = false;
            uint64_t v;
            while (::read(be->_wakeup_fd.get(), &v, sizeof(v)) > 0) {
            }
            be->arm_wakeup();
        }
    } _wakeup{this};

    ::io_uring_sqe* get_sqe() {
        auto sqe = ::io_uring_get_sqe(&_ring);
        if (!sqe) {
            ::io_uring_submit(&_ring);
            sqe = ::io_uring_get_sqe(&_ring);
            if (!sqe) {
                throw std::system_error(EBUSY, std::system_category(), "io_uring submission queue full");
            }
        }
        return sqe;
    }

    void arm_wakeup() noexcept {
        try {
            auto sqe = get_sqe();
            ::io_uring_prep_poll_add(sqe, _wakeup_fd.get(), POLLIN);
            ::io_uring_sqe_set_data(sqe, static_cast<completion*>(&_wakeup));
            ++_in_kernel;
            _wakeup.in_flight = true;
        } catch (...) {
            // Cannot happen after the submit inside get_sqe() freed the queue.
        }
    }

    bool drain() noexcept {
        bool any = false;
        ::io_uring_cqe* cqe;
        while (::io_uring_peek_cqe(&_ring, &cqe) == 0) {
            auto c = static_cast<completion*>(::io_uring_cqe_get_data(cqe));
            int res = cqe->res;
            ::io_uring_cqe_seen(&_ring, cqe);
            if (c) {
                --_in_kernel;
                c->complete(res);
                any = true;
            }
        }
        return any;
    }

    future<> wait_for(pollable_fd_state& s, bool in) {
        auto& d = _fds.attach(s);
        if (d.op(in).in_flight) {
            throw std::logic_error(in ? "pollable_fd: a read is already pending"
                                      : "pollable_fd: a write is already pending");
        }
        auto& c = d.direction(in);
        auto f = s.wait_for(in);
        try {
            auto sqe = get_sqe();
            ::io_uring_prep_poll_add(sqe, s.fd, in ? POLLIN : POLLOUT);
            ::io_uring_sqe_set_data(sqe, static_cast<completion*>(&c));
            ++_in_kernel;
            c.in_flight = true;
        } catch (...) {
            s.fail(in, std::current_exception());
        }
        return f;
    }

    static bool is_socket(uring_slot& slot, int fd) noexcept {
        if (slot.is_socket < 0) {
            struct ::stat st;
            slot.is_socket = ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
        }
        return slot.is_socket;
    }

public:
    explicit uring_backend(const backend_options& opts)
        : _wakeup_fd(file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        unsigned depth = std::max(opts.queue_depth, 16u);
        int r = -EINVAL;
        int first_error = 0;
        for (auto& setup : ring_setups) {
            ::io_uring_params p{};
            p.flags = setup.flags;
            r = ::io_uring_queue_init_params(depth, &_ring, &p);
            if (r != -EINVAL || setup.flags == 0) {
                if (r == 0 && &setup != &ring_setups[0]) {
                    note_fallback(ring_setups[0].name, setup.name, first_error);
                }
                _poll_first = r == 0 && (setup.flags & IORING_SETUP_COOP_TASKRUN);
                break;
            }
            first_error = first_error ? first_error : -r;
        }
        if (r < 0) {
            throw backend_unavailable(uring_setup_error_message(-r));
        }
        ring_mapped();
        arm_wakeup();
        ::io_uring_submit(&_ring);
    }

    ~uring_backend() override {
        cancel_in_kernel();
        ring_unmapping();
        ::io_uring_queue_exit(&_ring); // _fds then frees the orphans
    }

    // Cancels every request still in the kernel and waits (at most a second)
    // until all have completed. A request holds its file: were the ring left
    // to cancel them itself (it does so in the background once closed), a
    // file the program closed would stay open a while longer, and reopening
    // it (a TAP device's single queue, say) would fail with EBUSY. The
    // completions are only counted, not run: their owners are gone.
    void cancel_in_kernel() noexcept {
        ::io_uring_sqe* sqe;
        try {
            sqe = get_sqe();
        } catch (...) {
            return;
        }
        // Its own completion is told apart by its user data; a kernel
        // before 5.19 refuses ANY (-EINVAL), and then nothing is awaited.
        void* const tag = &_in_kernel;
        ::io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
        ::io_uring_sqe_set_data(sqe, tag);
        if (::io_uring_submit(&_ring) < 0) {
            return;
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        while (_in_kernel > 0 && std::chrono::steady_clock::now() < deadline) {
            ::io_uring_cqe* cqe = nullptr;
            ::__kernel_timespec ts{0, 10'000'000};
            int r = ::io_uring_wait_cqe_timeout(&_ring, &cqe, &ts);
            if (r == -ETIME || r == -EINTR) {
                continue;
            }
            if (r < 0) {
                return;
            }
            void* data = ::io_uring_cqe_get_data(cqe);
            int res = cqe->res;
            ::io_uring_cqe_seen(&_ring, cqe);
            if (data == tag) {
                if (res < 0 && res != -ENOENT) {
                    return;
                }
            } else if (data) {
                --_in_kernel;
            }
        }
    }

    std::string_view name() const noexcept override { return "io_uring"; }

    future<> readable(pollable_fd_state& fd) override { return wait_for(fd, true); }
    future<> writeable(pollable_fd_state& fd) override { return wait_for(fd, false); }

    void forget(pollable_fd_state& s) noexcept override {
        _fds.forget(s, [this](completion& c, uring_slot&) {
            try {
                // Cancels a poll or a socket operation alike (the kernel
                // matches the user data); the request completes with
                // -ECANCELED, or with its result if it won the race.
                auto sqe = get_sqe();
                ::io_uring_prep_cancel64(sqe, uint64_t(uintptr_t(&c)), 0);
                ::io_uring_sqe_set_data(sqe, nullptr);
            } catch (...) {
                // The request stays armed until the fd's file is released;
                // the orphan is freed at its completion or with the backend.
            }
        });
    }

    bool direct_socket_io() const noexcept override { return true; }

    // read/write entries at offset -1 (the file position, as read(2) and
    // write(2)) serve sockets and other pollable fds (a TAP device) alike;
    // the kernel waits for data or space itself.
    future<size_t> submit_socket_io(pollable_fd_state& s, const socket_io_request& req, const char* what) override {
        bool in = req.is_input();
        try {
            auto& d = _fds.attach(s);
            if (d.pending(in)) {
                throw std::logic_error(in ? "pollable_fd: a read is already pending"
                                          : "pollable_fd: a write is already pending");
            }
            auto sqe = get_sqe();
            constexpr size_t max_io = size_t(1) << 30;
            size_t size = std::min(req.size, max_io);
            switch (req.op) {
            case socket_io_request::operation::read:
                if (_poll_first && is_socket(d.rd.slot, s.fd)) {
                    // The socket was found empty (or not tried): wait for
                    // data before the first attempt instead of failing one.
                    ::io_uring_prep_recv(sqe, s.fd, req.addr, size, 0);
                    sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
                } else {
                    ::io_uring_prep_read(sqe, s.fd, req.addr, unsigned(size), uint64_t(-1));
                }
                break;
            case socket_io_request::operation::write:
                ::io_uring_prep_write(sqe, s.fd, req.addr, unsigned(size), uint64_t(-1));
                break;
            case socket_io_request::operation::recvmsg:
                ::io_uring_prep_recvmsg(sqe, s.fd, req.msg, unsigned(req.flags));
                break;
            case socket_io_request::operation::sendmsg:
                ::io_uring_prep_sendmsg(sqe, s.fd, req.msg, unsigned(req.flags));
                break;
            }
            auto& op = d.op(in);
            ::io_uring_sqe_set_data(sqe, static_cast<completion*>(&op));
            ++_in_kernel;
            return op.start(what, size, req.op == socket_io_request::operation::read);
        } catch (...) {
            return make_exception_future<size_t>(std::current_exception());
        }
    }

    future<size_t> submit_io(const io_request& req) override {
        auto sqe = get_sqe();
        auto c = new io_completion("io_uring I/O");
        auto f = c->pr.get_future();
        switch (req.op) {
        case io_request::operation::read:
            ::io_uring_prep_read(sqe, req.fd, req.addr, unsigned(req.size), req.pos);
            break;
        case io_request::operation::write:
            ::io_uring_prep_write(sqe, req.fd, req.addr, unsigned(req.size), req.pos);
            break;
        case io_request::operation::readv:
            ::io_uring_prep_readv(sqe, req.fd, req.iov, unsigned(req.iov_count), req.pos);
            break;
        case io_request::operation::writev:
            ::io_uring_prep_writev(sqe, req.fd, req.iov, unsigned(req.iov_count), req.pos);
            break;
        case io_request::operation::fdatasync:
            ::io_uring_prep_fsync(sqe, req.fd, IORING_FSYNC_DATASYNC);
            break;
        }
        ::io_uring_sqe_set_data(sqe, static_cast<completion*>(c));
        ++_in_kernel;
        c->in_flight = true;
        return f;
    }

    bool poll() noexcept override {
        if (::io_uring_sq_ready(&_ring)) {
            ::io_uring_submit(&_ring);
        }
        return drain();
    }

    void wait(std::optional<std::chrono::nanoseconds> timeout) noexcept override {
        ::io_uring_cqe* cqe = nullptr;
        if (timeout) {
            auto ns = std::max<int64_t>(timeout->count(), 0);
            ::__kernel_timespec ts{ns / 1000000000, ns % 1000000000};
            ::io_uring_submit_and_wait_timeout(&_ring, &cqe, 1, &ts, nullptr);
        } else {
            ::io_uring_submit_and_wait(&_ring, 1);
        }
        drain();
        if (::io_uring_sq_ready(&_ring)) {
            ::io_uring_submit(&_ring);
        }
    }

    void wakeup() noexcept override {
        uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(_wakeup_fd.get(), &one, sizeof(one));
    }
};

} // namespace

std::unique_ptr<reactor_backend> make_uring_backend(const backend_options& opts) {
    try {
        return std::make_unique<uring_backend>(opts);
    } catch (const std::system_error& e) {
        throw backend_unavailable(std::string("io_uring: ") + e.what());
    }
}

namespace {
// First choice by default: on a quiet machine it serves echo at 1.58x the
// plain epoll floor and 2.6x linux-aio, and memcached at ~1.6x Debian's
// (docs/benchmarks.md, "The default backend: io_uring").
const reactor_backend_registration uring_registration("io_uring", 10, make_uring_backend);
} // namespace

} // namespace seastar::internal
