#include "seastar/core/internal/reactor_backend_aio.hh"

#include <linux/aio_abi.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "seastar/core/internal/syscall_pool.hh"
#include "seastar/core/posix.hh"

namespace seastar::internal {

namespace {

int io_setup(unsigned nr, ::aio_context_t* ctx) {
    return int(::syscall(SYS_io_setup, nr, ctx));
}
int io_destroy(::aio_context_t ctx) {
    return int(::syscall(SYS_io_destroy, ctx));
}
int io_submit(::aio_context_t ctx, long n, ::iocb** iocbs) {
    return int(::syscall(SYS_io_submit, ctx, n, iocbs));
}
int io_getevents(::aio_context_t ctx, long min_nr, long nr, ::io_event* events, ::timespec* timeout) {
    return int(::syscall(SYS_io_getevents, ctx, min_nr, nr, events, timeout));
}
int io_cancel(::aio_context_t ctx, ::iocb* cb, ::io_event* result) {
    return int(::syscall(SYS_io_cancel, ctx, cb, result));
}

std::exception_ptr errno_exception(int err, const char* what) {
    return std::make_exception_ptr(std::system_error(err, std::system_category(), what));
}

// Something the kernel reports back through an io_event (aio_data points here).
struct completion {
    ::iocb cb{};
    bool in_flight = false; // submitted (or queued for submission), no event yet
    virtual void complete(long res) noexcept = 0;
    completion() { cb.aio_data = uint64_t(uintptr_t(this)); }
    completion(const completion&) = delete;

protected:
    ~completion() = default;
};

struct fd_data;

struct poll_completion final : completion {
    fd_data* owner;
    bool in;
    poll_completion(fd_data* o, bool in) : owner(o), in(in) {}
    void complete(long res) noexcept override;
};

// Per-fd state: one poll request per direction, embedded so that waiting
// allocates nothing. Outlives its fd when forget() finds requests in flight.
struct fd_data {
    pollable_fd_state* state;
    poll_completion in{this, true};
    poll_completion out{this, false};
    explicit fd_data(pollable_fd_state* s) : state(s) {}
    bool busy() const noexcept { return in.in_flight || out.in_flight; }
};

void poll_completion::complete(long res) noexcept {
    in_flight = false;
    auto s = owner->state;
    if (!s) {
        return; // orphaned by forget(); the backend frees it
    }
    if (res < 0) {
        s->fail(in, errno_exception(int(-res), "IOCB_CMD_POLL"));
    } else {
        s->complete(in); // POLLERR/POLLHUP too: the next syscall reports it
    }
}

struct io_completion final : completion {
    promise<size_t> pr;
    void complete(long res) noexcept override {
        if (res < 0) {
            pr.set_exception(errno_exception(int(-res), "linux-aio I/O"));
        } else {
            pr.set_value(size_t(res));
        }
        delete this;
    }
};

class sync_item final : public syscall_work_item {
    io_request _req;
    long _result = 0;

public:
    promise<size_t> pr;
    explicit sync_item(const io_request& req) noexcept : _req(req) {}
    void process() noexcept override { _result = perform_io_blocking(_req); }
    void complete() noexcept override {
        if (_result < 0) {
            pr.set_exception(errno_exception(int(-_result), "fdatasync"));
        } else {
            pr.set_value(size_t(_result));
        }
    }
};

class aio_backend final : public reactor_backend {
    ::aio_context_t _ctx = 0;
    unsigned _depth;
    file_desc _wakeup_fd;
    std::vector<::iocb*> _pending;  // queued for io_submit
    std::vector<fd_data*> _orphans; // forgotten fds with polls in flight

    struct wakeup_completion final : completion {
        aio_backend* be;
        explicit wakeup_completion(aio_backend* b) : be(b) {}
        void complete(long) noexcept override {
            uint64_t v;
            while (::read(be->_wakeup_fd.get(), &v, sizeof(v)) > 0) {
            }
            be->arm_wakeup();
        }
    } _wakeup{this};

