#include "seastar/core/internal/reactor_backend_uring.hh"

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
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

class multishot_read;

// io_uring keeps nothing per request beyond the completion's address (the
// sqe's user data). A read's slot remembers what its fd is (decides how the
// read is submitted) and, for a stream socket, its multishot receive.
struct uring_slot {
    enum class kind : int8_t { unknown, other, socket, stream_socket };
    kind fd_kind = kind::unknown;
    multishot_read* multishot = nullptr;
};

using io_completion = completion_backend::io_completion<uring_slot>;
using uring_fd_data = completion_backend::fd_data<uring_slot>;

// Buffers the kernel fills with what multishot receives take from sockets
// (a provided-buffer ring, group 0). A buffer leaves the ring with the
// completion that names it and comes back once a read has copied all of it.
// Set up on first use; the kernel of 5.19 and later has it.
class recv_buffer_ring {
public:
    static constexpr unsigned count = 256; // a power of two
    static constexpr unsigned buffer_size = 16384;
    static constexpr unsigned short group = 0;

    recv_buffer_ring() = default;
    recv_buffer_ring(const recv_buffer_ring&) = delete;
    ~recv_buffer_ring() {
        if (_memory) {
            ::munmap(_memory, size_t(count) * buffer_size);
        }
        if (_ring) {
            ::munmap(_ring, ring_bytes());
        }
    }

    // Registers the ring with `ring`; false if the kernel refuses.
    bool start(::io_uring& ring) noexcept {
        void* r = ::mmap(nullptr, ring_bytes(), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        if (r == MAP_FAILED) {
            return false;
        }
        void* m = ::mmap(nullptr, size_t(count) * buffer_size, PROT_READ | PROT_WRITE,
                         MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) {
            ::munmap(r, ring_bytes());
            return false;
        }
        _ring = static_cast<::io_uring_buf_ring*>(r);
        _memory = static_cast<char*>(m);
        ::io_uring_buf_ring_init(_ring);
        ::io_uring_buf_reg reg{};
        reg.ring_addr = uint64_t(uintptr_t(_ring));
        reg.ring_entries = count;
        reg.bgid = group;
        if (::io_uring_register_buf_ring(&ring, &reg, 0) < 0) {
            return false; // the destructor unmaps
        }
        for (unsigned bid = 0; bid < count; ++bid) {
            put(bid, int(bid));
        }
        ::io_uring_buf_ring_advance(_ring, int(count));
        _available = count;
        return true;
    }

    char* at(unsigned bid) const noexcept { return _memory + size_t(bid) * buffer_size; }
    unsigned available() const noexcept { return _available; }
    // A completion named buffer `bid`: it is the program's until give_back().
    void taken() noexcept { --_available; }
    void give_back(unsigned bid) noexcept {
        put(bid, 0);
        ::io_uring_buf_ring_advance(_ring, 1);
        ++_available;
    }

private:
    // Puts buffer `bid` in the ring's slot `offset` entries past its tail
    // (the kernel sees it after the next advance).
    void put(unsigned bid, int offset) noexcept {
        ::io_uring_buf_ring_add(_ring, at(bid), buffer_size, uint16_t(bid), ::io_uring_buf_ring_mask(count), offset);
    }
    static size_t ring_bytes() noexcept { return (count * sizeof(::io_uring_buf) + 4095) & ~size_t(4095); }
    ::io_uring_buf_ring* _ring = nullptr;
    char* _memory = nullptr;
    unsigned _available = 0;
};

class uring_backend;

// A stream socket's multishot receive. Once a plain read of the socket finds
// it empty, one request stays armed in the kernel and receives whatever
// arrives into the ring's buffers, one completion per arrival, until it ends
// (end of stream, an error, or no buffer left). A read then copies from the
// held buffers, or waits for the next completion. Compared with a request
// per read, the kernel keeps its wait on the socket armed instead of
// arming and tearing it down for every message, and the reactor submits
// nothing per read.
//
// A flow whose arrivals fill whole buffers is a bulk transfer: each byte
// would be copied twice, so the request is cancelled, and reads go straight
// to the socket again (and to one-shot requests) for a while.
//
// Held input orders everything after it: while the socket has a request
// armed or data held, pollable_fd_state::input_held is set, so that no
// read tries the syscall directly.
class multishot_read {
public:
    multishot_read(uring_backend& be, uring_fd_data& owner) noexcept : _be(be), _owner(&owner), _fd(owner.state->fd) {}
    multishot_read(const multishot_read&) = delete;

