// Loops over futures: repeat, repeat_until_value, do_until, do_for_each
// (sequential), parallel_for_each and max_concurrent_for_each (concurrent).
//
// Contract:
//   * Sequential loops run iterations whose futures are ready in a plain
//     loop - no recursion, no allocation - for at most
//     internal::max_inline_iterations iterations or until need_preempt(); then
//     they continue from a task, so a long ready loop neither grows the stack
//     nor keeps other tasks from running. A loop that meets a future that is
//     not ready allocates one task and resumes when it is ready.
//   * An exception from the action (thrown or as a failed future) ends the
//     loop and fails its future. Concurrent loops start every action first,
//     then fail with one of the exceptions once all have finished.
//   * Iterators and ranges passed by reference must outlive the returned future.
//
//     return seastar::repeat([&n] {
//         return ++n == 10 ? seastar::stop_iteration::yes : seastar::stop_iteration::no;
//     });
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/task.hh"
#include "seastar/util/bool_class.hh"

namespace seastar {

struct stop_iteration_tag {};
using stop_iteration = bool_class<stop_iteration_tag>;

namespace internal {

// Iterations of a ready loop run in one go before the loop continues from a task.
inline constexpr unsigned max_inline_iterations = 1024;

template <typename AsyncAction>
class repeater final : public task {
    using futurator = futurize<std::invoke_result_t<AsyncAction&>>;

    promise<> _pr;
    AsyncAction _action;
    future_state<stop_iteration> _slot;

public:
    explicit repeater(AsyncAction&& action) noexcept : _action(std::move(action)) { _slot.ignore(); }
    future<> get_future() noexcept { return _pr.get_future(); }

    // Waits for f, then continues the loop.
    void wait_for(future<stop_iteration>& f) noexcept { future_access<stop_iteration>::attach(f, &_slot, this); }

