#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "seastar/core/internal/reactor_backend.hh"

namespace seastar::internal {

long perform_io_blocking(const io_request& req) noexcept {
    ssize_t r = -1;
    switch (req.op) {
    case io_request::operation::read: r = ::pread(req.fd, req.addr, req.size, off_t(req.pos)); break;
    case io_request::operation::write: r = ::pwrite(req.fd, req.addr, req.size, off_t(req.pos)); break;
    case io_request::operation::readv: r = ::preadv(req.fd, req.iov, int(req.iov_count), off_t(req.pos)); break;
    case io_request::operation::writev: r = ::pwritev(req.fd, req.iov, int(req.iov_count), off_t(req.pos)); break;
    case io_request::operation::fdatasync: r = ::fdatasync(req.fd); break;
    }
    return r < 0 ? -errno : long(r);
}

} // namespace seastar::internal
