// Completion bookkeeping shared by the completion-based reactor backends
// (linux-aio and io_uring): requests the kernel answers later with a result.
//
//   * completion: something the kernel reports back; the backend stores a
//     pointer to it in the request (aio_data, sqe user data) and calls
//     complete(res) with the kernel's result (bytes, a poll mask or -errno).
//   * fd_data<Slot>: per-fd state, one poll request per direction, embedded so
//     that waiting for readiness allocates nothing. `Slot` is what the backend
//     keeps per request (linux-aio: the iocb; io_uring: nothing). Backends
//     with direct socket I/O also use its one socket operation per direction
//     (socket_op: a read or write the kernel completes with its result).
//   * io_completion<Slot>: one disk request; fulfils its promise and frees
//     itself on completion.
//   * fd_table<Slot>: attaches fd_data to pollable_fd_state, and on forget()
//     fails the waiters and keeps fd_data whose polls are still in flight as
//     orphans until their completions arrive (or the backend goes).
//
// Contract: everything runs on the backend's (reactor's) thread. complete()
// is noexcept; failures become std::system_error in the waiters' futures.
//
//     fd_table<aio_slot> fds;
//     auto& d = fds.attach(state);          // d.in / d.out: the two polls
//     fds.forget(state, [&](completion& c, aio_slot& s) { cancel(c, s); });
#pragma once

#include <algorithm>
#include <exception>
#include <system_error>
#include <utility>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/internal/reactor_backend.hh"

namespace seastar::internal::completion_backend {

// std::system_error(err, `what`) as an exception_ptr.
inline std::exception_ptr errno_exception(int err, const char* what) {
    return std::make_exception_ptr(std::system_error(err, std::system_category(), what));
}

struct completion {
    // Submitted (or queued for submission) and not completed yet.
    bool in_flight = false;
    virtual void complete(long res) noexcept = 0;

protected:
    completion() = default;
    completion(const completion&) = delete;
    ~completion() = default;
};

template <typename Slot>
struct fd_data;

template <typename Slot>
struct poll_completion final : completion {
    fd_data<Slot>* owner;
    bool in;
    Slot slot{};
    poll_completion(fd_data<Slot>* o, bool in) noexcept : owner(o), in(in) {}
    void complete(long res) noexcept override {
        in_flight = false;
        auto s = owner->state;
        if (!s) {
            return; // orphaned by forget(); fd_table frees it
        }
        if (res < 0) {
            s->fail(in, errno_exception(int(-res), "poll"));
        } else {
            s->complete(in); // POLLERR/POLLHUP too: the next syscall reports it
        }
    }
};

// One direct socket operation (read/recvmsg or write/sendmsg). Its promise
// is fulfilled only from the kernel's completion, so the caller's buffers
// stay in use until then, also after forget() (which cancels it: ECANCELED).
template <typename Slot>
struct socket_op final : completion {
    fd_data<Slot>* owner;
    promise<size_t> pr;
    const char* what = "";
    size_t size = 0;
    bool is_read = false; // a plain read: keeps the fd's speculate_in
    Slot slot{};
    explicit socket_op(fd_data<Slot>* o) noexcept : owner(o) {}
    // Arms the operation; the caller submits the request naming this completion.
    future<size_t> start(const char* w, size_t sz, bool read) {
        what = w;
        size = sz;
        is_read = read;
        pr = promise<size_t>();
        in_flight = true;
        return pr.get_future();
    }
    void complete(long res) noexcept override {
        in_flight = false;
        auto s = owner->state;
        if (!s) {
            pr.set_exception(errno_exception(ECANCELED, "pollable_fd closed"));
        } else if (res < 0) {
            pr.set_exception(errno_exception(int(-res), what));
        } else {
            if (is_read) {
                s->speculate_in = size_t(res) == size;
            }
            pr.set_value(size_t(res));
        }
    }
};

template <typename Slot>
struct fd_data {
    pollable_fd_state* state;
    poll_completion<Slot> in{this, true};
    poll_completion<Slot> out{this, false};
    socket_op<Slot> rd{this};
    socket_op<Slot> wr{this};
    explicit fd_data(pollable_fd_state* s) noexcept : state(s) {}
    fd_data(const fd_data&) = delete;
    bool busy() const noexcept { return in.in_flight || out.in_flight || rd.in_flight || wr.in_flight; }
    poll_completion<Slot>& direction(bool is_in) noexcept { return is_in ? in : out; }
    socket_op<Slot>& op(bool is_in) noexcept { return is_in ? rd : wr; }
    // A readiness wait or a socket operation is pending in that direction.
    bool pending(bool is_in) const noexcept {
        return is_in ? (state && state->pollin_waiting) || rd.in_flight
                     : (state && state->pollout_waiting) || wr.in_flight;
    }
};

template <typename Slot>
struct io_completion final : completion {
    promise<size_t> pr;
    const char* what;
    Slot slot{};
    explicit io_completion(const char* what) noexcept : what(what) {}
    void complete(long res) noexcept override {
        in_flight = false;
        if (res < 0) {
            pr.set_exception(errno_exception(int(-res), what));
        } else {
            pr.set_value(size_t(res));
        }
        delete this;
    }
};

template <typename Slot>
class fd_table {
    std::vector<fd_data<Slot>*> _orphans; // forgotten fds with polls in flight

public:
    fd_table() = default;
    fd_table(const fd_table&) = delete;
    // Frees the orphans: call after the kernel side is gone (io_destroy,
    // io_uring_queue_exit), so no completion can name them any more.
    ~fd_table() {
        for (auto d : _orphans) {
            delete d;
        }
    }

    // The fd's state, created on first use (may throw std::bad_alloc).
    fd_data<Slot>& attach(pollable_fd_state& s) {
        if (!s.backend_data) {
            s.backend_data = new fd_data<Slot>(&s);
        }
        return *static_cast<fd_data<Slot>*>(s.backend_data);
    }

    // Fails the fd's waiters with ECANCELED and detaches its state; calls
    // `cancel(completion&, Slot&)` for each poll or socket operation still in
    // flight (the operations fail with ECANCELED at their completion). State
    // whose requests remain in flight after that is kept until they complete.
    template <typename Cancel>
    void forget(pollable_fd_state& s, Cancel&& cancel) noexcept {
        auto ex = errno_exception(ECANCELED, "pollable_fd closed");
        s.fail(true, ex);
        s.fail(false, ex);
        auto d = static_cast<fd_data<Slot>*>(s.backend_data);
        if (!d) {
            return;
        }
        s.backend_data = nullptr;
        d->state = nullptr;
        for (auto c : {&d->in, &d->out}) {
            if (c->in_flight) {
                cancel(static_cast<completion&>(*c), c->slot);
            }
        }
        for (auto c : {&d->rd, &d->wr}) {
            if (c->in_flight) {
                cancel(static_cast<completion&>(*c), c->slot);
            }
        }
        // Orphans whose last completion arrived are freed here, so the list
        // stays short.
        std::erase_if(_orphans, [](fd_data<Slot>* o) { return !o->busy() && (delete o, true); });
        if (d->busy()) {
            _orphans.push_back(d);
        } else {
            delete d;
        }
    }
};

} // namespace seastar::internal::completion_backend
