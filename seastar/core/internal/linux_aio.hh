// A linux-aio context: the part of the linux-aio backend that the epoll
// backend shares for disk I/O (as Seastar does: epoll cannot report file
// completions, so its disk requests go through linux-aio too).
//
//   * aio_context: io_setup/io_destroy, a queue of iocbs submitted together by
//     flush() (one io_submit per batch), and reap() that completes each
//     finished request's `completion_backend::completion` (named by the
//     iocb's aio_data). A poll that finds the completion ring empty costs two
//     loads, not a syscall.
//   * aio_context::submit_disk_io(): queues a disk request (read, write,
//     readv, writev; not fdatasync, which most filesystems reject as
//     IOCB_CMD_FDSYNC) and returns its result's future; with a `resfd` the
//     kernel also signals that eventfd when it completes (IOCB_FLAG_RESFD).
//
// Contract: one thread (the reactor's). The constructor throws
// std::system_error with io_setup's errno (EAGAIN: fs.aio-max-nr exhausted).
// queue() and submit_disk_io() may throw std::bad_alloc and leave nothing
// queued then. Requests the kernel rejects at submission complete with its
// error.
//
//     aio_context ctx(128);
//     auto f = ctx.submit_disk_io(req);
//     ctx.flush();             // once per loop turn
//     ctx.reap(0, &zero);      // completes what finished
#pragma once

#include <linux/aio_abi.h>
#include <time.h>

#include <vector>

#include "seastar/core/future.hh"

#include "seastar/core/internal/reactor_backend.hh"
#include "seastar/core/internal/reactor_backend_completion.hh"

namespace seastar::internal {

// What linux-aio keeps per request: the iocb, whose aio_data points back at
// its completion.
struct aio_slot {
    ::iocb cb{};
};

class aio_context {
    ::aio_context_t _ctx = 0;
    std::vector<::iocb*> _pending; // queued for io_submit

    bool ring_known_empty() const noexcept;

public:
    // Throws std::system_error (io_setup's errno).
    explicit aio_context(unsigned depth);
    ~aio_context(); // cancels what is in flight and waits for it
    aio_context(const aio_context&) = delete;
    aio_context& operator=(const aio_context&) = delete;

    // Queues `cb` for the next flush(); its completion is marked in flight.
    // Leaves room for one queue_reserved().
    void queue(::iocb& cb);
    // Queues without allocating, in the slot that the constructor and every
    // queue() leave free (one request: the backend's wake-up poll).
    void queue_reserved(::iocb& cb) noexcept;
    // Drops `cb` if it is still queued; true if it was.
    bool unqueue(::iocb& cb) noexcept;
    // Asks the kernel to cancel a submitted request; its event still arrives.
    void cancel(::iocb& cb) noexcept;

    // Queues the disk request `req` (not fdatasync); `resfd` >= 0: an eventfd
    // the kernel signals when it completes.
    future<size_t> submit_disk_io(const io_request& req, int resfd = -1);

    // Submits what is queued (stops early when the kernel's queue is full).
    void flush() noexcept;
    // Completes finished requests; waits for at least `min_nr` until
    // `timeout` (nullptr: no limit). True if any completed.
    bool reap(long min_nr, ::timespec* timeout) noexcept;
};

// The completion an iocb names (aio_data).
inline completion_backend::completion* completion_of(const ::iocb& cb) noexcept {
    return reinterpret_cast<completion_backend::completion*>(uintptr_t(cb.aio_data));
}

// Resets `cb` to name `c`.
inline ::iocb& prepare_iocb(::iocb& cb, completion_backend::completion& c) noexcept {
    cb = ::iocb{};
    cb.aio_data = uint64_t(uintptr_t(&c));
    return cb;
}

} // namespace seastar::internal
