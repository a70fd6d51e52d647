// sharded<Service>: one instance of a service on every shard.
//
// start(args...) constructs Service(args...) on each shard (arguments are copied to each
// shard; wrap them in std::ref() to share one object, which must then be safe to use from
// every shard). Calls reach an instance through invoke_on(shard, ...), invoke_on_all(...),
// map_reduce(...), or local() on the instance's own shard. stop() waits for every call made
// through invoke_on / invoke_on_all / map_reduce to finish, then, shard by shard in order
// 0, 1, ..., calls the instance's stop() (if it has one) and destroys the instance there.
//
// Contract:
// - The sharded object itself lives on one shard (the one that calls start() and stop());
//   its calls may be made from any shard while it is started. Calls made after stop() has
//   begun fail with gate_closed_exception.
// - start() fails with the first constructor's exception, after stopping the instances that
//   were created. Every started sharded<> must be stopped before it is destroyed.
// - Each call allocates a work item (see smp.hh); local() does not allocate.
// - invoke_on / invoke_on_all / invoke_on_others take an smp_submit_to_options first
//   argument (service group, timeout) as smp::submit_to() does.
// - start() arguments: std::ref(other) for a sharded<U> other becomes, on each shard, an
//   either_sharded_or_local<U> that converts to other.local() (U&) or to other itself;
//   sharded_parameter(func, params...) becomes func(params...) evaluated on each shard (its
//   params unwrapped the same way). start_single() builds one instance, on shard 0 only.
// - A Service deriving from async_sharded_service<Service> may keep itself alive with
//   shared_from_this() past its stop(); sharded::stop() then resolves only once the last
//   reference is gone and the instance destroyed (on its shard).
//
// Example:
//
//     struct counter {
//         uint64_t n = 0;
//         seastar::future<> stop() { return seastar::make_ready_future<>(); }
//     };
//     seastar::sharded<counter> c;
//     co_await c.start();
//     co_await c.invoke_on_all([] (counter& x) { ++x.n; });
//     auto total = co_await c.map_reduce0([] (counter& x) { return x.n; }, uint64_t(0), std::plus<>());
//     co_await c.stop();
#pragma once

#include <cassert>
#include <exception>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/foreign_ptr.hh"
#include "seastar/core/future.hh"
#include "seastar/core/gate.hh"
#include "seastar/core/smp.hh"

namespace seastar {

template <typename Service>
class sharded;

// A service that wants to reach its peers on other shards derives from this; container()
// is the sharded<> that holds it.
template <typename Service>
class peering_sharded_service {
    sharded<Service>* _container = nullptr;

public:
    sharded<Service>& container() noexcept { return *_container; }
    const sharded<Service>& container() const noexcept { return *_container; }
    void set_container(sharded<Service>* c) noexcept { _container = c; }
};

class no_sharded_instance_exception : public std::exception {
public:
    const char* what() const noexcept override { return "sharded: no instance on this shard"; }
};

// Base of a service that may outlive its stop() while calls it started still hold it
// (through shared_from_this()); sharded<>::stop() waits until it is destroyed.
template <typename T>
class async_sharded_service : public std::enable_shared_from_this<T> {
    std::function<void()> _delete_cb;

protected:
    async_sharded_service() noexcept = default;
    async_sharded_service(const async_sharded_service&) = delete;
    async_sharded_service& operator=(const async_sharded_service&) = delete;
    virtual ~async_sharded_service() {
        if (_delete_cb) {
            _delete_cb();
        }
    }

