#include "seastar/core/internal/reactor_backend_epoll.hh"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "seastar/core/internal/linux_aio.hh"
#include "seastar/core/internal/reactor_backend_completion.hh"
#include "seastar/core/internal/syscall_pool.hh"
#include "seastar/core/posix.hh"
#include "seastar/util/log.hh"

namespace seastar::internal {

namespace {

logger epoll_log("epoll");

// Disk I/O: epoll cannot report file completions, so disk requests go through
// a linux-aio context (set up on the first request, so that a program without
// disk I/O takes nothing from fs.aio-max-nr), whose completions signal an
// eventfd in the epoll set (IOCB_FLAG_RESFD). When io_setup fails, requests
// run on the blocking-I/O thread instead, said once in the log.

struct disk_context {
    aio_context ctx;
    file_desc done_fd; // written by the kernel as requests complete
    explicit disk_context(unsigned depth) : ctx(depth), done_fd(file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
};

class epoll_backend final : public reactor_backend {
    file_desc _epfd;
    file_desc _wakeup_fd;
    syscall_pool& _blocking; // fdatasync, and disk I/O when linux-aio is unavailable
    unsigned _disk_depth;
    std::unique_ptr<disk_context> _disk;
    bool _disk_unavailable = false;
    // epoll_event::data.ptr of the disk context's eventfd (the wake-up
    // eventfd's is nullptr; a pollable fd's is its state).
    char _disk_tag = 0;
    // fds in the epoll set for a waiter (the wake-up eventfd aside). While
    // there are none, poll() has nothing to ask the kernel, and a busy loop
    // (one that only passes smp messages, say) makes no epoll_wait per turn.
    size_t _armed = 0;
    static constexpr int max_events = 128;

    void update(pollable_fd_state& s, uint32_t events) {
        if (events == s.backend_events) {
            return;
        }
        ::epoll_event ev{};
        ev.events = events;
        ev.data.ptr = &s;
        int op = s.backend_events ? (events ? EPOLL_CTL_MOD : EPOLL_CTL_DEL) : EPOLL_CTL_ADD;
        if (::epoll_ctl(_epfd.get(), op, s.fd, &ev) == -1) {
            // A regular file cannot be polled: it is always ready, as poll(2) says.
            if (errno == EPERM) {
                if (events & EPOLLIN) {
                    s.complete(true);
                }
                if (events & EPOLLOUT) {
                    s.complete(false);
                }
                return;
            }
            throw_system_error(errno, "epoll_ctl");
        }
        _armed += size_t(events != 0) - size_t(s.backend_events != 0);
        s.backend_events = events;
    }

    future<> wait_for(pollable_fd_state& s, bool in) {
        auto f = s.wait_for(in);
        try {
            update(s, s.backend_events | (in ? EPOLLIN : EPOLLOUT));
        } catch (...) {
            s.fail(in, std::current_exception());
        }
        return f;
    }

    void drain_wakeup() noexcept {
        uint64_t v;
        while (::read(_wakeup_fd.get(), &v, sizeof(v)) > 0) {
        }
    }

    bool process(const ::epoll_event* evs, int n) noexcept {
        bool any = false;
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.ptr == nullptr) {
                drain_wakeup();
                continue;
            }
            if (evs[i].data.ptr == &_disk_tag) {
                any |= reap_disk(true);
                continue;
            }
            // A direction stays registered after it woke its waiter: the
            // next wait (a connection's next request, typically) then costs
            // no epoll_ctl. A direction that fires with nobody waiting is
            // dropped, so a level-triggered event does not fire every turn.
            auto& s = *static_cast<pollable_fd_state*>(evs[i].data.ptr);
            uint32_t e = evs[i].events;
            bool err = e & (EPOLLERR | EPOLLHUP);
            uint32_t idle = 0;
            if ((e & EPOLLIN) || (err && (s.backend_events & EPOLLIN))) {
                if (s.pollin_waiting) {
                    s.complete(true);
                } else {
                    idle |= EPOLLIN;
                }
            }
            if ((e & EPOLLOUT) || (err && (s.backend_events & EPOLLOUT))) {
                if (s.pollout_waiting) {
                    s.complete(false);
                } else {
                    idle |= EPOLLOUT;
                }
            }
            try {
                update(s, s.backend_events & ~idle);
            } catch (...) {
                // The fd is gone from under us; its next wait reports the error.
            }
            any = true;
        }
        return any;
    }