    void run_and_dispose() noexcept override {
        if (_slot.valid()) {
            if (_slot.failed()) {
                _pr.set_exception(_slot.take_exception());
                delete this;
                return;
            }
            if (_slot.take_value() == stop_iteration::yes) {
                _pr.set_value();
                delete this;
                return;
            }
        }
        for (unsigned i = 0; i < max_inline_iterations && !need_preempt(); ++i) {
            auto f = futurator::invoke(_action);
            if (!f.available()) {
                wait_for(f);
                return;
            }
            if (f.failed()) {
                _pr.set_exception(f.get_exception());
                delete this;
                return;
            }
            if (f.get() == stop_iteration::yes) {
                _pr.set_value();
                delete this;
                return;
            }
        }
        ::seastar::schedule(this);
    }
};

// Waits for every future in a vector; fails with one of the exceptions.
class all_waiter final : public task {
    std::vector<future<>> _futures;
    std::size_t _next = 0;
    std::exception_ptr _ex;
    promise<> _pr;

public:
    explicit all_waiter(std::vector<future<>>&& futures, std::exception_ptr ex) noexcept
        : _futures(std::move(futures)), _ex(std::move(ex)) {}
    future<> get_future() noexcept { return _pr.get_future(); }
    void run_and_dispose() noexcept override {
        for (; _next < _futures.size(); ++_next) {
            auto& f = _futures[_next];
            if (!f.available()) {
                future_access<void>::set_waiter(f, this);
                return;
            }
            if (f.failed()) {
                _ex = f.get_exception();
            } else {
                f.ignore_ready_future();
            }
        }
        if (_ex) {
            _pr.set_exception(std::move(_ex));
        } else {
            _pr.set_value();
        }
        delete this;
    }
};

// Futures that were not ready, plus the last exception of those that failed at once.
inline future<> wait_all(std::vector<future<>>&& pending, std::exception_ptr ex) noexcept {
    if (pending.empty()) {
        return ex ? make_exception_future<>(std::move(ex)) : make_ready_future<>();
    }
    auto w = new all_waiter(std::move(pending), std::move(ex));
    auto f = w->get_future();
    w->run_and_dispose();
    return f;
}

} // namespace internal

// Calls action() until it returns (a future of) stop_iteration::yes.
template <typename AsyncAction>
future<> repeat(AsyncAction&& action) noexcept {
    using A = std::decay_t<AsyncAction>;
    using futurator = futurize<std::invoke_result_t<A&>>;
    static_assert(std::is_same_v<typename futurator::type, future<stop_iteration>>,
                  "repeat() needs an action returning stop_iteration or future<stop_iteration>");
    A act(std::forward<AsyncAction>(action));
    for (unsigned i = 0; i < internal::max_inline_iterations && !need_preempt(); ++i) {
        auto f = futurator::invoke(act);
        if (!f.available()) {
            auto r = new internal::repeater<A>(std::move(act));
            auto ret = r->get_future();
            r->wait_for(f);
            return ret;
        }
        if (f.failed()) {
            return make_exception_future<>(f.get_exception());
        }
        if (f.get() == stop_iteration::yes) {
            return make_ready_future<>();
        }
    }
    auto r = new internal::repeater<A>(std::move(act));
    auto ret = r->get_future();
    ::seastar::schedule(r);
    return ret;
}

// Calls action() (returning void or future<>) again and again until it fails; the
// result fails with that exception (it never succeeds). Yields like repeat().
template <typename AsyncAction>
future<> keep_doing(AsyncAction action) noexcept {
    return repeat([action = std::move(action)]() mutable {
        return futurize_invoke(action).then([] { return stop_iteration::no; });
    });
}

// Calls action() until it returns (a future of) an engaged std::optional<T>;
// the result is that T.
template <typename AsyncAction>
auto repeat_until_value(AsyncAction&& action) noexcept {
    using A = std::decay_t<AsyncAction>;
    using opt_type = typename futurize<std::invoke_result_t<A&>>::value_type;
    using T = typename opt_type::value_type;
    struct state {
        A action;
        std::optional<T> result;
    };
    auto st = std::make_unique<state>(state{A(std::forward<AsyncAction>(action)), std::nullopt});
    auto& s = *st;
    return repeat([&s] {
               return futurize_invoke(s.action).then([&s](opt_type v) {
                   if (v) {
                       s.result = std::move(v);
                       return stop_iteration::yes;
                   }
                   return stop_iteration::no;
               });
           })
        .then([st = std::move(st)] { return std::move(*st->result); });
}

// Calls action() until stop_cond() is true (checked before each call).
template <typename StopCondition, typename AsyncAction>
future<> do_until(StopCondition stop_cond, AsyncAction action) noexcept {
    return repeat([stop_cond = std::move(stop_cond), action = std::move(action)]() mutable {
        if (stop_cond()) {
            return make_ready_future<stop_iteration>(stop_iteration::yes);
        }
        return futurize_invoke(action).then([] { return stop_iteration::no; });
    });
}

// Calls action(*it) for each element in order, each after the previous one's future resolved.
template <typename Iterator, typename Sentinel, typename AsyncAction>
future<> do_for_each(Iterator begin, Sentinel end, AsyncAction action) noexcept {
    return repeat([begin = std::move(begin), end = std::move(end), action = std::move(action)]() mutable {
        if (begin == end) {
            return make_ready_future<stop_iteration>(stop_iteration::yes);
        }
        auto f = futurize_invoke(action, *begin);
        ++begin;
        return std::move(f).then([] { return stop_iteration::no; });
    });
}

template <typename Range, typename AsyncAction>
future<> do_for_each(Range& range, AsyncAction action) noexcept {
    return do_for_each(std::begin(range), std::end(range), std::move(action));
}

// Calls func(*it) for every element at once; resolves when all have.
template <typename Iterator, typename Sentinel, typename Func>
future<> parallel_for_each(Iterator begin, Sentinel end, Func&& func) noexcept {
    std::vector<future<>> pending;
    std::exception_ptr ex;
    for (; begin != end; ++begin) {
        auto f = futurize_invoke(func, *begin);
        if (!f.available()) {
            pending.push_back(std::move(f));
        } else if (f.failed()) {
            ex = f.get_exception();
        } else {
            f.ignore_ready_future();
        }
    }
    return internal::wait_all(std::move(pending), std::move(ex));
}

template <typename Range, typename Func>
future<> parallel_for_each(Range&& range, Func&& func) noexcept {
    return parallel_for_each(std::begin(range), std::end(range), std::forward<Func>(func));
}

// Calls func(*it) for every element with at most `max_concurrent` calls in
// flight; resolves when all have, failing with one of the exceptions.
template <typename Iterator, typename Sentinel, typename Func>
future<> max_concurrent_for_each(Iterator begin, Sentinel end, std::size_t max_concurrent, Func&& func) noexcept {
    struct state {
        Iterator next;
        Sentinel end;
        std::decay_t<Func> func;
        std::exception_ptr ex;
    };
    if (max_concurrent == 0) {
        return make_exception_future<>(std::invalid_argument("max_concurrent_for_each: max_concurrent must be > 0"));
    }
    std::shared_ptr<state> st;
    try {
        st = std::make_shared<state>(state{std::move(begin), std::move(end), std::forward<Func>(func), nullptr});
    } catch (...) {
        return make_exception_future<>(std::current_exception());
    }
    std::vector<future<>> workers;
    for (std::size_t i = 0; i < max_concurrent && st->next != st->end; ++i) {
        workers.push_back(repeat([st] {
            if (st->next == st->end) {
                return make_ready_future<stop_iteration>(stop_iteration::yes);
            }
            auto f = futurize_invoke(st->func, *st->next);
            ++st->next;
            return std::move(f).then_wrapped([st](future<> f) {
                if (f.failed()) {
                    st->ex = f.get_exception();
                }
                return stop_iteration::no;
            });
        }));
    }
    return internal::wait_all(std::move(workers), nullptr).then([st] {
        if (st->ex) {
            return make_exception_future<>(st->ex);
        }
        return make_ready_future<>();
    });
}

template <typename Range, typename Func>
future<> max_concurrent_for_each(Range&& range, std::size_t max_concurrent, Func&& func) noexcept {
    return max_concurrent_for_each(std::begin(range), std::end(range), max_concurrent, std::forward<Func>(func));
}

} // namespace seastar
