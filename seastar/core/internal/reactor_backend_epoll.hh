// The epoll reactor backend.
//
// epoll(7) for readiness. epoll cannot report file completion, so disk reads
// and writes go through a linux-aio context (set up on the first one, up to
// backend_options::queue_depth in flight) whose completions signal an eventfd
// in the epoll set, as Seastar's epoll backend does. fdatasync, and all disk
// I/O when io_setup fails (said once in the log), run on the shard's
// blocking-I/O thread (backend_options::blocking).
//
// Contract: see reactor_backend.hh. The factory throws backend_unavailable
// with a reason when the kernel or its limits rule the backend out.
#pragma once

#include <memory>

#include "seastar/core/internal/reactor_backend.hh"

namespace seastar::internal {

std::unique_ptr<reactor_backend> make_epoll_backend(const backend_options& opts);

} // namespace seastar::internal
