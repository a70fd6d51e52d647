// Failing a coroutine without throwing: `co_return seastar::coroutine::exception(eptr)`
// (in a coroutine returning future<T> with T not void) or
// `co_await seastar::coroutine::exception(eptr)` (any coroutine, future<> included) fail
// the coroutine's future with `eptr`, skipping the cost of a throw. return_exception(ex)
// and make_exception(ex) build one from an exception object; return_exception_ptr(eptr)
// from an exception_ptr.
//
// Contract: coroutines returning seastar::future only. After `co_await exception(...)`
// the coroutine does not resume: its frame (and locals) is destroyed at that point.
//
//     seastar::future<int> parse(std::string_view s) {
//         if (s.empty()) {
//             co_return seastar::coroutine::return_exception(std::invalid_argument("empty"));
//         }
//         co_return std::stoi(std::string(s));
//     }
#pragma once

#include <coroutine>
#include <exception>
#include <utility>

#include "seastar/core/coroutine.hh"

namespace seastar::coroutine {

struct [[nodiscard]] exception {
    std::exception_ptr eptr;

    explicit exception(std::exception_ptr ex) noexcept : eptr(std::move(ex)) {}

    // As an awaitable: fails the coroutine and destroys its frame.
    bool await_ready() const noexcept { return false; }
    template <typename P>
        requires seastar::internal::task_promise<P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        h.promise().set_exception(std::move(eptr));
        h.destroy();
    }
    void await_resume() noexcept {}
};

template <typename Exc>
exception make_exception(Exc&& ex) noexcept {
    return exception(std::make_exception_ptr(std::forward<Exc>(ex)));
}

template <typename Exc>
exception return_exception(Exc&& ex) noexcept {
    return exception(std::make_exception_ptr(std::forward<Exc>(ex)));
}

inline exception return_exception_ptr(std::exception_ptr ex) noexcept {
    return exception(std::move(ex));
}

} // namespace seastar::coroutine

template <typename T>
void seastar::internal::coroutine_promise<T>::return_value(coroutine::exception&& ex) noexcept {
    this->_promise.set_exception(std::move(ex.eptr));
}
