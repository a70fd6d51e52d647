// `co_await seastar::coroutine::switch_to(sg)`: continues the coroutine in scheduling
// group `sg` (it is queued there and resumes when that group runs); the await returns the
// group it ran in before. Awaiting the current group does nothing.
//
// Contract: coroutines returning seastar::future only; no allocation. The rest of the
// coroutine, including later resumptions, runs in `sg` until switched again.
//
//     auto prev = co_await seastar::coroutine::switch_to(background_group);
//     co_await compact();
//     co_await seastar::coroutine::switch_to(prev);
#pragma once

#include <coroutine>

#include "seastar/core/coroutine.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/task.hh"

namespace seastar::coroutine {

class [[nodiscard]] switch_to {
    scheduling_group _to;
    scheduling_group _from;

public:
    explicit switch_to(scheduling_group sg) noexcept : _to(sg), _from(current_scheduling_group()) {}

    bool await_ready() const noexcept { return _from == _to; }

    template <seastar::internal::task_promise P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        auto& t = h.promise();
        t.set_scheduling_group(_to);
        ::seastar::schedule(&t);
    }

    scheduling_group await_resume() const noexcept { return _from; }
};

} // namespace seastar::coroutine