    template <typename Service>
    friend class sharded;
};

// What std::ref(sharded<Service>) passed to sharded<>::start() becomes on each shard: the
// local instance, or the sharded<> itself, whichever the constructor takes.
template <typename Service>
class either_sharded_or_local {
    sharded<Service>& _sharded;

public:
    explicit either_sharded_or_local(sharded<Service>& s) noexcept : _sharded(s) {}
    operator sharded<Service>&() noexcept { return _sharded; }
    operator Service&() noexcept { return _sharded.local(); }
};

namespace internal {
struct sharded_parameter_evaluator;
} // namespace internal

// A start() argument computed on each shard: func(params...) there, with each param
// unwrapped as start() unwraps its own arguments.
template <typename Func, typename... Params>
class sharded_parameter {
    Func _func;
    std::tuple<Params...> _params;

public:
    explicit sharded_parameter(Func func,
                               Params... params) noexcept(std::is_nothrow_move_constructible_v<Func> &&
                                                          (std::is_nothrow_move_constructible_v<Params> && ...))
        : _func(std::move(func)), _params(std::move(params)...) {}

private:
    auto evaluate() const;

    friend struct internal::sharded_parameter_evaluator;
};

namespace internal {

template <typename T>
const T& unwrap_sharded_arg(const T& arg) noexcept {
    return arg;
}

template <typename Service>
either_sharded_or_local<Service> unwrap_sharded_arg(std::reference_wrapper<sharded<Service>> arg) noexcept {
    return either_sharded_or_local<Service>(arg.get());
}

struct sharded_parameter_evaluator {
    template <typename Func, typename... Params>
    static auto evaluate(const sharded_parameter<Func, Params...>& sp) {
        return sp.evaluate();
    }
};

template <typename Func, typename... Params>
auto unwrap_sharded_arg(const sharded_parameter<Func, Params...>& sp) {
    return sharded_parameter_evaluator::evaluate(sp);
}

} // namespace internal

template <typename Func, typename... Params>
auto sharded_parameter<Func, Params...>::evaluate() const {
    return std::apply(
        [this](const Params&... params) { return std::invoke(_func, internal::unwrap_sharded_arg(params)...); },
        _params);
}

template <typename Service>
class sharded {
    struct entry {
        std::shared_ptr<Service> service;
        // Calls this shard made through us that have not returned yet.
        gate calls;
    };
    std::vector<entry> _instances;

    static constexpr bool is_async = std::is_base_of_v<async_sharded_service<Service>, Service>;

public:
    sharded() = default;
    sharded(const sharded&) = delete;
    sharded& operator=(const sharded&) = delete;
    ~sharded() { assert(_instances.empty() && "sharded<> destroyed without stop()"); }

    template <typename... Args>
    future<> start(Args&&... args) noexcept {
        return do_start(false, std::forward<Args>(args)...);
    }

    // Like start(), but builds a single instance, on shard 0; the other shards have none
    // (calls to them fail with no_sharded_instance_exception).
    template <typename... Args>
    future<> start_single(Args&&... args) noexcept {
        return do_start(true, std::forward<Args>(args)...);
    }

    future<> stop() noexcept {
        if (_instances.empty()) {
            return make_ready_future<>();
        }
        return do_stop();
    }

    bool local_is_initialized() const noexcept {
        auto id = this_shard_id();
        return id < _instances.size() && _instances[id].service;
    }

    Service& local() noexcept {
        assert(local_is_initialized());
        return *_instances[this_shard_id()].service;
    }
    const Service& local() const noexcept {
        assert(local_is_initialized());
        return *_instances[this_shard_id()].service;
    }

    // func(Service&, args...) on `shard`; its result (value or future) comes back.
    template <typename Func, typename... Args>
        requires(!std::is_convertible_v<Func, smp_submit_to_options>)
    auto invoke_on(shard_id shard, Func func, Args... args) noexcept {
        return invoke_on(shard, smp_submit_to_options(), std::move(func), std::move(args)...);
    }

