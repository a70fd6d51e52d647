// seastar::coroutine::lambda(l): passes a coroutine lambda to an API that takes its
// function by value (then(), parallel_for_each, ...) without copying the lambda, whose
// captures the coroutine frame refers to. The lambda object itself stays where it is (a
// temporary of the full expression that co_awaits the result), so its captures live as
// long as the coroutine needs them.
//
// Contract: the returned wrapper refers to the lambda: use it within the full expression
// that is co_awaited.
//
//     co_await seastar::yield().then(seastar::coroutine::lambda([&x] () -> seastar::future<> {
//         co_await use(x);      // the lambda (and its captures) is alive here
//     }));
#pragma once

#include <functional>
#include <utility>

namespace seastar::coroutine {

template <typename Func>
class lambda {
    Func* _func;

public:
    explicit lambda(Func&& func) noexcept : _func(&func) {}
    template <typename... Args>
    decltype(auto) operator()(Args&&... args) const {
        return std::invoke(*_func, std::forward<Args>(args)...);
    }
};

} // namespace seastar::coroutine
