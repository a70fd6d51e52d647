// C++20 coroutines over futures: a function returning future<T> may
// `co_await` futures and `co_return` a value.
//
// Contract:
//   * The coroutine frame is allocated by the compiler (operator new). Its
//     promise is a task, created in the scheduling group current at the call;
//     every resumption after a suspension is that task, run by the scheduler.
//   * `co_await f` on an available future does not suspend unless
//     need_preempt() says the task quota is used up (then the coroutine
//     yields once through the scheduler). On a future that is not available,
//     the coroutine suspends and resumes when its promise is fulfilled; the
//     value moves straight into the awaiting frame (no further allocation).
//   * Exceptions propagate both ways: awaiting a failed future throws its
//     exception; an exception leaving the coroutine fails its future.
//   * One thread: a coroutine resumes on the thread (shard) it started on.
//
//     seastar::future<int> add(seastar::future<int> a, seastar::future<int> b) {
//         int x = co_await std::move(a);
//         int y = co_await std::move(b);
//         co_return x + y;
//     }
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/task.hh"

namespace seastar {

namespace coroutine {
struct exception; // seastar/coroutine/exception.hh
} // namespace coroutine

namespace internal {

template <typename T>
class coroutine_promise_base : public task {
protected:
    promise<T> _promise;

public:
    coroutine_promise_base() noexcept = default;
    coroutine_promise_base(const coroutine_promise_base&) = delete;

    future<T> get_return_object() noexcept { return _promise.get_future(); }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { _promise.set_exception(std::current_exception()); }
    // Fails the coroutine's future (coroutine::exception uses it).
    void set_exception(std::exception_ptr ex) noexcept { _promise.set_exception(std::move(ex)); }
};

template <typename T>
class coroutine_promise final : public coroutine_promise_base<T> {
public:
    template <typename U = T>
    void return_value(U&& value) noexcept {
        this->_promise.set_value(std::forward<U>(value));
    }
    // co_return coroutine::exception(...): defined in seastar/coroutine/exception.hh.
    void return_value(coroutine::exception&& ex) noexcept;
    void run_and_dispose() noexcept override { std::coroutine_handle<coroutine_promise>::from_promise(*this).resume(); }
};

template <>
class coroutine_promise<void> final : public coroutine_promise_base<void> {
public:
    void return_void() noexcept { this->_promise.set_value(); }
    void run_and_dispose() noexcept override { std::coroutine_handle<coroutine_promise>::from_promise(*this).resume(); }
};

// A coroutine whose promise is a task can be resumed through the scheduler.
template <typename P>
concept task_promise = std::is_base_of_v<task, P>;

template <typename T>
class future_awaiter {
    future<T> _future;

public:
    explicit future_awaiter(future<T>&& f) noexcept : _future(std::move(f)) {}
    future_awaiter(const future_awaiter&) = delete;

    bool await_ready() const noexcept { return _future.available() && !need_preempt(); }

    template <task_promise P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        task* t = &h.promise();
        if (_future.available()) {
            ::seastar::schedule(t); // preempted: let others run first
        } else {
            future_access<T>::set_waiter(_future, t);
        }
    }

    T await_resume() { return _future.get(); }
};

} // namespace internal

template <typename T>
internal::future_awaiter<T> operator co_await(future<T>&& f) noexcept {
    return internal::future_awaiter<T>(std::move(f));
}

} // namespace seastar

template <typename T, typename... Args>
struct std::coroutine_traits<seastar::future<T>, Args...> {
    using promise_type = seastar::internal::coroutine_promise<T>;
};
