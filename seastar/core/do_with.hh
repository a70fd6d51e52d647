// do_with(values..., func): keeps values alive, at a stable address, until
// the future returned by func(values&...) resolves.
//
// Contract: moves the values into one heap allocation (which may throw
// std::bad_alloc: the result is then a failed future); func receives lvalue
// references to them. If func's future is ready at once, the values are
// destroyed before do_with returns; otherwise right after that future resolves
// and before the returned future does. Exceptions from func fail the result.
//
//     return seastar::do_with(std::string("key"), [] (std::string& key) {
//         return lookup(key);   // key lives until lookup's future resolves
//     });
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/task.hh"

namespace seastar {

namespace internal {

template <typename Values, typename T>
class do_with_state final : public task {
public:
    Values _values;
    future_state<T> _slot;
    promise<T> _pr;

    template <typename... A>
    explicit do_with_state(A&&... a) : _values(std::forward<A>(a)...) {
        _slot.ignore();
    }
    void run_and_dispose() noexcept override {
        auto pr = std::move(_pr);
        auto f = future_access<T>::from_state(std::move(_slot));
        delete this;   // values go before the result is delivered
        f.forward_to(std::move(pr));
    }
};

template <typename All, std::size_t... I>
auto do_with_impl(All&& all, std::index_sequence<I...>) noexcept {
    constexpr std::size_t n = sizeof...(I);
    using values = std::tuple<std::decay_t<std::tuple_element_t<I, std::remove_reference_t<All>>>...>;
    auto&& func = std::get<n>(all);
    using R = std::invoke_result_t<decltype(func), std::tuple_element_t<I, values>&...>;
    using futurator = futurize<R>;
    using T = typename futurator::value_type;
    using state = do_with_state<values, T>;
    state* st;
    try {
        st = new state(std::forward<std::tuple_element_t<I, std::remove_reference_t<All>>>(std::get<I>(all))...);
    } catch (...) {
        return futurator::make_exception_future(std::current_exception());
    }
    auto f = futurator::invoke(std::forward<decltype(func)>(func), std::get<I>(st->_values)...);
    if (f.available()) {
        delete st;
        return f;
    }
    auto ret = st->_pr.get_future();
    future_access<T>::attach(f, &st->_slot, st);
    return ret;
}

} // namespace internal

template <typename T1, typename... More>
auto do_with(T1&& value, More&&... more) noexcept {
    static_assert(sizeof...(More) >= 1, "do_with(values..., func)");
    return internal::do_with_impl(std::forward_as_tuple(std::forward<T1>(value), std::forward<More>(more)...),
            std::make_index_sequence<sizeof...(More)>());
}

} // namespace seastar
