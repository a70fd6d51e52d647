// map_reduce over a range within one shard: calls mapper(*it) for every
// element at once (like parallel_for_each) and folds the results as they
// arrive, in completion order (so `reduce` should be commutative).
//
//   * map_reduce(begin, end, mapper, initial, reduce) -> future<Initial>,
//     with reduce(Initial, mapped) -> Initial.
//   * map_reduce(begin, end, mapper, reducer) -> future<decltype(reducer.get())>,
//     with reducer(mapped) returning void or future<> and reducer.get() the result
//     (adder<T> sums).
//   * the same over a range: map_reduce(range, mapper, ...).
//
// Fails with one of the exceptions of mapper or reduce, after all mappers
// have finished. Allocates the shared state and a continuation per pending map.
//
//     return seastar::map_reduce(ids.begin(), ids.end(), fetch_size, size_t(0), std::plus<size_t>());
#pragma once

#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/loop.hh"

namespace seastar {

template <typename Iterator, typename Sentinel, typename Mapper, typename Initial, typename Reduce>
future<Initial> map_reduce(Iterator begin, Sentinel end, Mapper&& mapper, Initial initial, Reduce reduce) noexcept {
    struct state {
        std::decay_t<Mapper> mapper;
        Reduce reduce;
        Initial result;
    };
    std::shared_ptr<state> st;
    try {
        st = std::make_shared<state>(state{std::forward<Mapper>(mapper), std::move(reduce), std::move(initial)});
    } catch (...) {
        return make_exception_future<Initial>(std::current_exception());
    }
    return parallel_for_each(
               std::move(begin), std::move(end),
               [st](auto&& element) {
                   return futurize_invoke(st->mapper, std::forward<decltype(element)>(element)).then([st](auto mapped) {
                       st->result = st->reduce(std::move(st->result), std::move(mapped));
                   });
               })
        .then([st] { return std::move(st->result); });
}

template <typename Iterator, typename Sentinel, typename Mapper, typename Reducer>
auto map_reduce(Iterator begin, Sentinel end, Mapper&& mapper, Reducer&& r) noexcept
    -> futurize_t<decltype(std::declval<Reducer&>().get())> {
    using result = decltype(std::declval<Reducer&>().get());
    struct state {
        std::decay_t<Mapper> mapper;
        std::decay_t<Reducer> reducer;
    };
    std::shared_ptr<state> st;
    try {
        st = std::make_shared<state>(state{std::forward<Mapper>(mapper), std::forward<Reducer>(r)});
    } catch (...) {
        return futurize<result>::make_exception_future(std::current_exception());
    }
    return parallel_for_each(
               std::move(begin), std::move(end),
               [st](auto&& element) {
                   return futurize_invoke(st->mapper, std::forward<decltype(element)>(element)).then([st](auto mapped) {
                       return futurize_invoke(st->reducer, std::move(mapped));
                   });
               })
        .then([st] { return st->reducer.get(); });
}

// Over a range (kept alive by the caller until the result is ready).
template <typename Range, typename Mapper, typename Initial, typename Reduce>
    requires requires(Range& r) {
        std::begin(r);
        std::end(r);
    }
future<Initial> map_reduce(Range&& range, Mapper&& mapper, Initial initial, Reduce reduce) noexcept {
    return map_reduce(std::begin(range), std::end(range), std::forward<Mapper>(mapper), std::move(initial),
                      std::move(reduce));
}

template <typename Range, typename Mapper, typename Reducer>
    requires requires(Range& r, Reducer& red) {
        std::begin(r);
        std::end(r);
        red.get();
    }
auto map_reduce(Range&& range, Mapper&& mapper, Reducer&& r) noexcept {
    return map_reduce(std::begin(range), std::end(range), std::forward<Mapper>(mapper), std::forward<Reducer>(r));
}

// A reducer that sums what the mapper returns: map_reduce(range, mapper, adder<size_t>()).
template <typename Result, typename Addend = Result>
class adder {
    Result _result{};

public:
    future<> operator()(const Addend& value) {
        _result += value;
        return make_ready_future<>();
    }
    Result get() && { return std::move(_result); }
    Result get() & { return _result; }
};

} // namespace seastar
