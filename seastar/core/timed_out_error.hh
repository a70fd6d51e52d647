#pragma once

// timed_out_error: the exception of an operation that did not finish by its deadline.
//
// with_timeout() fails with it; semaphore_timed_out and condition_variable_timed_out derive
// from it, so `catch (const seastar::timed_out_error&)` handles every timeout. It lives in
// the futures layer on its own (no timer, no reactor) so that the sync primitives can
// derive from it.
//
// Contract: what() is "timedout" (as in Seastar); constructing and copying never throw.
//
//     try { co_await seastar::with_timeout(deadline, f); }
//     catch (const seastar::timed_out_error&) { /* gave up */ }

#include <exception>

namespace seastar {

class timed_out_error : public std::exception {
public:
    const char* what() const noexcept override { return "timedout"; }
};

} // namespace seastar
