// The linux-aio reactor backend.
//
// linux-aio: readiness through IOCB_CMD_POLL, disk I/O through io_submit,
// completions through io_getevents. fdatasync runs on the shard's blocking-I/O
// thread (backend_options::blocking; most
// filesystems reject IOCB_CMD_FDSYNC). Throws backend_unavailable when
// io_setup fails (ENOSYS, or EAGAIN when fs.aio-max-nr is exhausted).
//
// Contract: see reactor_backend.hh. The factory throws backend_unavailable
// with a reason when the kernel or its limits rule the backend out.
#pragma once

#include <memory>

#include "seastar/core/internal/reactor_backend.hh"

namespace seastar::internal {

std::unique_ptr<reactor_backend> make_aio_backend(const backend_options& opts);

} // namespace seastar::internal