    // Same, the call counted against options.service_group's bound (see smp.hh).
    template <typename Func, typename... Args>
    auto invoke_on(shard_id shard, smp_submit_to_options options, Func func, Args... args) noexcept {
        using R = std::invoke_result_t<Func&, Service&, Args&...>;
        using futurator = futurize<R>;
        if (this_shard_id() >= _instances.size()) {
            return futurator::make_exception_future(std::make_exception_ptr(no_sharded_instance_exception()));
        }
        auto& g = _instances[this_shard_id()].calls;
        if (!g.try_enter()) {
            return futurator::make_exception_future(std::make_exception_ptr(gate_closed_exception()));
        }
        return smp::submit_to(shard, options,
                              [this, func = std::move(func), ... args = std::move(args)]() mutable {
                                  auto& e = _instances[this_shard_id()];
                                  if (!e.service) {
                                      return futurator::make_exception_future(
                                          std::make_exception_ptr(no_sharded_instance_exception()));
                                  }
                                  if constexpr (is_async) {
                                      // The instance outlives the call even if stop() began.
                                      auto keep = e.service;
                                      return futurator::invoke(func, *keep, args...).finally([keep] {});
                                  } else {
                                      return futurator::invoke(func, *e.service, args...);
                                  }
                              })
            .finally([&g] { g.leave(); });
    }

    // func(Service&, args...) on every shard, concurrently.
    template <typename Func, typename... Args>
        requires(!std::is_convertible_v<Func, smp_submit_to_options>)
    future<> invoke_on_all(Func func, Args... args) noexcept {
        return on_set(shard_id(-1), smp_submit_to_options(), std::move(func), std::move(args)...);
    }

    template <typename Func, typename... Args>
    future<> invoke_on_all(smp_submit_to_options options, Func func, Args... args) noexcept {
        return on_set(shard_id(-1), options, std::move(func), std::move(args)...);
    }

    // Same, on every shard but the calling one.
    template <typename Func, typename... Args>
        requires(!std::is_convertible_v<Func, smp_submit_to_options>)
    future<> invoke_on_others(Func func, Args... args) noexcept {
        return on_set(this_shard_id(), smp_submit_to_options(), std::move(func), std::move(args)...);
    }

    template <typename Func, typename... Args>
    future<> invoke_on_others(smp_submit_to_options options, Func func, Args... args) noexcept {
        return on_set(this_shard_id(), options, std::move(func), std::move(args)...);
    }

    // mapper(Service&) on every shard; the results are folded on the calling shard with
    // initial = reduce(initial, result), in the order the results arrive.
    template <typename Mapper, typename Initial, typename Reduce>
    future<Initial> map_reduce0(Mapper mapper, Initial initial, Reduce reduce) {
        std::vector<decltype(invoke_on(0, mapper))> futs;
        futs.reserve(smp::count);
        for (shard_id s = 0; s < smp::count; ++s) {
            futs.push_back(invoke_on(s, mapper));
        }
        std::exception_ptr ex;
        for (auto& f : futs) {
            try {
                auto v = co_await std::move(f);
                if (!ex) {
                    initial = reduce(std::move(initial), std::move(v));
                }
            } catch (...) {
                if (!ex) {
                    ex = std::current_exception();
                }
            }
        }
        if (ex) {
            std::rethrow_exception(ex);
        }
        co_return initial;
    }

    // Seastar's reducer form: reducer(value) (returning void or future<>) for each shard's
    // mapper(Service&) result; resolves to reducer.get().
    template <typename Reducer, typename Mapper>
    auto map_reduce(Reducer r, Mapper mapper) -> future<decltype(r.get())> {
        std::vector<decltype(invoke_on(0, mapper))> futs;
        futs.reserve(smp::count);
        for (shard_id s = 0; s < smp::count; ++s) {
            futs.push_back(invoke_on(s, mapper));
        }
        std::exception_ptr ex;
        for (auto& f : futs) {
            try {
                auto v = co_await std::move(f);
                if (!ex) {
                    co_await futurize_invoke(r, std::move(v));
                }
            } catch (...) {
                if (!ex) {
                    ex = std::current_exception();
                }
            }
        }
        if (ex) {
            std::rethrow_exception(ex);
        }
        co_return r.get();
    }

