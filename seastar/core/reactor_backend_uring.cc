#include "seastar/core/internal/reactor_backend_uring.hh"

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "seastar/core/posix.hh"

namespace seastar::internal {

std::string uring_setup_error_message(int err) {
    switch (err) {
    case ENOSYS: return "io_uring: the kernel does not support io_uring (ENOSYS)";
    case EPERM:
        return "io_uring: creating a ring is not permitted (EPERM): io_uring is disabled by "
               "sysctl kernel.io_uring_disabled or by a seccomp/container policy";
    case ENOMEM:
        return "io_uring: not enough locked memory for the ring (ENOMEM): raise RLIMIT_MEMLOCK "
               "(ulimit -l) or lower the queue depth";
    default: return std::string("io_uring: io_uring_queue_init failed: ") + std::strerror(err);
    }
}

namespace {

std::exception_ptr errno_exception(int err, const char* what) {
    return std::make_exception_ptr(std::system_error(err, std::system_category(), what));
}

struct completion {
    bool in_flight = false;
    virtual void complete(int res) noexcept = 0;

protected:
    ~completion() = default;
};

struct fd_data;

struct poll_completion final : completion {
    fd_data* owner;
    bool in;
    poll_completion(fd_data* o, bool in) : owner(o), in(in) {}
    void complete(int res) noexcept override;
};

struct fd_data {
    pollable_fd_state* state;
    poll_completion in{this, true};
    poll_completion out{this, false};
    explicit fd_data(pollable_fd_state* s) : state(s) {}
    bool busy() const noexcept { return in.in_flight || out.in_flight; }
};

void poll_completion::complete(int res) noexcept {
    in_flight = false;
    auto s = owner->state;
    if (!s) {
        return;  // orphaned by forget(); the backend frees it
    }
    if (res < 0) {
        s->fail(in, errno_exception(-res, "IORING_OP_POLL_ADD"));
    } else {
        s->complete(in);
    }
}

struct io_completion final : completion {
    promise<size_t> pr;
    void complete(int res) noexcept override {
        if (res < 0) {
            pr.set_exception(errno_exception(-res, "io_uring I/O"));
        } else {
            pr.set_value(size_t(res));
        }
        delete this;
    }
};

class uring_backend final : public reactor_backend {
    ::io_uring _ring;
    file_desc _wakeup_fd;
    std::vector<fd_data*> _orphans;

    struct wakeup_completion final : completion {
        uring_backend* be;
        explicit wakeup_completion(uring_backend* b) : be(b) {}
        void complete(int) noexcept override {
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
                c->complete(res);
                any = true;
            }
        }
        return any;
    }

    future<> wait_for(pollable_fd_state& s, bool in) {
        if (!s.backend_data) {
            s.backend_data = new fd_data(&s);
        }
        auto d = static_cast<fd_data*>(s.backend_data);
        auto f = s.wait_for(in);
        auto& c = in ? d->in : d->out;
        try {
            auto sqe = get_sqe();
            ::io_uring_prep_poll_add(sqe, s.fd, in ? POLLIN : POLLOUT);
            ::io_uring_sqe_set_data(sqe, static_cast<completion*>(&c));
            c.in_flight = true;
        } catch (...) {
            s.fail(in, std::current_exception());
        }
        return f;
    }

public:
    explicit uring_backend(const backend_options& opts) : _wakeup_fd(file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        unsigned depth = std::max(opts.queue_depth, 16u);
        int r = ::io_uring_queue_init(depth, &_ring, 0);
        if (r < 0) {
            throw backend_unavailable(uring_setup_error_message(-r));
        }
        arm_wakeup();
        ::io_uring_submit(&_ring);
    }

    ~uring_backend() override {
        ::io_uring_queue_exit(&_ring);
        for (auto d : _orphans) {
            delete d;
        }
    }

    std::string_view name() const noexcept override { return "io_uring"; }

    future<> readable(pollable_fd_state& fd) override { return wait_for(fd, true); }
    future<> writeable(pollable_fd_state& fd) override { return wait_for(fd, false); }

    void forget(pollable_fd_state& s) noexcept override {
        auto ex = errno_exception(ECANCELED, "pollable_fd closed");
        s.fail(true, ex);
        s.fail(false, ex);
        auto d = static_cast<fd_data*>(s.backend_data);
        if (!d) {
            return;
        }
        s.backend_data = nullptr;
        d->state = nullptr;
        for (auto c : {&d->in, &d->out}) {
            if (!c->in_flight) {
                continue;
            }
            try {
                auto sqe = get_sqe();
                ::io_uring_prep_poll_remove(sqe, uint64_t(uintptr_t(static_cast<completion*>(c))));
                ::io_uring_sqe_set_data(sqe, nullptr);
            } catch (...) {
                // The poll stays armed until the fd's file is released; the
                // orphan is freed at its completion or with the backend.
            }
        }
        if (d->busy()) {
            std::erase_if(_orphans, [](fd_data* o) { return !o->busy() && (delete o, true); });
            _orphans.push_back(d);
        } else {
            delete d;
        }
    }

    future<size_t> submit_io(const io_request& req) override {
        auto sqe = get_sqe();
        auto c = new io_completion();
        auto f = c->pr.get_future();
        switch (req.op) {
        case io_request::operation::read: ::io_uring_prep_read(sqe, req.fd, req.addr, unsigned(req.size), req.pos); break;
        case io_request::operation::write: ::io_uring_prep_write(sqe, req.fd, req.addr, unsigned(req.size), req.pos); break;
        case io_request::operation::readv:
            ::io_uring_prep_readv(sqe, req.fd, req.iov, unsigned(req.iov_count), req.pos);
            break;
        case io_request::operation::writev:
            ::io_uring_prep_writev(sqe, req.fd, req.iov, unsigned(req.iov_count), req.pos);
            break;
        case io_request::operation::fdatasync: ::io_uring_prep_fsync(sqe, req.fd, IORING_FSYNC_DATASYNC); break;
        }
        ::io_uring_sqe_set_data(sqe, static_cast<completion*>(c));
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

} // namespace seastar::internal
