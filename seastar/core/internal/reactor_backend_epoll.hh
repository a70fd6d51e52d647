// The epoll reactor backend.
//
// epoll(7) for readiness; disk I/O runs on the shard's blocking-I/O thread
// (backend_options::blocking) with
// preadv/pwritev/fdatasync, since epoll cannot report file completion.
//
// Contract: see reactor_backend.hh. The factory throws backend_unavailable
// with a reason when the kernel or its limits rule the backend out.
#pragma once

#include <memory>

#include "seastar/core/internal/reactor_backend.hh"

namespace seastar::internal {

std::unique_ptr<reactor_backend> make_epoll_backend(const backend_options& opts);

} // namespace seastar::internal
