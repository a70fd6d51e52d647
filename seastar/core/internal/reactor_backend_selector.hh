// Picks the reactor backend at start-up, among the backends linked into the
// program (each backend target registers itself: internal/reactor_backend.hh).
//
// An explicit name ("epoll", "linux-aio", "io_uring") gets that backend or an
// error saying why it cannot work; a name that is not linked in is an error
// listing the ones that are. An empty name gets the first that works of
// default_backend_order(), and a note naming what was skipped and why (the
// reactor logs it as one line). Unavailability can be simulated for tests:
// backend_options::simulate_unavailable, or SEASTAR_UNAVAILABLE_BACKENDS=a,b
// in the environment.
//
// Contract: call on the thread that will own the backend. Throws
// std::invalid_argument for a name not linked in (or no backend linked in at
// all), std::runtime_error when the requested backend (or every backend) is
// unavailable.
//
//     auto sel = seastar::internal::select_reactor_backend("", {});
//     if (!sel.note.empty()) log.info("{}", sel.note);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "seastar/core/internal/reactor_backend.hh"

namespace seastar::internal {

struct backend_selection {
    std::unique_ptr<reactor_backend> backend;
    // Non-empty when the default choice had to fall back.
    std::string note;
};

// The linked-in backends' names, in the order the default choice tries them.
std::vector<std::string> default_backend_order();

backend_selection select_reactor_backend(std::string_view requested, const backend_options& opts);

} // namespace seastar::internal
