// Execution stages: calls to one function are queued and run later as a batch, in a
// task of the stage's scheduling group, so that the function's instruction cache
// footprint is paid once per batch instead of once per call.
//
//     static thread_local auto stage = seastar::make_execution_stage("handle", &server::handle);
//     future<response> server::process(request req) {
//         return stage(this, std::move(req)); // runs server::handle(this, req) in a batch
//     }
//
// concrete_execution_stage<Ret, Args...> runs its calls in the group it was given (the
// default group if none). inheriting_concrete_execution_stage<Ret, Args...> keeps one
// stage per scheduling group and runs each call in the group current at the call (made
// on first use of a group). make_execution_stage() deduces the types from a function
// object, a function pointer or a member-function pointer (called with the object's
// pointer first).
//
// Contract: one shard: a stage is used and flushed on the thread that made it (make it
// thread_local or per-shard). A call copies or moves its arguments into the queue; a
// parameter of type T& is held as std::reference_wrapper<T> (pass an lvalue or
// std::ref()), so its object must live until the call runs. The returned future
// resolves with the function's result (exceptions become failed futures). Queuing
// allocates (std::bad_alloc is thrown from the call). A batch runs until the queue is
// empty or the task quota is used up, then yields and continues in a new task. A stage
// may be destroyed while calls are queued only if nobody waits for them (their
// futures fail with broken_promise).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/sstring.hh"
#include "seastar/core/task.hh"
#include "seastar/util/noncopyable_function.hh"

namespace seastar {

namespace internal {

// How a stage holds an argument of parameter type T until the call runs.
template <typename T>
struct wrap_for_es {
    using type = std::decay_t<T>;
};
template <typename T>
struct wrap_for_es<T&> {
    using type = std::reference_wrapper<T>;
};
template <typename T>
struct wrap_for_es<T&&> {
    using type = T;
};

template <typename T>
decltype(auto) unwrap_for_es(T&& obj) {
    return std::forward<T>(obj);
}
template <typename T>
T& unwrap_for_es(std::reference_wrapper<T> ref) {
    return ref.get();
}

class execution_stage_flush_task;

} // namespace internal

// What all stages share: the name, the group, the statistics and the flush task.
class execution_stage {
public:
    struct stats {
        uint64_t tasks_scheduled = 0;         // batches started
        uint64_t tasks_preempted = 0;         // batches cut short by the task quota
        uint64_t function_calls_enqueued = 0; // calls queued
        uint64_t function_calls_executed = 0; // calls run
    };

protected:
    bool _empty = true;
    stats _stats;
    sstring _name;
    scheduling_group _sg;
    internal::execution_stage_flush_task* _flush_task = nullptr;

    // Runs queued calls until the queue is empty or the quota is used up.
    virtual void do_flush() noexcept = 0;

    friend class internal::execution_stage_flush_task;

public:
    execution_stage(const sstring& name, scheduling_group sg = {}) : _name(name), _sg(sg) {}
    virtual ~execution_stage();
    execution_stage(const execution_stage&) = delete;
    execution_stage& operator=(const execution_stage&) = delete;

    const sstring& name() const noexcept { return _name; }
    const stats& get_stats() const noexcept { return _stats; }
    // Schedules a batch unless one is scheduled or nothing is queued; true if one is
    // scheduled now.
    bool flush() noexcept;
    // True when calls are queued.
    bool poll() const noexcept { return !_empty; }
};

namespace internal {

// One batch of a stage; freed when it has run (or left alone if the stage went first).
class execution_stage_flush_task final : public task {
    execution_stage* _stage;

public:
    explicit execution_stage_flush_task(execution_stage* s, scheduling_group sg) noexcept : task(sg), _stage(s) {}
    void forget() noexcept { _stage = nullptr; }
    void run_and_dispose() noexcept override {
        if (auto s = _stage) {
            s->_flush_task = nullptr;
            ++s->_stats.tasks_scheduled;
            s->do_flush();
            if (!s->_empty) {
                ++s->_stats.tasks_preempted;
                s->flush();
            }
        }
        delete this;
    }
};

} // namespace internal

inline execution_stage::~execution_stage() {
    if (_flush_task) {
        _flush_task->forget();
    }
}

inline bool execution_stage::flush() noexcept {
    if (_empty || _flush_task) {
        return false;
    }
    auto t = new (std::nothrow) internal::execution_stage_flush_task(this, _sg);
    if (!t) {
        return false; // tried again by the next call
    }
    _flush_task = t;
    schedule(t);
    return true;
}

template <typename ReturnType, typename... Args>
    requires std::is_nothrow_move_constructible_v<std::tuple<typename internal::wrap_for_es<Args>::type...>>
class concrete_execution_stage final : public execution_stage {
    using args_tuple = std::tuple<typename internal::wrap_for_es<Args>::type...>;
    using return_type = futurize_t<ReturnType>;
    using promise_type = typename return_type::promise_type;

    struct work_item {
        args_tuple in;
        promise_type ready;
        explicit work_item(args_tuple&& a) : in(std::move(a)) {}
    };

    noncopyable_function<ReturnType(Args...)> _function;
    std::deque<work_item> _queue;

