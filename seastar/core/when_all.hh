// when_all / when_all_succeed: wait for several futures at once.
//
//   * when_all(f1, f2, ...) -> future<std::tuple<future<T1>, future<T2>, ...>>
//     resolves when every input has, successful or not; it never fails (the
//     inputs' failures are inside the returned futures).
//   * when_all(begin, end) -> future<std::vector<future<T>>>, same over a range
//     of futures (moved from).
//   * when_all_succeed(f1, f2, ...) -> future<std::tuple<values...>> with the
//     values of the non-void inputs, or the first failure (in argument order)
//     once all have resolved; the other failures are dropped silently.
//   * when_all_succeed(begin, end) -> future<std::vector<T>> (future<> for void).
//
// Contract: one thread. Allocates nothing if all inputs are ready, else one
// task (plus the vector for ranges).
//
//     return seastar::when_all_succeed(read_a(), read_b()).then([] (std::tuple<int, int> ab) { ... });
#pragma once

#include <cstddef>
#include <exception>
#include <iterator>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/task.hh"

namespace seastar {

namespace internal {

template <typename... T>
class when_all_tuple_waiter final : public task {
    std::tuple<future<T>...> _futures;
    promise<std::tuple<future<T>...>> _pr;

    template <std::size_t I>
    bool wait_on() noexcept {
        auto& f = std::get<I>(_futures);
        if (f.available()) {
            return false;
        }
        future_access<std::tuple_element_t<I, std::tuple<T...>>>::set_waiter(f, this);
        return true;
    }
    template <std::size_t... I>
    bool wait_on_first_pending(std::index_sequence<I...>) noexcept {
        return (wait_on<I>() || ...);
    }

public:
    explicit when_all_tuple_waiter(std::tuple<future<T>...>&& futures) noexcept : _futures(std::move(futures)) {}
    future<std::tuple<future<T>...>> get_future() noexcept { return _pr.get_future(); }
    void run_and_dispose() noexcept override {
        if (wait_on_first_pending(std::index_sequence_for<T...>())) {
            return;
        }
        _pr.set_value(std::move(_futures));
        delete this;
    }
};

template <typename T>
class when_all_vector_waiter final : public task {
    std::vector<future<T>> _futures;
    std::size_t _next = 0;
    promise<std::vector<future<T>>> _pr;

public:
    explicit when_all_vector_waiter(std::vector<future<T>>&& futures) noexcept : _futures(std::move(futures)) {}
    future<std::vector<future<T>>> get_future() noexcept { return _pr.get_future(); }
    void run_and_dispose() noexcept override {
        for (; _next < _futures.size(); ++_next) {
            if (!_futures[_next].available()) {
                future_access<T>::set_waiter(_futures[_next], this);
                return;
            }
        }
        _pr.set_value(std::move(_futures));
        delete this;
    }
};

template <typename T>
using value_tuple_t = std::conditional_t<std::is_void_v<T>, std::tuple<>, std::tuple<value_or_monostate<T>>>;

template <typename T>
value_tuple_t<T> take_as_tuple(future<T>& f) {
    if constexpr (std::is_void_v<T>) {
        f.get();
        return {};
    } else {
        return value_tuple_t<T>(f.get());
    }
}

// A future as is, or a callable invoked (futurize_invoke) to get one.
template <typename F>
auto to_future(F&& f) noexcept {
    if constexpr (is_future_v<std::remove_cvref_t<F>>) {
        return std::move(f);
    } else {
        return futurize_invoke(std::forward<F>(f));
    }
}

template <typename F>
concept future_or_func = is_future_v<std::remove_cvref_t<F>> || std::is_invocable_v<F>;

template <typename F>
struct future_value;
template <typename T>
struct future_value<future<T>> {
    using type = T;
};

} // namespace internal

template <typename... T>
future<std::tuple<future<T>...>> when_all(future<T>&&... futures) noexcept {
    if ((futures.available() && ...)) {
        return make_ready_future<std::tuple<future<T>...>>(std::tuple<future<T>...>(std::move(futures)...));
    }
    auto w = new internal::when_all_tuple_waiter<T...>(std::tuple<future<T>...>(std::move(futures)...));
    auto f = w->get_future();
    w->run_and_dispose();
    return f;
}

// when_all over futures and callables: each callable is invoked (its exception becomes
// its failed future) and the futures it returns are waited for with the others.
template <typename... FutOrFuncs>
    requires(sizeof...(FutOrFuncs) > 0 && (internal::future_or_func<FutOrFuncs> && ...) &&
             !(is_future_v<std::remove_cvref_t<FutOrFuncs>> && ...))
auto when_all(FutOrFuncs&&... fut_or_funcs) noexcept {
    return when_all(internal::to_future(std::forward<FutOrFuncs>(fut_or_funcs))...);
}

template <typename Iterator, typename Sentinel>
    requires is_future_v<typename std::iterator_traits<Iterator>::value_type>
auto when_all(Iterator begin, Sentinel end) noexcept {
    using T = typename internal::future_value<typename std::iterator_traits<Iterator>::value_type>::type;
    std::vector<future<T>> futures;
    try {
        for (; begin != end; ++begin) {
            futures.push_back(std::move(*begin));
        }
    } catch (...) {
        for (auto& f : futures) {
            f.ignore_ready_future();
        }
        return make_exception_future<std::vector<future<T>>>(std::current_exception());
    }
    auto w = new internal::when_all_vector_waiter<T>(std::move(futures));
    auto f = w->get_future();
    w->run_and_dispose();
    return f;
}

template <typename... T>
auto when_all_succeed(future<T>&&... futures) noexcept {
    using result = decltype(std::tuple_cat(std::declval<internal::value_tuple_t<T>>()...));
    return when_all(std::move(futures)...).then([](std::tuple<future<T>...> all) {
        return std::apply(
            [](auto&... f) -> future<result> {
                std::exception_ptr ex;
                auto first_failure = [&ex](auto& f) {
                    if (f.failed()) {
                        if (!ex) {
                            ex = f.get_exception();
                        } else {
                            f.ignore_ready_future();
                        }
                    }
                };
                (first_failure(f), ...);
                if (ex) {
                    (f.ignore_ready_future(), ...);
                    return make_exception_future<result>(std::move(ex));
                }
                return make_ready_future<result>(std::tuple_cat(internal::take_as_tuple(f)...));
            },
            all);
    });
}

template <typename... FutOrFuncs>
    requires(sizeof...(FutOrFuncs) > 0 && (internal::future_or_func<FutOrFuncs> && ...) &&
             !(is_future_v<std::remove_cvref_t<FutOrFuncs>> && ...))
auto when_all_succeed(FutOrFuncs&&... fut_or_funcs) noexcept {
    return when_all_succeed(internal::to_future(std::forward<FutOrFuncs>(fut_or_funcs))...);
}

template <typename Iterator, typename Sentinel>
    requires is_future_v<typename std::iterator_traits<Iterator>::value_type>
auto when_all_succeed(Iterator begin, Sentinel end) noexcept {
    using T = typename internal::future_value<typename std::iterator_traits<Iterator>::value_type>::type;
    return when_all(std::move(begin), std::move(end)).then([](std::vector<future<T>> all) {
        std::exception_ptr ex;
        for (auto& f : all) {
            if (f.failed()) {
                if (!ex) {
                    ex = f.get_exception();
                } else {
                    f.ignore_ready_future();
                }
            }
        }
        if constexpr (std::is_void_v<T>) {
            for (auto& f : all) {
                f.ignore_ready_future();
            }
            return ex ? make_exception_future<>(std::move(ex)) : make_ready_future<>();
        } else {
            if (ex) {
                for (auto& f : all) {
                    f.ignore_ready_future();
                }
                return make_exception_future<std::vector<T>>(std::move(ex));
            }
            std::vector<T> values;
            values.reserve(all.size());
            for (auto& f : all) {
                values.push_back(f.get());
            }
            return make_ready_future<std::vector<T>>(std::move(values));
        }
    });
}

// Over a vector of futures (taken over).
template <typename T>
auto when_all(std::vector<future<T>>&& futures) noexcept {
    return when_all(futures.begin(), futures.end());
}

template <typename T>
auto when_all_succeed(std::vector<future<T>>&& futures) noexcept {
    return when_all_succeed(futures.begin(), futures.end());
}

} // namespace seastar
