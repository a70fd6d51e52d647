#include "seastar/core/internal/linux_aio.hh"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <system_error>

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

// The kernel maps each context's completion ring into the process, at the
// address io_setup() returned as the context id, headed by this layout
// (fs/aio.c). Reading head and tail there tells whether any event is waiting
// without a syscall, so a poll that finds nothing (most loop turns of a busy
// reactor) costs two loads instead of an io_getevents() call.
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
constexpr unsigned aio_ring_magic = 0xa10a10a1;

// Resets `cb` to the disk request `req` naming `c`.
void prepare_disk_io(::iocb& cb, const io_request& req, completion_backend::completion& c) noexcept {
    prepare_iocb(cb, c);
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
        cb.aio_lio_opcode = IOCB_CMD_FDSYNC;
        break;
    }
}

} // namespace

aio_context::aio_context(unsigned depth) {
    if (io_setup(depth, &_ctx) == -1) {
        throw std::system_error(errno, std::system_category(), "io_setup");
    }
    _pending.reserve(64);
}

aio_context::~aio_context() {
    io_destroy(_ctx);
}

void aio_context::queue(::iocb& cb) {
    // Grows geometrically, and always leaves one slot free for queue_reserved().
    if (_pending.size() + 2 > _pending.capacity()) {
        _pending.reserve(std::max<size_t>(64, 2 * _pending.capacity()));
    }
    queue_reserved(cb);
}

void aio_context::queue_reserved(::iocb& cb) noexcept {
    completion_of(cb)->in_flight = true;
    _pending.push_back(&cb);
}

bool aio_context::unqueue(::iocb& cb) noexcept {
    auto it = std::find(_pending.begin(), _pending.end(), &cb);
    if (it == _pending.end()) {
        return false;
    }
    _pending.erase(it);
    completion_of(cb)->in_flight = false;
    return true;
}

void aio_context::cancel(::iocb& cb) noexcept {
    ::io_event ev;
    io_cancel(_ctx, &cb, &ev); // the event still arrives through the ring
}

void aio_context::flush() noexcept {
    size_t done = 0;
    while (done < _pending.size()) {
        int r = io_submit(_ctx, long(_pending.size() - done), _pending.data() + done);
        if (r > 0) {
            done += size_t(r);
        } else if (r == 0 || errno == EAGAIN || errno == EINTR) {
            break; // the kernel's queue is full: the rest goes on the next flush
        } else {
            completion_of(*_pending[done++])->complete(-errno);
        }
    }
    _pending.erase(_pending.begin(), _pending.begin() + long(done));
}

bool aio_context::ring_known_empty() const noexcept {
    auto ring = reinterpret_cast<const aio_ring_header*>(uintptr_t(_ctx));
    if (__atomic_load_n(&ring->magic, __ATOMIC_RELAXED) != aio_ring_magic) {
        return false; // not the layout we know: ask the kernel
    }
    return __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE) == __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
}

bool aio_context::reap(long min_nr, ::timespec* timeout) noexcept {
    if (min_nr == 0 && ring_known_empty()) {
        return false;
    }
    ::io_event evs[128];
    int n = io_getevents(_ctx, min_nr, 128, evs, timeout);
    if (n <= 0) {
        return false;
    }
    for (int i = 0; i < n; ++i) {
        reinterpret_cast<completion_backend::completion*>(uintptr_t(evs[i].data))->complete(long(evs[i].res));
    }
    return true;
}

future<size_t> aio_context::submit_disk_io(const io_request& req, int resfd) {
    auto c = std::make_unique<completion_backend::io_completion<aio_slot>>("linux-aio I/O");
    auto f = c->pr.get_future();
    auto& cb = c->slot.cb;
    prepare_disk_io(cb, req, *c);
    if (resfd >= 0) {
        cb.aio_flags |= IOCB_FLAG_RESFD;
        cb.aio_resfd = uint32_t(resfd);
    }
    queue(cb);
    c.release(); // deletes itself on completion
    return f;
}

} // namespace seastar::internal
