// The io_uring reactor backend.
//
// io_uring (liburing): readiness through IORING_OP_POLL_ADD, disk I/O
// through read/write/readv/writev/fsync entries. Throws backend_unavailable
// when the kernel refuses a ring (ENOSYS; EPERM when kernel.io_uring_disabled
// is set; ENOMEM when RLIMIT_MEMLOCK is too small). No liburing type appears here.
//
// Contract: see reactor_backend.hh. The factory throws backend_unavailable
// with a reason when the kernel or its limits rule the backend out.
#pragma once

#include <memory>
#include <string>

#include "seastar/core/internal/reactor_backend.hh"

namespace seastar::internal {

std::unique_ptr<reactor_backend> make_uring_backend(const backend_options& opts);

// Why io_uring_queue_init failed with `err` (a positive errno), in words a
// user can act on (EPERM: kernel.io_uring_disabled; ENOMEM: RLIMIT_MEMLOCK).
std::string uring_setup_error_message(int err);

} // namespace seastar::internal