    syscall_pool _sync_thread;

    void queue(completion& c) {
        _pending.reserve(_pending.size() + 1);
        c.in_flight = true;
        _pending.push_back(&c.cb);
    }

    void arm_wakeup() noexcept {
        _wakeup.cb.aio_fildes = uint32_t(_wakeup_fd.get());
        _wakeup.cb.aio_lio_opcode = IOCB_CMD_POLL;
        _wakeup.cb.aio_buf = POLLIN;
        _wakeup.in_flight = true;
        _pending.push_back(&_wakeup.cb); // capacity reserved in the constructor
    }

    static completion* of(::iocb* cb) noexcept { return reinterpret_cast<completion*>(uintptr_t(cb->aio_data)); }

    // Submits what is queued; requests the kernel rejects complete with its error.
    void flush() noexcept {
        size_t done = 0;
        while (done < _pending.size()) {
            int r = io_submit(_ctx, long(_pending.size() - done), _pending.data() + done);
            if (r > 0) {
                done += size_t(r);
            } else if (r == 0 || errno == EAGAIN || errno == EINTR) {
                break; // the ring is full: retry on the next poll
            } else {
                auto c = of(_pending[done++]);
                c->complete(-errno);
            }
        }
        _pending.erase(_pending.begin(), _pending.begin() + long(done));
    }

    // The kernel maps each context's completion ring into the process, at the
    // address io_setup() returned as the context id, headed by this layout
    // (fs/aio.c). Reading head and tail there tells whether any event is
    // waiting without a syscall, so a poll that finds nothing (most loop turns
    // of a busy reactor) costs two loads instead of an io_getevents() call.
    struct aio_ring_header {
        unsigned id;
        unsigned nr;
        unsigned head;
        unsigned tail;
        unsigned magic;
        unsigned compat_features;
        unsigned incompat_features;
        unsigned header_length;
    };
    static constexpr unsigned aio_ring_magic = 0xa10a10a1;

    bool ring_known_empty() const noexcept {
        auto ring = reinterpret_cast<const aio_ring_header*>(uintptr_t(_ctx));
        if (__atomic_load_n(&ring->magic, __ATOMIC_RELAXED) != aio_ring_magic) {
            return false; // not the layout we know: ask the kernel
        }
        return __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE) == __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
    }

    bool reap(long min_nr, ::timespec* timeout) noexcept {
        if (min_nr == 0 && ring_known_empty()) {
            return false;
        }
        ::io_event evs[128];
        int n = io_getevents(_ctx, min_nr, 128, evs, timeout);
        if (n <= 0) {
            return false;
        }
        for (int i = 0; i < n; ++i) {
            reinterpret_cast<completion*>(uintptr_t(evs[i].data))->complete(long(evs[i].res));
        }
        return true;
    }

