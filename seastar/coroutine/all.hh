// `co_await seastar::coroutine::all(f1, f2, ...)`: runs callables (each returning a
// future or a value) and takes futures, all at once, and resumes when every one is done
// with a std::tuple of their values (void results are left out: co_await all(a, b) with
// `a` returning future<> and `b` future<int> gives std::tuple<int>). If any failed, it
// throws one of the exceptions, after all of them finished.
//
// Contract: coroutines returning seastar::future only. Allocates what when_all_succeed
// allocates (the waiter) when some result is not ready.
//
//     auto [a, b] = co_await seastar::coroutine::all(
//         [] { return read_a(); },
//         [] { return read_b(); });
#pragma once

#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/when_all.hh"

namespace seastar::coroutine {

template <typename... Futures>
class [[nodiscard]] all {
    using result_future = decltype(when_all_succeed(std::declval<Futures>()...));
    seastar::internal::future_awaiter<typename seastar::internal::future_value<result_future>::type> _awaiter;

public:
    template <typename... FutOrFuncs>
    explicit all(FutOrFuncs&&... args) noexcept
        : _awaiter(when_all_succeed(seastar::internal::to_future(std::forward<FutOrFuncs>(args))...)) {}

    bool await_ready() const noexcept { return _awaiter.await_ready(); }
    template <typename H>
    void await_suspend(H h) noexcept {
        _awaiter.await_suspend(h);
    }
    auto await_resume() { return _awaiter.await_resume(); }
};

template <typename... FutOrFuncs>
explicit all(FutOrFuncs&&...) -> all<decltype(seastar::internal::to_future(std::declval<FutOrFuncs>()))...>;

} // namespace seastar::coroutine
