// with_scheduling_group(): runs a function in a scheduling group.
//
// If `sg` is the current group, `func(args...)` runs at once (like
// futurize_invoke); otherwise it is queued as a task of `sg` and runs when the
// scheduler gets to that group. `func` and the arguments are kept alive until
// the future `func` returns resolves, so a coroutine lambda may use its
// captures across co_await. Either way, the work `func` starts (its
// continuations, coroutine resumptions and threads) stays in `sg`; the
// returned future is the caller's, so what the caller chains on it runs in
// the caller's group.
//
// Contract: the calling shard only; allocates one object holding `func`
// (std::bad_alloc becomes a failed future); never throws. Needs a task
// scheduler on the thread (a reactor or local_scheduler); no reactor
// dependency.
//
//     auto n = co_await seastar::with_scheduling_group(compaction_sg, [] (int level) {
//         return compact(level);        // and everything it starts runs in compaction_sg
//     }, 2);
#pragma once

#include <exception>
#include <functional>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/task.hh"

namespace seastar {

namespace internal {

// Keeps `func` and its arguments at a fixed address until the future it
// returns resolves, so a coroutine lambda may refer to its captures.
template <typename Func, typename... Args>
class group_task final : public task {
    using result = futurize<std::invoke_result_t<Func&, Args&&...>>;
    typename result::promise_type _pr;
    Func _func;
    std::tuple<Args...> _args;

public:
    group_task(scheduling_group sg, Func&& func, std::tuple<Args...>&& args)
        : task(sg), _func(std::move(func)), _args(std::move(args)) {}
    typename result::type get_future() noexcept { return _pr.get_future(); }
    // Runs the function; the object frees itself once its result is known.
    void start() noexcept {
        auto f = futurize_apply(_func, std::move(_args));
        if (f.available()) {
            f.forward_to(std::move(_pr));
            delete this;
        } else {
            (void)std::move(f).then_wrapped([this](auto&& done) {
                done.forward_to(std::move(_pr));
                delete this;
            });
        }
    }
    void run_and_dispose() noexcept override { start(); }
};

} // namespace internal

template <typename Func, typename... Args>
auto with_scheduling_group(scheduling_group sg, Func func, Args&&... args) noexcept {
    using task_type = internal::group_task<Func, std::decay_t<Args>...>;
    using result = futurize<std::invoke_result_t<Func&, std::decay_t<Args>&&...>>;
    task_type* t;
    try {
        t = new task_type(sg, std::move(func), std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...));
    } catch (...) {
        return result::make_exception_future(std::current_exception());
    }
    auto f = t->get_future();
    if (sg.active()) {
        t->start();
    } else {
        schedule(t);
    }
    return f;
}

} // namespace seastar
