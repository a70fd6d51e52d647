// Picks the reactor backend at start-up.
//
// An explicit name ("epoll", "linux-aio", "io_uring") gets that backend or an
// error saying why it cannot work. An empty name gets the first that works of
// default_backend_order(), and a note naming what was skipped and why (the
// reactor logs it as one line). Unavailability can be simulated for tests:
// backend_options::simulate_unavailable, or SEASTAR_UNAVAILABLE_BACKENDS=a,b
// in the environment.
//
// Contract: call on the thread that will own the backend. Throws
// std::invalid_argument for an unknown name, std::runtime_error when the
// requested backend (or every backend) is unavailable.
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

// All backend names, in the order the default choice tries them.
const std::vector<std::string>& default_backend_order();

backend_selection select_reactor_backend(std::string_view requested, const backend_options& opts);

} // namespace seastar::internal
