// A linux-aio context: the part of the linux-aio backend that the epoll
// backend shares for disk I/O (as Seastar does: epoll cannot report file
// completions, so its disk requests go through linux-aio too).
//
//   * aio_context: io_setup/io_destroy, a queue of iocbs submitted together by
//     flush() (one io_submit per batch), and reap() that completes each
//     finished request's `completion_backend::completion` (named by the
//     iocb's aio_data). A poll that finds the completion ring empty costs two
//     loads, not a syscall.
//   * prepare_disk_io(): fills an iocb from an io_request (read, write, readv,
//     writev; fdatasync is not submitted through linux-aio: most filesystems
//     reject IOCB_CMD_FDSYNC).
//
// Contract: one thread (the reactor's). The constructor throws
// std::system_error with io_setup's errno (EAGAIN: fs.aio-max-nr exhausted).
// queue() may throw std::bad_alloc and leaves nothing queued then. Requests
// the kernel rejects at submission complete with its error.
//
//     aio_context ctx(128);
//     prepare_disk_io(slot.cb, req, &completion);
//     ctx.queue(slot.cb);
//     ctx.flush();             // once per loop turn
//     ctx.reap(0, &zero);      // completes what finished
#pragma once

#include <linux/aio_abi.h>
#include <time.h>

#include <vector>

#include "seastar/core/internal/reactor_backend.hh"
#include "seastar/core/internal/reactor_backend_completion.hh"

namespace seastar::internal {

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

    // Submits what is queued (stops early when the kernel's queue is full).
    void flush() noexcept;
    // Completes finished requests; waits for at least `min_nr` until
    // `timeout` (nullptr: no limit). True if any completed.
    bool reap(long min_nr, ::timespec* timeout) noexcept;
    bool has_queued() const noexcept { return !_pending.empty(); }
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

// Resets `cb` to the disk request `req` (not fdatasync) naming `c`.
void prepare_disk_io(::iocb& cb, const io_request& req, completion_backend::completion& c) noexcept;

} // namespace seastar::internal
