// `co_await seastar::coroutine::without_preemption_check(f)`: like `co_await f`, but an
// available `f` never makes the coroutine yield, even when the task quota is used up.
// For hot paths that know they will suspend soon anyway.
//
// Contract: coroutines returning seastar::future only; no allocation. Throws what `f`
// failed with, like `co_await f`.
//
//     auto v = co_await seastar::coroutine::without_preemption_check(cache_lookup(k));
#pragma once

#include <coroutine>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"

namespace seastar::coroutine {

template <typename T>
class [[nodiscard]] without_preemption_check {
    future<T> _future;

public:
    explicit without_preemption_check(future<T>&& f) noexcept : _future(std::move(f)) {}
    without_preemption_check(const without_preemption_check&) = delete;

    bool await_ready() const noexcept { return _future.available(); }

    template <seastar::internal::task_promise P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        seastar::internal::future_access<T>::set_waiter(_future, &h.promise());
    }

    T await_resume() { return _future.get(); }
};

template <typename T>
without_preemption_check(future<T>&&) -> without_preemption_check<T>;

} // namespace seastar::coroutine