    // Serves a plain read from held data, or arms (if needed) and waits.
    // nullopt: nothing is held and no request is armed, and this read should
    // be a request of its own (buffers are short, or the flow is bulk).
    std::optional<future<size_t>> read(char* addr, size_t size, const char* what);
    void on_completion(int res, unsigned flags) noexcept;
    // The fd is being forgotten: fails a waiting read, returns the buffers,
    // cancels the request. True if it can be freed now (nothing in the kernel).
    bool detach() noexcept;
    bool has_input() const noexcept { return _head < _ready.size() || _end != 0; }
    uint64_t user_data() const noexcept { return uint64_t(uintptr_t(this)) | 1; }
    static multishot_read* from_user_data(uint64_t ud) noexcept {
        return reinterpret_cast<multishot_read*>(uintptr_t(ud & ~uint64_t(1)));
    }
    static bool is_multishot(uint64_t ud) noexcept { return ud & 1; }

    size_t live_index = 0; // in uring_backend::_multishots

private:
    struct chunk {
        uint16_t bid;
        uint32_t offset;
        uint32_t length;
    };
    static constexpr int eof = 1;
    // Reads that go to one-shot requests after a bulk flow was seen.
    static constexpr unsigned bulk_pause = 64;
    // Buffers left for other sockets: below this, a socket is not armed.
    static constexpr unsigned reserve = 16;

    uring_backend& _be;
    uring_fd_data* _owner; // nullptr once detached
    int _fd;
    bool _armed = false;
    bool _cancelling = false;
    unsigned _pause = 0;
    // 0, eof, or -errno: what reads get once the held data is gone.
    int _end = 0;
    std::vector<chunk> _ready;
    size_t _head = 0;
    // The read waiting for data (its promise is the fd's rd operation).
    char* _want = nullptr;
    size_t _want_size = 0;
    bool _waiting = false;

    void arm();
    size_t take(char* to, size_t size) noexcept;
    long take_input(char* to, size_t size) noexcept;
    void finish_wait() noexcept;
    void sync_held() noexcept {
        if (_owner && _owner->state) {
            _owner->state->input_held = _armed || has_input();
        }
    }
};

class uring_backend final : public reactor_backend {
    friend class multishot_read;
    ::io_uring _ring;
    file_desc _wakeup_fd;
    completion_backend::fd_table<uring_slot> _fds;
    // The kernel takes IORING_RECVSEND_POLL_FIRST (5.19, like COOP_TASKRUN).
    bool _poll_first = false;
    // Requests with a completion that the kernel has not completed yet.
    size_t _in_kernel = 0;
    // Multishot receives: the buffers, whether the kernel took them
    // (unknown until a socket first needs them), and every live one.
    recv_buffer_ring _bufs;
    enum class buffers_state : uint8_t { unknown, usable, refused } _bufs_state = buffers_state::unknown;
    std::vector<multishot_read*> _multishots;

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
            uint64_t ud = cqe->user_data;
            int res = cqe->res;
            unsigned flags = cqe->flags;
            ::io_uring_cqe_seen(&_ring, cqe);
            if (multishot_read::is_multishot(ud)) {
                multishot_read::from_user_data(ud)->on_completion(res, flags);
                any = true;
                continue;
            }
            auto c = reinterpret_cast<completion*>(uintptr_t(ud));
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
        if (in && d.rd.slot.multishot && d.rd.slot.multishot->has_input()) {
            s.complete(true);
            return f;
        }
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

