#include "seastar/core/internal/reactor_backend_aio.hh"

#include <linux/aio_abi.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "seastar/core/internal/reactor_backend_completion.hh"
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

using completion_backend::completion;
using completion_backend::errno_exception;

// What linux-aio keeps per request: the iocb, whose aio_data points back at
// its completion.
struct aio_slot {
    ::iocb cb{};
};

using fd_data = completion_backend::fd_data<aio_slot>;
using io_completion = completion_backend::io_completion<aio_slot>;

::iocb& prepare(completion& c, aio_slot& slot) noexcept {
    slot.cb = ::iocb{};
    slot.cb.aio_data = uint64_t(uintptr_t(&c));
    return slot.cb;
}

class aio_backend final : public reactor_backend {
    ::aio_context_t _ctx = 0;
    unsigned _depth;
    file_desc _wakeup_fd;
    std::vector<::iocb*> _pending; // queued for io_submit
    completion_backend::fd_table<aio_slot> _fds;
    syscall_pool& _blocking;

    struct wakeup_completion final : completion {
        aio_backend* be;
        aio_slot slot;
        explicit wakeup_completion(aio_backend* b) : be(b) {}
        void complete(long) noexcept override {
            in_flight = false;
            uint64_t v;
            while (::read(be->_wakeup_fd.get(), &v, sizeof(v)) > 0) {
            }
            be->arm_wakeup();
        }
    } _wakeup{this};

    void queue(completion& c, ::iocb& cb) {
        _pending.reserve(_pending.size() + 1);
        c.in_flight = true;
        _pending.push_back(&cb);
    }

    void arm_wakeup() noexcept {
        auto& cb = prepare(_wakeup, _wakeup.slot);
        cb.aio_fildes = uint32_t(_wakeup_fd.get());
        cb.aio_lio_opcode = IOCB_CMD_POLL;
        cb.aio_buf = POLLIN;
        _wakeup.in_flight = true;
        _pending.push_back(&cb); // capacity reserved in the constructor
    }

    static syscall_pool& required(syscall_pool* p) {
        if (!p) {
            throw std::invalid_argument("linux-aio: backend_options::blocking is required");
        }
        return *p;
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
        auto& c = _fds.attach(s).direction(in);
        auto f = s.wait_for(in);
        auto& cb = prepare(c, c.slot);
        cb.aio_fildes = uint32_t(s.fd);
        cb.aio_lio_opcode = IOCB_CMD_POLL;
        cb.aio_buf = in ? POLLIN : POLLOUT;
        try {
            queue(c, cb);
        } catch (...) {
            s.fail(in, std::current_exception());
        }
        return f;
    }

public:
    explicit aio_backend(const backend_options& opts)
        : _depth(std::max(opts.queue_depth, 16u)), _wakeup_fd(file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
          _blocking(required(opts.blocking)) {
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
        io_destroy(_ctx); // cancels what is in flight and waits for it; _fds then frees the orphans
    }

    std::string_view name() const noexcept override { return "linux-aio"; }

    future<> readable(pollable_fd_state& fd) override { return wait_for(fd, true); }
    future<> writeable(pollable_fd_state& fd) override { return wait_for(fd, false); }

    void forget(pollable_fd_state& s) noexcept override {
        _fds.forget(s, [this](completion& c, aio_slot& slot) {
            auto it = std::find(_pending.begin(), _pending.end(), &slot.cb);
            if (it != _pending.end()) {
                _pending.erase(it);
                c.in_flight = false;
            } else {
                ::io_event ev;
                io_cancel(_ctx, &slot.cb, &ev); // the event still arrives through the ring
            }
        });
    }

    future<size_t> submit_io(const io_request& req) override {
        if (req.op == io_request::operation::fdatasync) {
            // Most filesystems reject IOCB_CMD_FDSYNC.
            return submit_blocking_io(_blocking, req, "fdatasync");
        }
        auto c = new io_completion("linux-aio I/O");
        auto f = c->pr.get_future();
        auto& cb = prepare(*c, c->slot);
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
            queue(*c, cb);
        } catch (...) {
            delete c;
            throw;
        }
        return f;
    }

    bool poll() noexcept override {
        flush();
        ::timespec zero{0, 0};
        return reap(0, &zero);
    }

    void wait(std::optional<std::chrono::nanoseconds> timeout) noexcept override {
        flush();
        if (timeout) {
            auto ns = std::max<int64_t>(timeout->count(), 0);
            ::timespec ts{time_t(ns / 1000000000), long(ns % 1000000000)};
            reap(1, &ts);
        } else {
            reap(1, nullptr);
        }
        flush();
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

namespace {
// First choice by default: on this project's machines it matched epoll on
// network throughput (docs/benchmarks.md) and submits disk I/O asynchronously.
const reactor_backend_registration aio_registration("linux-aio", 10, make_aio_backend);
} // namespace

} // namespace seastar::internal
