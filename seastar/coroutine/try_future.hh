// `co_await seastar::coroutine::try_future(f)` waits for `f` and gives its value, like
// `co_await f`; when `f` fails, the coroutine is not resumed: its own future fails with
// f's exception, passed on as is (no throw, no catch), and its frame is destroyed.
// try_future_without_preemption_check does not yield when `f` is already available
// and successful, even if the task quota is used up.
//
// Contract: coroutines returning seastar::future only. Locals of the coroutine are
// destroyed when a failure ends it, as after `co_await coroutine::exception(...)`; a
// try/catch around the co_await does not see the failure. Never throws, allocates
// nothing.
//
//     seastar::future<int> total() {
//         int a = co_await seastar::coroutine::try_future(read_a()); // a failure ends total() here
//         int b = co_await seastar::coroutine::try_future(read_b());
//         co_return a + b;
//     }
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/task.hh"

namespace seastar {

namespace internal {

// Waits for the future as a task of its own, so that on a failure it can end the
// coroutine instead of resuming it.
template <bool CheckPreempt, typename T>
class [[nodiscard]] try_future_awaiter : public task {
    future<T> _future;
    std::coroutine_handle<> _coroutine;
    // Fails the coroutine's promise with the exception and destroys its frame.
    void (*_fail)(std::coroutine_handle<>, std::exception_ptr) noexcept = nullptr;

    template <typename P>
    static void fail(std::coroutine_handle<> h, std::exception_ptr ex) noexcept {
        auto ch = std::coroutine_handle<P>::from_address(h.address());
        ch.promise().set_exception(std::move(ex));
        ch.destroy();
    }

    // The frame (and this awaiter in it) is gone after this when the future failed.
    void resume_or_fail() noexcept {
        if (_future.failed()) {
            auto ex = _future.get_exception();
            _fail(_coroutine, std::move(ex));
        } else {
            _coroutine.resume();
        }
    }

public:
    explicit try_future_awaiter(future<T>&& f) noexcept : _future(std::move(f)) {}
    try_future_awaiter(const try_future_awaiter&) = delete;
    try_future_awaiter(try_future_awaiter&&) = delete;

    bool await_ready() const noexcept {
        return _future.available() && !_future.failed() && (!CheckPreempt || !need_preempt());
    }

    template <task_promise P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        _coroutine = h;
        _fail = &fail<P>;
        set_scheduling_group(h.promise().group());
        if (!_future.available()) {
            future_access<T>::set_waiter(_future, this);
        } else if (_future.failed()) {
            // Ends the coroutine now; returning from await_suspend after destroying the
            // frame is allowed as long as nothing in the frame is touched.
            resume_or_fail();
        } else {
            ::seastar::schedule(this); // preempted: let others run first
        }
    }

    T await_resume() { return _future.get(); }

    void run_and_dispose() noexcept override { resume_or_fail(); }
};

} // namespace internal

namespace coroutine {

template <typename T>
class [[nodiscard]] try_future : public internal::try_future_awaiter<true, T> {
public:
    explicit try_future(future<T>&& f) noexcept : internal::try_future_awaiter<true, T>(std::move(f)) {}
};

template <typename T>
class [[nodiscard]] try_future_without_preemption_check : public internal::try_future_awaiter<false, T> {
public:
    explicit try_future_without_preemption_check(future<T>&& f) noexcept
        : internal::try_future_awaiter<false, T>(std::move(f)) {}
};

} // namespace coroutine

} // namespace seastar
