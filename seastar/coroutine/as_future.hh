// `co_await seastar::coroutine::as_future(f)` waits for `f` and yields it as an available
// future<T> instead of its value, so a coroutine can look at a failure without throwing
// (f.failed(), f.get_exception()). as_future_without_preemption_check does not yield when
// `f` is already available even if the task quota is used up.
//
// Contract: coroutines returning seastar::future only; no allocation; never throws.
//
//     auto f = co_await seastar::coroutine::as_future(read());
//     if (f.failed()) { co_return fallback(f.get_exception()); }
//     auto v = f.get();
#pragma once

#include <coroutine>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/task.hh"

namespace seastar {

namespace internal {

template <bool CheckPreempt, typename T>
class [[nodiscard]] as_future_awaiter {
    future<T> _future;

public:
    explicit as_future_awaiter(future<T>&& f) noexcept : _future(std::move(f)) {}
    as_future_awaiter(const as_future_awaiter&) = delete;

    bool await_ready() const noexcept { return _future.available() && (!CheckPreempt || !need_preempt()); }

    template <task_promise P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        task* t = &h.promise();
        if (_future.available()) {
            ::seastar::schedule(t);
        } else {
            future_access<T>::set_waiter(_future, t);
        }
    }

    future<T> await_resume() noexcept { return std::move(_future); }
};

} // namespace internal

namespace coroutine {

template <typename T>
internal::as_future_awaiter<true, T> as_future(future<T>&& f) noexcept {
    return internal::as_future_awaiter<true, T>(std::move(f));
}

template <typename T>
internal::as_future_awaiter<false, T> as_future_without_preemption_check(future<T>&& f) noexcept {
    return internal::as_future_awaiter<false, T>(std::move(f));
}

} // namespace coroutine

} // namespace seastar
