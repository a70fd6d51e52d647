// when_any: wait until the first of several futures resolves.
//
//   * when_any(begin, end) -> future<when_any_result<std::vector<future<T>>>>
//   * when_any(f1, f2, ...) -> future<when_any_result<std::tuple<future<T1>, ...>>>
//
// The result holds the index of the first future to resolve (successfully or
// not) and all the futures, the others possibly still pending; the caller
// owns them. It fails only if no future is given (std::invalid_argument for
// an empty range). Allocates one shared state and one continuation per input.
//
//     return seastar::when_any(fetch_a(), fetch_b()).then([] (auto r) { ... r.index ... });
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "seastar/core/future.hh"

namespace seastar {

template <typename Container>
struct when_any_result {
    std::size_t index;
    Container futures;
};

namespace internal {

template <typename Container>
struct when_any_state {
    Container futures;
    promise<when_any_result<Container>> pr;
    bool done = false;
    void complete(std::size_t index) noexcept {
        if (!done) {
            done = true;
            pr.set_value(when_any_result<Container>{index, std::move(futures)});
        }
    }
};

} // namespace internal

template <typename Iterator, typename Sentinel>
    requires is_future_v<typename std::iterator_traits<Iterator>::value_type>
auto when_any(Iterator begin, Sentinel end) noexcept {
    using F = typename std::iterator_traits<Iterator>::value_type;
    using container = std::vector<F>;
    using state = internal::when_any_state<container>;
    if (begin == end) {
        return make_exception_future<when_any_result<container>>(std::invalid_argument("when_any() of nothing"));
    }
    std::shared_ptr<state> st;
    try {
        st = std::make_shared<state>();
        for (; begin != end; ++begin) {
            st->futures.push_back(std::move(*begin));
        }
    } catch (...) {
        return make_exception_future<when_any_result<container>>(std::current_exception());
    }
    auto ret = st->pr.get_future();
    for (std::size_t i = 0; i < st->futures.size() && !st->done; ++i) {
        if (st->futures[i].available()) {
            st->complete(i);
        }
    }
    if (!st->done) {
        for (std::size_t i = 0; i < st->futures.size(); ++i) {
            // The returned future stands in for the input; it resolves when the input does.
            st->futures[i] = std::move(st->futures[i]).then_wrapped([st, i](F f) {
                st->complete(i);
                return f;
            });
        }
    }
    return ret;
}

template <typename... T>
auto when_any(future<T>&&... futures) noexcept {
    using container = std::tuple<future<T>...>;
    using state = internal::when_any_state<container>;
    static_assert(sizeof...(T) > 0, "when_any() needs at least one future");
    std::shared_ptr<state> st;
    try {
        st = std::make_shared<state>(state{container(std::move(futures)...), {}, false});
    } catch (...) {
        return make_exception_future<when_any_result<container>>(std::current_exception());
    }
    auto ret = st->pr.get_future();
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((std::get<I>(st->futures).available() ? st->complete(I) : void()), ...);
        if (!st->done) {
            ((std::get<I>(st->futures) = std::move(std::get<I>(st->futures)).then_wrapped([st](auto f) {
                st->complete(I);
                return f;
            })),
                    ...);
        }
    }(std::index_sequence_for<T...>());
    return ret;
}

} // namespace seastar
