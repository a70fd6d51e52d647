#include "seastar/core/internal/reactor_backend_aio.hh"

#include <linux/aio_abi.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "seastar/core/internal/linux_aio.hh"
#include "seastar/core/internal/reactor_backend_completion.hh"
#include "seastar/core/internal/syscall_pool.hh"
#include "seastar/core/posix.hh"

namespace seastar::internal {

namespace {

using completion_backend::completion;

using fd_data = completion_backend::fd_data<aio_slot>;

class aio_backend final : public reactor_backend {
    // Declared first so that it goes last: its orphans are freed after the
    // context is destroyed (fd_table's contract).
    completion_backend::fd_table<aio_slot> _fds;
    aio_context _ctx;
    file_desc _wakeup_fd;
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

    void arm_wakeup() noexcept {
        auto& cb = prepare_iocb(_wakeup.slot.cb, _wakeup);
        cb.aio_fildes = uint32_t(_wakeup_fd.get());
        cb.aio_lio_opcode = IOCB_CMD_POLL;
        cb.aio_buf = POLLIN;
        _ctx.queue_reserved(cb); // the slot the context keeps free
    }

    static syscall_pool& required(syscall_pool* p) {
        if (!p) {
            throw std::invalid_argument("linux-aio: backend_options::blocking is required");
        }
        return *p;
    }

    static aio_context make_context(unsigned depth) {
        try {
            return aio_context(depth);
        } catch (const std::system_error& e) {
            if (e.code().value() == EAGAIN) {
                throw backend_unavailable(
                    "linux-aio: io_setup(" + std::to_string(depth) +
                    ") failed with EAGAIN: fs.aio-max-nr is exhausted (raise it with sysctl fs.aio-max-nr)");
            }
            throw backend_unavailable(std::string("linux-aio: io_setup failed: ") + e.code().message());
        }
    }

    future<> wait_for(pollable_fd_state& s, bool in) {
        auto& c = _fds.attach(s).direction(in);
        auto f = s.wait_for(in);
        auto& cb = prepare_iocb(c.slot.cb, c);
        cb.aio_fildes = uint32_t(s.fd);
        cb.aio_lio_opcode = IOCB_CMD_POLL;
        cb.aio_buf = in ? POLLIN : POLLOUT;
        try {
            _ctx.queue(cb);
        } catch (...) {
            s.fail(in, std::current_exception());
        }
        return f;
    }

public:
    explicit aio_backend(const backend_options& opts)
        : _ctx(make_context(std::max(opts.queue_depth, 16u))),
          _wakeup_fd(file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), _blocking(required(opts.blocking)) {
        arm_wakeup();
        _ctx.flush();
    }

    std::string_view name() const noexcept override { return "linux-aio"; }

    future<> readable(pollable_fd_state& fd) override { return wait_for(fd, true); }
    future<> writeable(pollable_fd_state& fd) override { return wait_for(fd, false); }

    void forget(pollable_fd_state& s) noexcept override {
        _fds.forget(s, [this](completion&, aio_slot& slot) {
            if (!_ctx.unqueue(slot.cb)) {
                _ctx.cancel(slot.cb);
            }
        });
    }

    future<size_t> submit_io(const io_request& req) override {
        if (req.op == io_request::operation::fdatasync) {
            // Most filesystems reject IOCB_CMD_FDSYNC.
            return submit_blocking_io(_blocking, req, "fdatasync");
        }
        return _ctx.submit_disk_io(req);
    }

    bool poll() noexcept override {
        _ctx.flush();
        ::timespec zero{0, 0};
        return _ctx.reap(0, &zero);
    }

    void wait(std::optional<std::chrono::nanoseconds> timeout) noexcept override {
        _ctx.flush();
        if (timeout) {
            auto ns = std::max<int64_t>(timeout->count(), 0);
            ::timespec ts{time_t(ns / 1000000000), long(ns % 1000000000)};
            _ctx.reap(1, &ts);
        } else {
            _ctx.reap(1, nullptr);
        }
        _ctx.flush();
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
// Second choice by default: level with epoll on network traffic, behind
// io_uring (docs/benchmarks.md, "The default backend: io_uring"); it still
// submits disk I/O asynchronously where io_uring is unavailable.
const reactor_backend_registration aio_registration("linux-aio", 20, make_aio_backend);
} // namespace

} // namespace seastar::internal
