// `co_await seastar::coroutine::maybe_yield();` - lets other tasks run if the
// task quota is used up (need_preempt()), and costs one flag check otherwise.
// Use it inside long loops in a coroutine that otherwise never suspends.
// Only in coroutines returning seastar::future; does not allocate; no throw.
//
//     seastar::future<> sum(const std::vector<int>& v, long& out) {
//         for (int x : v) {
//             out += x;
//             co_await seastar::coroutine::maybe_yield();
//         }
//     }
#pragma once

#include <coroutine>

#include "seastar/core/coroutine.hh"
#include "seastar/core/task.hh"

namespace seastar::coroutine {

class [[nodiscard]] maybe_yield {
public:
    bool await_ready() const noexcept { return !need_preempt(); }

    template <internal::task_promise P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        ::seastar::schedule(&h.promise());
    }

    void await_resume() noexcept {}
};

} // namespace seastar::coroutine