    void do_flush() noexcept override {
        while (!_queue.empty()) {
            auto& wi = _queue.front();
            auto f = std::apply(
                [this](auto&&... a) {
                    return futurize_invoke(_function, internal::unwrap_for_es(std::forward<decltype(a)>(a))...);
                },
                std::move(wi.in));
            f.forward_to(std::move(wi.ready));
            _queue.pop_front();
            ++_stats.function_calls_executed;
            if (need_preempt()) {
                break;
            }
        }
        _empty = _queue.empty();
    }

public:
    concrete_execution_stage(const sstring& name, scheduling_group sg, noncopyable_function<ReturnType(Args...)> f)
        : execution_stage(name, sg), _function(std::move(f)) {}
    concrete_execution_stage(const sstring& name, noncopyable_function<ReturnType(Args...)> f)
        : concrete_execution_stage(name, scheduling_group(), std::move(f)) {}

    // Queues a call; its future resolves when the batch it belongs to has run it.
    template <typename... InputArgs>
    return_type operator()(InputArgs&&... args) {
        _queue.emplace_back(args_tuple(std::forward<InputArgs>(args)...));
        auto f = _queue.back().ready.get_future();
        _empty = false;
        ++_stats.function_calls_enqueued;
        flush();
        return f;
    }
};

// One concrete stage per scheduling group; a call runs in the group that is current.
template <typename ReturnType, typename... Args>
class inheriting_concrete_execution_stage final {
    using stage = concrete_execution_stage<ReturnType, Args...>;
    using return_type = futurize_t<ReturnType>;

    sstring _name;
    noncopyable_function<ReturnType(Args...)> _function;
    std::vector<std::unique_ptr<stage>> _stages;

    stage& stage_for(scheduling_group sg) {
        auto i = internal::scheduling_group_index(sg);
        if (_stages.size() <= i) {
            _stages.resize(i + 1);
        }
        if (!_stages[i]) {
            _stages[i] = std::make_unique<stage>(_name + sstring(".") + sstring(sg.name()), sg, [this](Args... args) {
                return _function(std::forward<Args>(args)...);
            });
        }
        return *_stages[i];
    }

public:
    struct per_scheduling_group_stats {
        scheduling_group sg;
        execution_stage::stats stats;
    };
    using stats = std::vector<per_scheduling_group_stats>;

    inheriting_concrete_execution_stage(const sstring& name, noncopyable_function<ReturnType(Args...)> f)
        : _name(name), _function(std::move(f)) {}
    // Its stages refer to it.
    inheriting_concrete_execution_stage(const inheriting_concrete_execution_stage&) = delete;
    inheriting_concrete_execution_stage& operator=(const inheriting_concrete_execution_stage&) = delete;

    template <typename... InputArgs>
    return_type operator()(InputArgs&&... args) {
        return stage_for(current_scheduling_group())(std::forward<InputArgs>(args)...);
    }

    // The groups used so far, with their stages' statistics.
    stats get_stats() const noexcept {
        stats r;
        for (unsigned i = 0; i < _stages.size(); ++i) {
            if (_stages[i]) {
                r.push_back({internal::scheduling_group_from_index(i), _stages[i]->get_stats()});
            }
        }
        return r;
    }
};

namespace internal {

template <typename F>
struct es_signature : es_signature<decltype(&std::decay_t<F>::operator())> {};
template <typename Ret, typename... Args>
struct es_signature<Ret (*)(Args...)> {
    using stage = concrete_execution_stage<Ret, Args...>;
};
template <typename Ret, typename C, typename... Args>
struct es_signature<Ret (C::*)(Args...)> {
    using stage = concrete_execution_stage<Ret, Args...>;
};
template <typename Ret, typename C, typename... Args>
struct es_signature<Ret (C::*)(Args...) const> {
    using stage = concrete_execution_stage<Ret, Args...>;
};
template <typename Ret, typename C, typename... Args>
struct es_signature<Ret (C::*)(Args...) noexcept> {
    using stage = concrete_execution_stage<Ret, Args...>;
};
template <typename Ret, typename C, typename... Args>
struct es_signature<Ret (C::*)(Args...) const noexcept> {
    using stage = concrete_execution_stage<Ret, Args...>;
};

// A member function pointer, called with the object's pointer first.
template <typename M>
struct es_member;
template <typename Ret, typename C, typename... Args>
struct es_member<Ret (C::*)(Args...)> {
    using stage = concrete_execution_stage<Ret, C*, Args...>;
};
template <typename Ret, typename C, typename... Args>
struct es_member<Ret (C::*)(Args...) const> {
    using stage = concrete_execution_stage<Ret, const C*, Args...>;
};

} // namespace internal

template <typename Function>
auto make_execution_stage(const sstring& name, scheduling_group sg, Function&& fn) {
    if constexpr (std::is_member_function_pointer_v<std::decay_t<Function>>) {
        using stage = typename internal::es_member<std::decay_t<Function>>::stage;
        return stage(name, sg, std::mem_fn(fn));
    } else {
        using stage = typename internal::es_signature<std::decay_t<Function>>::stage;
        return stage(name, sg, std::forward<Function>(fn));
    }
}

template <typename Function>
auto make_execution_stage(const sstring& name, Function&& fn) {
    return make_execution_stage(name, scheduling_group(), std::forward<Function>(fn));
}

} // namespace seastar