    // mapper(Service&) on every shard; the results by shard number.
    template <typename Mapper>
    auto map(Mapper mapper)
        -> future<std::vector<typename futurize<std::invoke_result_t<Mapper&, Service&>>::value_type>> {
        using T = typename futurize<std::invoke_result_t<Mapper&, Service&>>::value_type;
        std::vector<T> out;
        out.reserve(smp::count);
        std::vector<future<T>> futs;
        for (shard_id s = 0; s < smp::count; ++s) {
            futs.push_back(invoke_on(s, mapper));
        }
        std::exception_ptr ex;
        for (auto& f : futs) {
            try {
                out.push_back(co_await std::move(f));
            } catch (...) {
                if (!ex) {
                    ex = std::current_exception();
                }
            }
        }
        if (ex) {
            std::rethrow_exception(ex);
        }
        co_return out;
    }

private:
    template <typename... Args>
    future<> do_start(bool single, Args&&... args) noexcept {
        if (!_instances.empty()) {
            return make_exception_future<>(std::logic_error("sharded::start: already started"));
        }
        try {
            _instances = std::vector<entry>(smp::count);
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
        auto make = [this, args...]() {
            auto& e = _instances[this_shard_id()];
            e.service = std::make_shared<Service>(internal::unwrap_sharded_arg(args)...);
            if constexpr (std::is_base_of_v<peering_sharded_service<Service>, Service>) {
                e.service->set_container(this);
            }
        };
        auto made = single ? smp::submit_to(0, std::move(make)) : smp::invoke_on_all(std::move(make));
        return std::move(made).then_wrapped([this](future<> f) -> future<> {
            if (!f.failed()) {
                return make_ready_future<>();
            }
            auto ex = f.get_exception();
            return stop().then_wrapped([ex](future<> s) mutable {
                s.ignore_ready_future();
                return make_exception_future<>(std::move(ex));
            });
        });
    }

    template <typename Func, typename... Args>
    future<> on_set(shard_id except, smp_submit_to_options options, Func func, Args... args) noexcept {
        std::vector<future<>> futs;
        try {
            futs.reserve(smp::count);
            for (shard_id s = 0; s < smp::count; ++s) {
                if (s != except) {
                    futs.push_back(invoke_on(s, options, [func, args...](Service& svc) mutable {
                        return futurize_invoke(func, svc, args...).discard_result();
                    }));
                }
            }
        } catch (...) {
            futs.push_back(make_exception_future<>(std::current_exception()));
        }
        return wait_all(std::move(futs));
    }

    static future<> wait_all(std::vector<future<>> futs) {
        std::exception_ptr ex;
        for (auto& f : futs) {
            try {
                co_await std::move(f);
            } catch (...) {
                if (!ex) {
                    ex = std::current_exception();
                }
            }
        }
        if (ex) {
            std::rethrow_exception(ex);
        }
    }

    future<> do_stop() {
        // 1: every shard waits for the calls it made through us (and makes no more).
        co_await smp::invoke_on_all([this] { return _instances[this_shard_id()].calls.close(); });
        // 2: shard by shard, stop and destroy the instance where it lives.
        std::exception_ptr ex;
        for (shard_id s = 0; s < _instances.size(); ++s) {
            try {
                co_await smp::submit_to(s, [this]() -> future<> {
                    auto& e = _instances[this_shard_id()];
                    if (!e.service) {
                        co_return;
                    }
                    std::exception_ptr err;
                    if constexpr (requires(Service& x) { x.stop(); }) {
                        try {
                            co_await futurize_invoke([&] { return e.service->stop(); });
                        } catch (...) {
                            err = std::current_exception();
                        }
                    }
                    if constexpr (is_async) {
                        // Destroyed when the last shared_from_this() holder lets go.
                        promise<> gone;
                        auto gone_f = gone.get_future();
                        e.service->_delete_cb = [&gone] { gone.set_value(); };
                        e.service.reset();
                        co_await std::move(gone_f);
                    } else {
                        e.service.reset();
                    }
                    if (err) {
                        std::rethrow_exception(err);
                    }
                });
            } catch (...) {
                if (!ex) {
                    ex = std::current_exception();
                }
            }
        }
        _instances.clear();
        if (ex) {
            std::rethrow_exception(ex);
        }
    }
};

} // namespace seastar