    bool do_wait(int timeout_ms, const ::timespec* ts) noexcept {
        ::epoll_event evs[max_events];
        int n;
        if (ts) {
            n = ::epoll_pwait2(_epfd.get(), evs, max_events, ts, nullptr);
            if (n == -1 && errno == ENOSYS) {
                n = ::epoll_wait(_epfd.get(), evs, max_events, timeout_ms);
            }
        } else {
            n = ::epoll_wait(_epfd.get(), evs, max_events, timeout_ms);
        }
        if (n <= 0) {
            return false; // timeout or EINTR (a signal: the reactor looks at it next)
        }
        return process(evs, n);
    }

    // The disk context, set up on first use; nullptr when linux-aio refused.
    disk_context* disk() noexcept {
        if (!_disk && !_disk_unavailable) {
            try {
                auto d = std::make_unique<disk_context>(_disk_depth);
                ::epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.ptr = &_disk_tag;
                throw_system_error_on(::epoll_ctl(_epfd.get(), EPOLL_CTL_ADD, d->done_fd.get(), &ev), "epoll_ctl");
                _disk = std::move(d);
            } catch (const std::exception& e) {
                _disk_unavailable = true;
                epoll_log.warn("disk I/O runs on the blocking-I/O thread: linux-aio is unavailable ({})", e.what());
            }
        }
        return _disk.get();
    }

    // Submits queued disk requests and completes finished ones; `drain`
    // also empties the completion eventfd (after epoll reported it).
    bool reap_disk(bool drain) noexcept {
        if (!_disk) {
            return false;
        }
        if (drain) {
            uint64_t v;
            [[maybe_unused]] auto r = ::read(_disk->done_fd.get(), &v, sizeof(v));
        }
        _disk->ctx.flush();
        ::timespec zero{0, 0};
        return _disk->ctx.reap(0, &zero);
    }

public:
    epoll_backend(syscall_pool& blocking, unsigned disk_depth)
        : _epfd(throw_system_error_on(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
          _wakeup_fd(file_desc::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), _blocking(blocking), _disk_depth(disk_depth) {
        ::epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;
        throw_system_error_on(::epoll_ctl(_epfd.get(), EPOLL_CTL_ADD, _wakeup_fd.get(), &ev), "epoll_ctl");
    }

    std::string_view name() const noexcept override { return "epoll"; }

    future<> readable(pollable_fd_state& fd) override { return wait_for(fd, true); }
    future<> writeable(pollable_fd_state& fd) override { return wait_for(fd, false); }

    void forget(pollable_fd_state& s) noexcept override {
        if (s.backend_events) {
            ::epoll_ctl(_epfd.get(), EPOLL_CTL_DEL, s.fd, nullptr);
            s.backend_events = 0;
            --_armed;
        }
        auto ex = std::make_exception_ptr(std::system_error(ECANCELED, std::system_category(), "pollable_fd closed"));
        s.fail(true, ex);
        s.fail(false, ex);
    }

    future<size_t> submit_io(const io_request& req) override {
        disk_context* d = req.op == io_request::operation::fdatasync ? nullptr : disk();
        if (!d) {
            // fdatasync: most filesystems reject IOCB_CMD_FDSYNC.
            return submit_blocking_io(_blocking, req, "disk I/O");
        }
        return d->ctx.submit_disk_io(req, d->done_fd.get());
    }

    bool poll() noexcept override {
        bool any = reap_disk(false);
        return (_armed != 0 && do_wait(0, nullptr)) || any;
    }

    void wait(std::optional<std::chrono::nanoseconds> timeout) noexcept override {
        if (_disk) {
            _disk->ctx.flush();
        }
        if (!timeout) {
            do_wait(-1, nullptr);
        } else {
            auto ns = std::max<int64_t>(timeout->count(), 0);
            ::timespec ts{time_t(ns / 1000000000), long(ns % 1000000000)};
            int ms = int(std::min<int64_t>((ns + 999999) / 1000000, INT_MAX));
            do_wait(ms, &ts);
        }
    }

    void wakeup() noexcept override {
        uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(_wakeup_fd.get(), &one, sizeof(one));
    }
};

} // namespace

std::unique_ptr<reactor_backend> make_epoll_backend(const backend_options& opts) {
    if (!opts.blocking) {
        throw std::invalid_argument("epoll: backend_options::blocking is required");
    }
    try {
        return std::make_unique<epoll_backend>(*opts.blocking, std::max(opts.queue_depth, 16u));
    } catch (const std::system_error& e) {
        throw backend_unavailable(std::string("epoll: ") + e.what());
    }
}

namespace {
// Last choice by default: readiness only, so every socket operation is a
// syscall after a wake-up, and disk I/O needs a second (linux-aio) context.
const reactor_backend_registration epoll_registration("epoll", 30, make_epoll_backend);
} // namespace

} // namespace seastar::internal