    static uring_slot::kind fd_kind(uring_slot& slot, int fd) noexcept {
        if (slot.fd_kind == uring_slot::kind::unknown) {
            struct ::stat st;
            int type = 0;
            ::socklen_t len = sizeof(type);
            if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
                slot.fd_kind = uring_slot::kind::other;
            } else if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM) {
                slot.fd_kind = uring_slot::kind::stream_socket;
            } else {
                slot.fd_kind = uring_slot::kind::socket;
            }
        }
        return slot.fd_kind;
    }

    // The stream socket's multishot receive, made on first use; nullptr
    // where there is none (not a stream socket, no buffer ring).
    multishot_read* multishot_for(uring_fd_data& d) {
        auto& slot = d.rd.slot;
        if (slot.multishot) {
            return slot.multishot;
        }
        if (!_poll_first || fd_kind(slot, d.state->fd) != uring_slot::kind::stream_socket) {
            return nullptr;
        }
        if (_bufs_state == buffers_state::unknown) {
            _bufs_state = _bufs.start(_ring) ? buffers_state::usable : buffers_state::refused;
        }
        if (_bufs_state != buffers_state::usable) {
            return nullptr;
        }
        auto m = new multishot_read(*this, d);
        try {
            _multishots.push_back(m);
        } catch (...) {
            delete m;
            throw;
        }
        m->live_index = _multishots.size() - 1;
        slot.multishot = m;
        return m;
    }

    // Asks the kernel to cancel the request whose user data is `ud` (it
    // completes with -ECANCELED, or with its result if it won the race); the
    // cancellation's own completion is ignored. Throws what get_sqe() throws.
    void submit_cancel(uint64_t ud) {
        auto sqe = get_sqe();
        ::io_uring_prep_cancel64(sqe, ud, 0);
        ::io_uring_sqe_set_data(sqe, nullptr);
    }

    // A receive into [addr, addr + size) on socket `fd` that waits for data
    // before its first attempt instead of failing one (the socket was found
    // empty, or not tried).
    static void prep_polling_recv(::io_uring_sqe* sqe, int fd, void* addr, size_t size) noexcept {
        ::io_uring_prep_recv(sqe, fd, addr, size, 0);
        sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
    }

    // Submits prep_polling_recv(), completing `c`.
    void submit_polling_recv(int fd, void* addr, size_t size, completion& c) {
        auto sqe = get_sqe();
        prep_polling_recv(sqe, fd, addr, size);
        ::io_uring_sqe_set_data(sqe, &c);
        ++_in_kernel;
    }

    void retire(multishot_read* m) noexcept {
        auto i = m->live_index;
        _multishots[i] = _multishots.back();
        _multishots[i]->live_index = i;
        _multishots.pop_back();
        delete m;
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
        for (auto m : _multishots) {
            delete m;
        }
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
            bool more = cqe->flags & IORING_CQE_F_MORE;
            ::io_uring_cqe_seen(&_ring, cqe);
            if (data == tag) {
                if (res < 0 && res != -ENOENT) {
                    return;
                }
            } else if (data && !(multishot_read::is_multishot(uint64_t(uintptr_t(data))) && more)) {
                --_in_kernel;
            }
        }
    }

    std::string_view name() const noexcept override { return "io_uring"; }

    future<> readable(pollable_fd_state& fd) override { return wait_for(fd, true); }
    future<> writeable(pollable_fd_state& fd) override { return wait_for(fd, false); }

    void forget(pollable_fd_state& s) noexcept override {
        if (auto d = static_cast<uring_fd_data*>(s.backend_data); d && d->rd.slot.multishot) {
            auto m = std::exchange(d->rd.slot.multishot, nullptr);
            if (m->detach()) {
                retire(m);
            }
            s.input_held = false;
        }
        _fds.forget(s, [this](completion& c, uring_slot&) {
            try {
                // A poll or a socket operation alike (the kernel matches
                // the user data).
                submit_cancel(uint64_t(uintptr_t(&c)));
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
            constexpr size_t max_io = size_t(1) << 30;
            size_t size = std::min(req.size, max_io);
            if (req.op == socket_io_request::operation::read) {
                if (auto m = multishot_for(d)) {
                    if (auto f = m->read(static_cast<char*>(req.addr), size, what)) {
                        return std::move(*f);
                    }
                }
            } else if (req.op == socket_io_request::operation::recvmsg && s.input_held) {
                throw std::logic_error("pollable_fd: recvmsg on a stream socket whose input the backend holds");
            }
            auto sqe = get_sqe();
            switch (req.op) {
            case socket_io_request::operation::read:
                if (_poll_first && fd_kind(d.rd.slot, s.fd) != uring_slot::kind::other) {
                    prep_polling_recv(sqe, s.fd, req.addr, size);
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
                if (req.msg->msg_iovlen == 1 && !req.msg->msg_name && !req.msg->msg_controllen) {
                    // One buffer: a plain send skips copying and checking the
                    // message header in the kernel.
                    auto& iov = req.msg->msg_iov[0];
                    ::io_uring_prep_send(sqe, s.fd, iov.iov_base, std::min(iov.iov_len, max_io), req.flags);
                } else {
                    ::io_uring_prep_sendmsg(sqe, s.fd, req.msg, unsigned(req.flags));
                }
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
            ::io_uring_submit(&_ring); // entering also runs the pending task work
        } else if (IO_URING_READ_ONCE(*_ring.sq.kflags) & IORING_SQ_TASKRUN) {
            // With COOP_TASKRUN the kernel finishes requests (a receive
            // into a socket's new data, say) only when this thread enters
            // it; TASKRUN_FLAG says some are waiting. Without this, a loop
            // with nothing to submit would leave them until it sleeps, or
            // until something else makes it enter the kernel.
            ::io_uring_get_events(&_ring);
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

std::optional<future<size_t>> multishot_read::read(char* addr, size_t size, const char* what) {
    if (has_input()) {
        long r = take_input(addr, size);
        sync_held();
        if (r < 0) {
            return make_exception_future<size_t>(errno_exception(int(-r), what));
        }
        return make_ready_future<size_t>(size_t(r));
    }
    if (!_armed) {
        if (_pause > 0 || _be._bufs.available() < reserve) {
            _pause -= _pause > 0;
            return std::nullopt;
        }
        arm();
    }
    _want = addr;
    _want_size = size;
    _waiting = true;
    sync_held();
    return _owner->rd.start(what, size, true);
}

void multishot_read::arm() {
    auto sqe = _be.get_sqe();
    ::io_uring_prep_recv_multishot(sqe, _fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = recv_buffer_ring::group;
    ::io_uring_sqe_set_data64(sqe, user_data());
    ++_be._in_kernel;
    _armed = true;
    _cancelling = false;
}

size_t multishot_read::take(char* to, size_t size) noexcept {
    size_t done = 0;
    while (done < size && _head < _ready.size()) {
        auto& c = _ready[_head];
        size_t n = std::min<size_t>(size - done, c.length);
        std::memcpy(to + done, _be._bufs.at(c.bid) + c.offset, n);
        done += n;
        c.offset += uint32_t(n);
        c.length -= uint32_t(n);
        if (c.length == 0) {
            _be._bufs.give_back(c.bid);
            ++_head;
        }
    }
    if (_head == _ready.size()) {
        _ready.clear();
        _head = 0;
    }
    return done;
}

// What a read gets from held input (has_input()): the bytes copied, 0 at
// the end of the stream, or -errno (once; end of stream after it).
long multishot_read::take_input(char* to, size_t size) noexcept {
    if (_head < _ready.size()) {
        return long(take(to, size));
    }
    if (_end == eof) {
        return 0;
    }
    return std::exchange(_end, eof);
}

void multishot_read::on_completion(int res, unsigned flags) noexcept {
    if (!(flags & IORING_CQE_F_MORE)) {
        _armed = false;
        --_be._in_kernel;
    }
    if (flags & IORING_CQE_F_BUFFER) {
        unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
        _be._bufs.taken();
        if (!_owner || res <= 0) {
            _be._bufs.give_back(bid);
        } else {
            try {
                _ready.push_back(chunk{uint16_t(bid), 0, uint32_t(res)});
            } catch (...) {
                // Cannot keep the data: the stream is broken for its reader.
                _be._bufs.give_back(bid);
                _end = -ENOMEM;
            }
            if (unsigned(res) == recv_buffer_ring::buffer_size && _armed && !_cancelling) {
                // Bulk: stop receiving into buffers (see the class comment).
                try {
                    _be.submit_cancel(user_data());
                    _cancelling = true;
                    _pause = bulk_pause;
                } catch (...) {
                }
            }
        }
    } else if (_owner && res == 0) {
        _end = eof;
    } else if (_owner && res < 0 && res != -ENOBUFS && res != -ECANCELED) {
        _end = res;
    }
    if (!_owner) {
        if (!_armed) {
            _be.retire(this);
        }
        return;
    }
    finish_wait();
    sync_held();
}

// Completes the waiting read if there is something to give it; if the
// request ended without data (no buffers, or cancelled), the read goes on as
// a request of its own (or on a new multishot request).
void multishot_read::finish_wait() noexcept {
    if (!_waiting) {
        return;
    }
    auto& rd = _owner->rd;
    if (has_input()) {
        _waiting = false;
        rd.complete(take_input(_want, _want_size));
        return;
    }
    if (_armed) {
        return;
    }
    _waiting = false;
    try {
        if (_pause == 0 && _be._bufs.available() >= reserve) {
            arm();
            _waiting = true;
            return;
        }
        // rd is still in flight with its promise: a one-shot receive
        // completes it like any other.
        _be.submit_polling_recv(_fd, _want, _want_size, rd);
    } catch (...) {
        rd.complete(-EBUSY);
    }
}

bool multishot_read::detach() noexcept {
    if (_waiting) {
        _waiting = false;
        _owner->rd.complete(-ECANCELED);
    }
    for (size_t i = _head; i < _ready.size(); ++i) {
        _be._bufs.give_back(_ready[i].bid);
    }
    _ready.clear();
    _head = 0;
    _owner = nullptr;
    if (!_armed) {
        return true;
    }
    try {
        _be.submit_cancel(user_data());
    } catch (...) {
        // Ends when the socket is closed and its file released.
    }
    return false;
}

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
