// `co_await seastar::coroutine::parallel_for_each(range, func)`: calls func(element) for
// every element at once and resumes when all the futures resolved; throws one of the
// failures, after all finished. Same as awaiting seastar::parallel_for_each().
//
// Contract: coroutines returning seastar::future only. The range must outlive the await
// (it does when it is a local of the awaiting coroutine).
//
//     co_await seastar::coroutine::parallel_for_each(peers, [] (peer& p) { return p.ping(); });
#pragma once

#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/loop.hh"

namespace seastar::coroutine {

class [[nodiscard]] parallel_for_each {
    seastar::internal::future_awaiter<void> _awaiter;

public:
    template <typename Range, typename Func>
    parallel_for_each(Range&& range, Func&& func) noexcept
        : _awaiter(seastar::parallel_for_each(std::forward<Range>(range), std::forward<Func>(func))) {}
    template <typename Iterator, typename Sentinel, typename Func>
    parallel_for_each(Iterator begin, Sentinel end, Func&& func) noexcept
        : _awaiter(seastar::parallel_for_each(std::move(begin), std::move(end), std::forward<Func>(func))) {}

    bool await_ready() const noexcept { return _awaiter.await_ready(); }
    template <typename H>
    void await_suspend(H h) noexcept {
        _awaiter.await_suspend(h);
    }
    void await_resume() { _awaiter.await_resume(); }
};

} // namespace seastar::coroutine
