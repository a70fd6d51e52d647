// Per-group values: state a library keeps for each scheduling group on each
// shard (a per-group counter, a per-group cache, an I/O class ...).
//
// A key names one kind of value. scheduling_group_key_create(cfg) (declared in
// scheduling.hh, implemented by the reactor layer) registers it and
// constructs a value for every existing group on every shard; groups created
// later get theirs when they are created. A shard that a creation did not
// reach (a reactor without smp on another std::thread) constructs its value
// on first use. Constructors run with their group current; values are
// destroyed on every shard when their group is destroyed, and when a shard
// stops (its thread exits or its reactor is destroyed).
//
// Contract: scheduling_group_get_specific<T>() is for the calling shard only,
// does not allocate except for the lazy first use, and never throws; asking
// with a T that is not the key's type is undefined behaviour (as in Seastar).
// If the
// lazy construction throws, the process aborts with a message (a constructor
// that can fail should fail in scheduling_group_key_create()).
//
//     struct stats { uint64_t requests = 0; };
//     auto key = co_await seastar::scheduling_group_key_create(
//             seastar::make_scheduling_group_key_config<stats>());
//     seastar::scheduling_group_get_specific<stats>(sg, key).requests++;
//     uint64_t all = co_await seastar::map_reduce_scheduling_group_specific<stats>(
//             [] (stats& s) { return s.requests; }, uint64_t(0), std::plus<>(), key);
#pragma once

#include <cstdio>
#include <cstdlib>
#include <new>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/scheduling.hh"

namespace seastar {

// A config whose values are T, constructed from copies of `args`.
template <typename T, typename... ConstructorArgs>
scheduling_group_key_config make_scheduling_group_key_config(ConstructorArgs... args) {
    scheduling_group_key_config sgkc(typeid(T));
    sgkc.allocation_size = sizeof(T);
    sgkc.alignment = alignof(T);
    sgkc.constructor = [args = std::make_tuple(args...)](void* p) {
        std::apply([p](auto&... a) { new (p) T(a...); }, args);
    };
    sgkc.destructor = [](void* p) { static_cast<T*>(p)->~T(); };
    if constexpr (requires(T& t) { t.rename(); }) {
        sgkc.rename = [](void* p) { static_cast<T*>(p)->rename(); };
    }
    return sgkc;
}

namespace internal {

[[noreturn]] inline void scheduling_group_specific_failed() noexcept {
    std::fputs("seastar: constructing a scheduling group's specific value failed\n", stderr);
    std::abort();
}

template <typename T>
T* scheduling_group_get_specific_ptr(scheduling_group sg, scheduling_group_key key) noexcept {
    void* p = scheduling_group_specific_slow(scheduling_group_index(sg), scheduling_group_key_id(key));
    if (!p) [[unlikely]] {
        scheduling_group_specific_failed();
    }
    return static_cast<T*>(p);
}

} // namespace internal

// This shard's value of `key` for `sg`.
template <typename T>
T& scheduling_group_get_specific(scheduling_group sg, scheduling_group_key key) noexcept {
    return *internal::scheduling_group_get_specific_ptr<T>(sg, key);
}

// This shard's value of `key` for the current group.
template <typename T>
T& scheduling_group_get_specific(scheduling_group_key key) noexcept {
    return scheduling_group_get_specific<T>(current_scheduling_group(), key);
}

template <typename T>
T& scheduling_group::get_specific(scheduling_group_key key) noexcept {
    return scheduling_group_get_specific<T>(*this, key);
}

// Maps every live group's value of `key` on this shard with `mapper` and folds
// the results into `initial_val` with `reducer`.
template <typename SpecificValType, typename Mapper, typename Reducer, typename Initial>
    requires requires(SpecificValType specific_val, Mapper mapper, Reducer reducer, Initial initial) {
        { reducer(initial, mapper(specific_val)) } -> std::convertible_to<Initial>;
    }
future<Initial> map_reduce_scheduling_group_specific(Mapper mapper, Initial initial_val, Reducer reducer,
                                                     scheduling_group_key key) {
    try {
        Initial acc = std::move(initial_val);
        internal::for_each_live_scheduling_group([&](unsigned i) {
            auto& v = scheduling_group_get_specific<SpecificValType>(internal::scheduling_group_from_index(i), key);
            acc = reducer(std::move(acc), mapper(v));
        });
        return make_ready_future<Initial>(std::move(acc));
    } catch (...) {
        return make_exception_future<Initial>(std::current_exception());
    }
}

// Folds every live group's value of `key` on this shard into `initial_val`.
template <typename SpecificValType, typename Reducer, typename Initial>
    requires requires(SpecificValType specific_val, Reducer reducer, Initial initial) {
        { reducer(initial, specific_val) } -> std::convertible_to<Initial>;
    }
future<Initial> reduce_scheduling_group_specific(Reducer reducer, Initial initial_val, scheduling_group_key key) {
    return map_reduce_scheduling_group_specific<SpecificValType>(
        [](SpecificValType& v) -> SpecificValType& { return v; }, std::move(initial_val), std::move(reducer), key);
}

} // namespace seastar