    future<> wait_for(pollable_fd_state& s, bool in) {
        if (!s.backend_data) {
            s.backend_data = new fd_data(&s);
        }
        auto d = static_cast<fd_data*>(s.backend_data);
        auto f = s.wait_for(in);
        auto& c = in ? d->in : d->out;
        c.cb = ::iocb{};
        c.cb.aio_data = uint64_t(uintptr_t(static_cast<completion*>(&c)));
        c.cb.aio_fildes = uint32_t(s.fd);
        c.cb.aio_lio_opcode = IOCB_CMD_POLL;
        c.cb.aio_buf = in ? POLLIN : POLLOUT;
        try {
            queue(c);
        } catch (...) {
            s.fail(in, std::current_exception());
        }
        return f;
    }

public:
    explicit aio_backend(const backend_options& opts)
        : _depth(std::max(opts.queue_depth, 16u)), _wakeup_fd(file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
          _sync_thread([this] { wakeup(); }) {
        if (io_setup(_depth, &_ctx) == -1) {
            int err = errno;
            if (err == EAGAIN) {
                throw backend_unavailable(
                    "linux-aio: io_setup(" + std::to_string(_depth) +
                    ") failed with EAGAIN: fs.aio-max-nr is exhausted (raise it with sysctl fs.aio-max-nr)");
            }
            throw backend_unavailable(std::string("linux-aio: io_setup failed: ") + std::strerror(err));
        }
        _pending.reserve(64);
        arm_wakeup();
        flush();
    }

    ~aio_backend() override {
        io_destroy(_ctx); // cancels what is in flight and waits for it
        for (auto d : _orphans) {
            delete d;
        }
    }

    std::string_view name() const noexcept override { return "linux-aio"; }

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
        for (auto c : {static_cast<completion*>(&d->in), static_cast<completion*>(&d->out)}) {
            if (!c->in_flight) {
                continue;
            }
            auto it = std::find(_pending.begin(), _pending.end(), &c->cb);
            if (it != _pending.end()) {
                _pending.erase(it);
                c->in_flight = false;
            } else {
                ::io_event ev;
                io_cancel(_ctx, &c->cb, &ev); // the event still arrives through the ring
            }
        }
        if (d->busy()) {
            _orphans.push_back(d);
            // Orphans free themselves when their last event arrives; drop the
            // ones that did so the list stays short.
            std::erase_if(_orphans, [](fd_data* o) { return !o->busy() && (delete o, true); });
        } else {
            delete d;
        }
    }

    future<size_t> submit_io(const io_request& req) override {
        if (req.op == io_request::operation::fdatasync) {
            auto item = std::make_unique<sync_item>(req);
            auto f = item->pr.get_future();
            _sync_thread.submit(std::move(item));
            return f;
        }
        auto c = new io_completion();
        auto f = c->pr.get_future();
        auto& cb = c->cb;
        cb.aio_fildes = uint32_t(req.fd);
        cb.aio_offset = int64_t(req.pos);
        switch (req.op) {
        case io_request::operation::read:
            cb.aio_lio_opcode = IOCB_CMD_PREAD;
            cb.aio_buf = uint64_t(uintptr_t(req.addr));
            cb.aio_nbytes = req.size;
            break;
        case io_request::operation::write:
            cb.aio_lio_opcode = IOCB_CMD_PWRITE;
            cb.aio_buf = uint64_t(uintptr_t(req.addr));
            cb.aio_nbytes = req.size;
            break;
        case io_request::operation::readv:
            cb.aio_lio_opcode = IOCB_CMD_PREADV;
            cb.aio_buf = uint64_t(uintptr_t(req.iov));
            cb.aio_nbytes = req.iov_count;
            break;
        case io_request::operation::writev:
            cb.aio_lio_opcode = IOCB_CMD_PWRITEV;
            cb.aio_buf = uint64_t(uintptr_t(req.iov));
            cb.aio_nbytes = req.iov_count;
            break;
        case io_request::operation::fdatasync:
            break;
        }
        try {
            queue(*c);
        } catch (...) {
            delete c;
            throw;
        }
        return f;
    }

    bool poll() noexcept override {
        flush();
        bool any = _sync_thread.complete_ready();
        ::timespec zero{0, 0};
        return reap(0, &zero) || any;
    }

    void wait(std::optional<std::chrono::nanoseconds> timeout) noexcept override {
        flush();
        if (_sync_thread.complete_ready()) {
            timeout = std::chrono::nanoseconds(0);
        }
        if (timeout) {
            auto ns = std::max<int64_t>(timeout->count(), 0);
            ::timespec ts{time_t(ns / 1000000000), long(ns % 1000000000)};
            reap(1, &ts);
        } else {
            reap(1, nullptr);
        }
        flush();
        _sync_thread.complete_ready();
    }

    void wakeup() noexcept override {
        uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(_wakeup_fd.get(), &one, sizeof(one));
    }
};

} // namespace

std::unique_ptr<reactor_backend> make_aio_backend(const backend_options& opts) {
    try {
        return std::make_unique<aio_backend>(opts);
    } catch (const std::system_error& e) {
        throw backend_unavailable(std::string("linux-aio: ") + e.what());
    }
}

} // namespace seastar::internal
