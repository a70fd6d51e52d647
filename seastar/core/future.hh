// Futures and promises: the unit of asynchronous work inside a shard.
//
// A `future<T>` is a value of type T (or an exception) that may not be there
// yet; the `promise<T>` paired with it supplies it. Attach work with then(),
// then_wrapped(), finally(), handle_exception(); results of continuations are
// futurized (a value becomes a ready future, a returned future is unwrapped,
// an exception becomes a failed future - it never escapes).
//
// Contract:
//   * Single thread: a future, its promise and their continuations belong to
//     one thread (shard). Scheduling goes through core/task.hh's hook.
//   * Allocation: a future/promise pair allocates nothing. then() on a ready
//     future runs the continuation inline (no allocation) unless need_preempt()
//     or the inline nesting bound (internal::max_inline_depth) says otherwise,
//     in which case it allocates one task and schedules it. then() on a future
//     that is not ready allocates exactly one task, scheduled when the promise
//     is fulfilled. Allocation failure there terminates (these are noexcept).
//   * Errors: a promise destroyed unfulfilled fails its future with
//     broken_promise. A failed future (or failed result nobody took) destroyed
//     without its exception being retrieved is reported once through the
//     handler set by set_abandoned_failed_future_handler() (default: one line
//     on stderr).
//   * get(): returns the value (or throws the exception) of an available
//     future. On a future that is not available, it waits through the current
//     stackful context (seastar::thread) if one is installed; otherwise it
//     throws future_not_available (a usage error, never a normal outcome).
//   * T must be nothrow move constructible (as in Seastar).
//
// Example:
//
//     seastar::promise<int> p;
//     seastar::future<int> f = p.get_future().then([] (int v) { return v + 1; });
//     p.set_value(41);   // the continuation becomes a task
//     // ...once the scheduler ran it: f.get() == 42
#pragma once

#include <cassert>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include "seastar/core/task.hh"

namespace seastar {

template <typename T = void>
class future;
template <typename T = void>
class promise;
template <typename T>
struct futurize;
template <typename T>
using futurize_t = typename futurize<T>::type;

// The future of a promise that was destroyed without being fulfilled.
class broken_promise : public std::logic_error {
public:
    broken_promise();
};

// get() on a future that is not available, outside a stackful thread.
// The failure of a finally() whose function failed while the future it followed had
// failed too: `inner` is the function's exception, `outer` the future's.
class nested_exception : public std::exception {
public:
    std::exception_ptr inner;
    std::exception_ptr outer;

    nested_exception(std::exception_ptr inner_ex, std::exception_ptr outer_ex) noexcept
        : inner(std::move(inner_ex)), outer(std::move(outer_ex)) {}
    // Rethrows the outer exception.
    [[noreturn]] void rethrow_nested() const { std::rethrow_exception(outer); }
    const char* what() const noexcept override { return "seastar::nested_exception"; }
};

class future_not_available : public std::logic_error {
public:
    future_not_available();
};

// Called with the exception of a failed future that is destroyed without its
// exception having been retrieved (get(), get_exception(), a continuation,
// ignore_ready_future()). Process-wide; the reactor installs its logger here.
using abandoned_failed_future_handler = void (*)(const std::exception_ptr&) noexcept;

// Installs `h` (nullptr: the default, one line on stderr); returns the previous handler.
abandoned_failed_future_handler set_abandoned_failed_future_handler(abandoned_failed_future_handler h) noexcept;

template <typename T>
struct is_future : std::false_type {};
template <typename T>
struct is_future<future<T>> : std::true_type {};
template <typename T>
inline constexpr bool is_future_v = is_future<T>::value;

namespace internal {

struct monostate {};

template <typename T>
using value_or_monostate = std::conditional_t<std::is_void_v<T>, monostate, T>;

void report_abandoned_failed_future(const std::exception_ptr& ex) noexcept;

struct ready_tag {};
struct exception_tag {};

// The result slot shared by a future, its promise and a continuation.
template <typename T>
class future_state {
public:
    using value_type = value_or_monostate<T>;
    static_assert(std::is_nothrow_move_constructible_v<value_type>, "future<T> needs a nothrow-movable T");
    static_assert(!std::is_reference_v<T>, "future<T&> is not supported");

    enum class state : unsigned char { invalid, pending, result, exception };

private:
    state _st;
    union {
        value_type _value;
        std::exception_ptr _ex;
    };

    void destroy() noexcept {
        if (_st == state::result) {
            _value.~value_type();
        } else if (_st == state::exception) {
            report_abandoned_failed_future(_ex);
            _ex.~exception_ptr();
        }
    }
    void move_from(future_state&& o) noexcept {
        _st = o._st;
        if (_st == state::result) {
            new (&_value) value_type(std::move(o._value));
            o._value.~value_type();
        } else if (_st == state::exception) {
            new (&_ex) std::exception_ptr(std::move(o._ex));
            o._ex.~exception_ptr();
        }
        o._st = state::invalid;
    }

public:
    future_state() noexcept : _st(state::pending) {}
    template <typename... A>
    explicit future_state(ready_tag, A&&... a) noexcept(std::is_nothrow_constructible_v<value_type, A&&...>)
        : _st(state::result) {
        new (&_value) value_type(std::forward<A>(a)...);
    }
    future_state(exception_tag, std::exception_ptr&& ex) noexcept : _st(state::exception) {
        new (&_ex) std::exception_ptr(std::move(ex));
    }
    future_state(future_state&& o) noexcept { move_from(std::move(o)); }
    future_state& operator=(future_state&& o) noexcept {
        if (this != &o) {
            destroy();
            move_from(std::move(o));
        }
        return *this;
    }
    ~future_state() { destroy(); }

    bool available() const noexcept { return _st >= state::result; }
    bool failed() const noexcept { return _st == state::exception; }
    bool pending() const noexcept { return _st == state::pending; }
    bool valid() const noexcept { return _st != state::invalid; }

    template <typename... A>
    void set(A&&... a) noexcept(std::is_nothrow_constructible_v<value_type, A&&...>) {
        assert(_st == state::pending && "promise fulfilled twice");
        new (&_value) value_type(std::forward<A>(a)...);
        _st = state::result;
    }
    void set_exception(std::exception_ptr&& ex) noexcept {
        assert(_st == state::pending && "promise fulfilled twice");
        new (&_ex) std::exception_ptr(std::move(ex));
        _st = state::exception;
    }
    // Moves the value out; the state becomes invalid.
    value_type take_value() noexcept {
        assert(_st == state::result);
        value_type v(std::move(_value));
        _value.~value_type();
        _st = state::invalid;
        return v;
    }
    std::exception_ptr take_exception() noexcept {
        assert(_st == state::exception);
        std::exception_ptr ex(std::move(_ex));
        _ex.~exception_ptr();
        _st = state::invalid;
        return ex;
    }
    // Marks a result as consumed without looking at it (no abandoned report).
    void ignore() noexcept {
        if (_st == state::result) {
            _value.~value_type();
        } else if (_st == state::exception) {
            _ex.~exception_ptr();
        }
        _st = state::invalid;
    }
    value_type& value_ref() noexcept { return _value; }
    const std::exception_ptr& exception_ref() const noexcept { return _ex; }
};

template <typename T>
struct future_access;

} // namespace internal

// The producer side of a future. Movable, not copyable.
template <typename T>
class promise {
    using state_type = internal::future_state<T>;

    future<T>* _future = nullptr; // the future while it holds the result slot
    state_type* _state = nullptr; // where the result goes (nullptr: nobody listens)
    task* _task = nullptr;        // what to schedule once the result is there
    state_type _local_state;      // the slot until get_future() is called

    friend class future<T>;
    friend struct internal::future_access<T>;

    void make_ready(bool urgent = false) noexcept {
        if (_task) {
            if (urgent) {
                ::seastar::schedule_urgent(_task);
            } else {
                ::seastar::schedule(_task);
            }
            _task = nullptr;
        }
        if (_state != &_local_state) {
            _state = nullptr;
        }
        detach_future();
    }
    void detach_future() noexcept;
    void move_from(promise&& o) noexcept {
        _future = o._future;
        _task = o._task;
        if (o._state == &o._local_state) {
            _local_state = std::move(o._local_state);
            _state = &_local_state;
        } else {
            _state = o._state;
        }
        o._future = nullptr;
        o._state = nullptr;
        o._task = nullptr;
        relink_future();
    }
    void relink_future() noexcept;
    void abandon() noexcept {
        if (_state && _state != &_local_state && _state->pending()) {
            set_exception(std::make_exception_ptr(broken_promise()));
        }
        detach_future();
        _state = nullptr;
        _task = nullptr;
    }

public:
    promise() noexcept : _state(&_local_state) {}
    promise(promise&& o) noexcept { move_from(std::move(o)); }
    promise& operator=(promise&& o) noexcept {
        if (this != &o) {
            abandon();
            _local_state.ignore();
            move_from(std::move(o));
        }
        return *this;
    }
    promise(const promise&) = delete;
    promise& operator=(const promise&) = delete;
    ~promise() { abandon(); }

    // The future of this promise; call at most once.
    future<T> get_future() noexcept;

    template <typename... A>
    void set_value(A&&... a) noexcept {
        if (_state) {
            _state->set(std::forward<A>(a)...);
            make_ready();
        }
    }
    void set_exception(std::exception_ptr ex) noexcept {
        if (_state) {
            _state->set_exception(std::move(ex));
            make_ready();
        }
    }
    template <typename Ex>
        requires(!std::is_same_v<std::decay_t<Ex>, std::exception_ptr>)
    void set_exception(Ex&& ex) noexcept {
        set_exception(std::make_exception_ptr(std::forward<Ex>(ex)));
    }
    void set_to_current_exception() noexcept { set_exception(std::current_exception()); }
    // Moves the ready `state` (a value or an exception) into the future and
    // schedules its continuation as urgent: it runs before tasks already queued.
    void set_urgent_state(state_type&& state) noexcept {
        assert(state.available() && "set_urgent_state() needs a ready state");
        if (_state) {
            assert(_state->pending() && "promise fulfilled twice");
            *_state = std::move(state);
            make_ready(true);
        }
    }
};

namespace internal {

// A continuation: the result slot it waits on, the promise of its own result
// and the user's function. `Wrapper` decides how the function is called.
template <typename T, typename R, typename Func, typename Wrapper>
class continuation final : public task {
public:
    future_state<T> _state;
    promise<R> _pr;
    Func _func;

    explicit continuation(Func&& f) noexcept(std::is_nothrow_move_constructible_v<Func>) : _func(std::move(f)) {}
    void run_and_dispose() noexcept override {
        Wrapper::run(std::move(_pr), _func, std::move(_state));
        delete this;
    }
};

template <typename T, typename Func>
decltype(auto) invoke_with_state_value(Func& func, future_state<T>& st) {
    if constexpr (std::is_void_v<T>) {
        st.ignore();
        return std::invoke(func);
    } else {
        return std::invoke(func, st.take_value());
    }
}

template <typename T, typename Func>
struct then_result {
    using type = std::invoke_result_t<Func, T&&>;
};
template <typename Func>
struct then_result<void, Func> {
    using type = std::invoke_result_t<Func>;
};
template <typename T, typename Func>
using then_result_t = typename then_result<T, Func>::type;

// The first parameter type of a callable (a lambda or a function pointer).
template <typename F>
struct first_arg : first_arg<decltype(&std::remove_cvref_t<F>::operator())> {};
template <typename R, typename A, typename... Rest>
struct first_arg<R (*)(A, Rest...)> {
    using type = A;
};
template <typename C, typename R, typename A, typename... Rest>
struct first_arg<R (C::*)(A, Rest...)> {
    using type = A;
};
template <typename C, typename R, typename A, typename... Rest>
struct first_arg<R (C::*)(A, Rest...) const> {
    using type = A;
};
template <typename C, typename R, typename A, typename... Rest>
struct first_arg<R (C::*)(A, Rest...) noexcept> {
    using type = A;
};
template <typename C, typename R, typename A, typename... Rest>
struct first_arg<R (C::*)(A, Rest...) const noexcept> {
    using type = A;
};

} // namespace internal

// futurize<T>: turns "a function returning T" into "a function returning a future".
template <typename T>
struct futurize {
    using type = future<T>;
    using value_type = T;
    using promise_type = promise<T>;

    template <typename Func, typename... Args>
    static type invoke(Func&& func, Args&&... args) noexcept;
    template <typename Func, typename Tuple>
    static type apply(Func&& func, Tuple&& args) noexcept {
        return std::apply(
            [&func](auto&&... a) { return invoke(std::forward<Func>(func), std::forward<decltype(a)>(a)...); },
            std::forward<Tuple>(args));
    }
    static type make_exception_future(std::exception_ptr ex) noexcept;
    // Calls func() and delivers its result (or exception) to pr.
    template <typename Func>
    static void satisfy_with_result_of(promise<T>&& pr, Func&& func) noexcept;
};

template <typename T>
struct futurize<future<T>> {
    using type = future<T>;
    using value_type = T;
    using promise_type = promise<T>;

    template <typename Func, typename... Args>
    static type invoke(Func&& func, Args&&... args) noexcept;
    template <typename Func, typename Tuple>
    static type apply(Func&& func, Tuple&& args) noexcept {
        return std::apply(
            [&func](auto&&... a) { return invoke(std::forward<Func>(func), std::forward<decltype(a)>(a)...); },
            std::forward<Tuple>(args));
    }
    static type make_exception_future(std::exception_ptr ex) noexcept;
    template <typename Func>
    static void satisfy_with_result_of(promise<T>&& pr, Func&& func) noexcept;
};

template <>
struct futurize<void> {
    using type = future<>;
    using value_type = void;
    using promise_type = promise<>;

    template <typename Func, typename... Args>
    static type invoke(Func&& func, Args&&... args) noexcept;
    template <typename Func, typename Tuple>
    static type apply(Func&& func, Tuple&& args) noexcept;
    static type make_exception_future(std::exception_ptr ex) noexcept;
    template <typename Func>
    static void satisfy_with_result_of(promise<>&& pr, Func&& func) noexcept;
};

template <typename Func, typename... Args>
auto futurize_invoke(Func&& func, Args&&... args) noexcept {
    using R = std::invoke_result_t<Func, Args&&...>;
    return futurize<R>::invoke(std::forward<Func>(func), std::forward<Args>(args)...);
}

template <typename Func, typename... Args>
auto futurize_apply(Func&& func, std::tuple<Args...>&& args) noexcept {
    using R = std::invoke_result_t<Func, Args&&...>;
    return futurize<R>::apply(std::forward<Func>(func), std::move(args));
}

template <typename T = void, typename... A>
future<T> make_ready_future(A&&... value) noexcept;

template <typename T = void>
future<T> make_exception_future(std::exception_ptr ex) noexcept;

template <typename T = void, typename Ex>
    requires(!std::is_same_v<std::decay_t<Ex>, std::exception_ptr>)
future<T> make_exception_future(Ex&& ex) noexcept {
    return make_exception_future<T>(std::make_exception_ptr(std::forward<Ex>(ex)));
}

namespace internal {

template <typename T>
struct future_access {
    static future_state<T>& state(future<T>& f) noexcept { return f._state; }
    // Makes `t` run when `f` becomes available; the result stays in f, which
    // must not move until then. Used by coroutines and stackful threads.
    static void set_waiter(future<T>& f, task* t) noexcept { f.set_waiter(t); }
    // Moves f's result slot to `dest` (f becomes invalid) and schedules `t`
    // once the result is there (at once if f is available).
    static void attach(future<T>& f, future_state<T>* dest, task* t) noexcept { f.attach(dest, t); }
    static future<T> from_state(future_state<T>&& st) noexcept { return future<T>(std::move(st)); }
    // Fulfils pr and runs the task waiting for it directly instead of
    // scheduling it; only for callers that are themselves a task run by the
    // scheduler (bounded nesting).
    template <typename... A>
    static void set_value_and_run_waiter(promise<T>& pr, A&&... a) noexcept {
        task* t = pr._task;
        pr._task = nullptr;
        pr.set_value(std::forward<A>(a)...);
        if (t) {
            run_task(t);
        }
    }
};

} // namespace internal

template <typename T>
class [[nodiscard]] future {
    using state_type = internal::future_state<T>;

public:
    // What the future holds: T, or an empty struct for future<>.
    using value_type = typename state_type::value_type;
    using promise_type = promise<T>;

private:
    promise<T>* _promise = nullptr;
    state_type _state;

    friend class promise<T>;
    template <typename U>
    friend class future;
    friend struct internal::future_access<T>;
    template <typename U, typename... A>
    friend future<U> make_ready_future(A&&... value) noexcept;
    template <typename U>
    friend future<U> make_exception_future(std::exception_ptr ex) noexcept;
    template <typename U>
    friend struct futurize;

    explicit future(promise<T>* pr) noexcept : _promise(pr), _state(std::move(pr->_local_state)) {
        if (_state.available()) {
            _promise = nullptr;
            pr->_state = nullptr;
        } else {
            pr->_future = this;
            pr->_state = &_state;
        }
    }
    template <typename... A>
    explicit future(internal::ready_tag tag, A&&... a) noexcept(std::is_nothrow_constructible_v<value_type, A&&...>)
        : _state(tag, std::forward<A>(a)...) {}
    future(internal::exception_tag tag, std::exception_ptr&& ex) noexcept : _state(tag, std::move(ex)) {}
    explicit future(state_type&& st) noexcept : _state(std::move(st)) {}

    void detach_promise() noexcept {
        if (_promise) {
            _promise->_state = nullptr;
            _promise->_future = nullptr;
            _promise = nullptr;
        }
    }
    // The result slot stays here; `t` is scheduled when it is filled.
    void set_waiter(task* t) noexcept {
        assert(_promise && !_state.available());
        _promise->_task = t;
    }
    // Moves the result slot (and the promise's link to it) into `dest`,
    // scheduling `t` once it is filled. Leaves this future invalid.
    void attach(state_type* dest, task* t) noexcept {
        if (_state.available()) {
            *dest = std::move(_state);
            ::seastar::schedule(t);
        } else {
            assert(_promise && "future has neither a value nor a promise");
            *dest = state_type();
            _promise->_state = dest;
            _promise->_task = t;
            _promise->_future = nullptr;
            _promise = nullptr;
            _state.ignore();
        }
    }
    void do_wait() {
        auto ctx = internal::current_stackful_context();
        if (!ctx) {
            throw future_not_available();
        }
        set_waiter(ctx->resume_task());
        ctx->suspend();
        assert(_state.available());
    }

    template <typename Wrapper, typename R, typename Func>
    futurize_t<R> schedule_continuation(Func&& func) noexcept {
        using F = std::decay_t<Func>;
        using RV = typename futurize<R>::value_type;
        using cont = internal::continuation<T, RV, F, Wrapper>;
        auto c = new cont(F(std::forward<Func>(func)));
        auto ret = c->_pr.get_future();
        attach(&c->_state, c);
        return ret;
    }

    struct then_wrapper {
        template <typename R, typename Func>
        static void run(promise<R>&& pr, Func& func, state_type&& st) noexcept;
    };
    struct then_wrapped_wrapper {
        template <typename R, typename Func>
        static void run(promise<R>&& pr, Func& func, state_type&& st) noexcept;
    };

public:
    using promise_type_t = promise<T>;

    // A future that is neither available nor pending: only assign to it.
    future() noexcept : _state() { _state.ignore(); }
    future(future&& o) noexcept : _promise(o._promise), _state(std::move(o._state)) {
        if (_promise) {
            _promise->_future = this;
            _promise->_state = &_state;
            o._promise = nullptr;
        }
    }
    future& operator=(future&& o) noexcept {
        if (this != &o) {
            detach_promise();
            _state = std::move(o._state);
            _promise = o._promise;
            if (_promise) {
                _promise->_future = this;
                _promise->_state = &_state;
                o._promise = nullptr;
            }
        }
        return *this;
    }
    future(const future&) = delete;
    future& operator=(const future&) = delete;
    ~future() { detach_promise(); }

    bool available() const noexcept { return _state.available(); }
    bool failed() const noexcept { return _state.failed(); }
    // False once the result was taken or handed to a continuation.
    bool valid() const noexcept { return _state.valid(); }

    // The value (void for future<>), or throws the exception. See the header
    // comment for futures that are not available.
    T get() {
        if (!_state.available()) {
            do_wait();
        }
        if (_state.failed()) {
            std::rethrow_exception(_state.take_exception());
        }
        if constexpr (std::is_void_v<T>) {
            _state.ignore();
        } else {
            return _state.take_value();
        }
    }
    // Seastar's older name for get() of a single value.
    T get0() { return get(); }

    // Waits, inside a seastar::thread, until the future is available (without taking
    // the result). Throws future_not_available outside a thread if it is not available.
    void wait() {
        if (!_state.available()) {
            do_wait();
        }
    }

    // The exception of a failed, available future (consumes it).
    std::exception_ptr get_exception() noexcept { return _state.take_exception(); }

    // Discards the result of an available future, failed or not, without a report.
    void ignore_ready_future() noexcept { _state.ignore(); }

    // Runs func(value) (func() for future<>) once the value is there; a failure
    // skips func and propagates. The result is futurize_t of what func returns.
    template <typename Func, typename R = internal::then_result_t<T, Func>>
    futurize_t<R> then(Func&& func) noexcept {
        if (_state.available() && internal::can_run_inline()) {
            if (_state.failed()) {
                return futurize<R>::make_exception_future(_state.take_exception());
            }
            internal::inline_depth_guard g;
            if constexpr (std::is_void_v<T>) {
                _state.ignore();
                return futurize<R>::invoke(std::forward<Func>(func));
            } else {
                return futurize<R>::invoke(std::forward<Func>(func), _state.take_value());
            }
        }
        return schedule_continuation<then_wrapper, R>(std::forward<Func>(func));
    }

    // Runs func(future<T>) once this future is available, failed or not.
    template <typename Func, typename R = std::invoke_result_t<Func, future<T>&&>>
    futurize_t<R> then_wrapped(Func&& func) noexcept {
        if (_state.available() && internal::can_run_inline()) {
            internal::inline_depth_guard g;
            return futurize<R>::invoke(std::forward<Func>(func), future<T>(std::move(_state)));
        }
        return schedule_continuation<then_wrapped_wrapper, R>(std::forward<Func>(func));
    }

    // For a future of a std::tuple: runs func(elements...) (std::apply), as then() does.
    template <typename Func>
    auto then_unpack(Func&& func) noexcept {
        return then(
            [func = std::forward<Func>(func)](T&& tuple) mutable { return std::apply(func, std::move(tuple)); });
    }

    // The same future, except that a failure terminates the program (with the
    // exception printed by the terminate handler).
    future<T> or_terminate() noexcept {
        return then_wrapped([](future<T> f) noexcept -> future<T> {
            if (f.failed()) {
                std::rethrow_exception(f.get_exception()); // escapes noexcept: std::terminate
            }
            return f;
        });
    }

    // Runs func() whatever the outcome; the result is this future's outcome,
    // unless func fails (throws or returns a failed future): then that failure, or
    // nested_exception(func's, the future's) when both failed.
    template <typename Func>
    future<T> finally(Func&& func) noexcept {
        return then_wrapped([func = std::forward<Func>(func)](future<T> result) mutable {
            return futurize_invoke(func).then_wrapped([result = std::move(result)](auto f) mutable {
                if (f.failed()) {
                    if (result.failed()) {
                        // Both failed: keep both (Seastar's nested_exception).
                        return seastar::make_exception_future<T>(
                            std::make_exception_ptr(nested_exception(f.get_exception(), result.get_exception())));
                    }
                    result.ignore_ready_future();
                    return seastar::make_exception_future<T>(f.get_exception());
                }
                f.ignore_ready_future();
                return std::move(result);
            });
        });
    }

    // On failure, func(std::exception_ptr) supplies the result (a T, a
    // future<T>, or nothing for future<>); success passes through.
    template <typename Func>
    future<T> handle_exception(Func&& func) noexcept {
        return then_wrapped([func = std::forward<Func>(func)](future<T> f) mutable -> future<T> {
            if (!f.failed()) {
                return f;
            }
            return futurize_invoke(func, f.get_exception());
        });
    }

    // Like handle_exception, for exceptions of the type func takes (by
    // reference); other failures pass through untouched.
    template <typename Func>
    future<T> handle_exception_type(Func&& func) noexcept;

    // Drops the value; the outcome (success or exception) stays.
    future<> discard_result() noexcept {
        if constexpr (std::is_void_v<T>) {
            return std::move(*this);
        } else {
            return then([](auto&&) {});
        }
    }

    // Delivers this future's outcome to pr. Does not allocate when this
    // future is available or still has its promise and pr's future exists.
    void forward_to(promise<T>&& pr) noexcept {
        if (_state.available()) {
            if (_state.failed()) {
                pr.set_exception(_state.take_exception());
            } else if constexpr (std::is_void_v<T>) {
                _state.ignore();
                pr.set_value();
            } else {
                pr.set_value(_state.take_value());
            }
        } else if (!pr._state) {
            // Nobody waits for pr's result.
            detach_promise();
            _state.ignore();
        } else if (pr._state != &pr._local_state && _promise) {
            // Let our promise write straight to pr's destination.
            auto inner = _promise;
            inner->_state = pr._state;
            inner->_task = pr._task;
            inner->_future = pr._future;
            if (inner->_future) {
                inner->_future->_promise = inner;
            }
            pr._state = nullptr;
            pr._task = nullptr;
            pr._future = nullptr;
            _promise = nullptr;
            _state.ignore();
        } else {
            (void)then_wrapped([pr = std::move(pr)](future<T> f) mutable { f.forward_to(std::move(pr)); });
        }
    }
};

template <typename T>
void promise<T>::detach_future() noexcept {
    if (_future) {
        _future->_promise = nullptr;
        _future = nullptr;
    }
}

template <typename T>
void promise<T>::relink_future() noexcept {
    if (_future) {
        _future->_promise = this;
    }
}

template <typename T>
future<T> promise<T>::get_future() noexcept {
    assert(!_future && _state == &_local_state && "get_future() called twice");
    return future<T>(this);
}

template <typename T>
template <typename R, typename Func>
void future<T>::then_wrapper::run(promise<R>&& pr, Func& func, state_type&& st) noexcept {
    using FR = internal::then_result_t<T, Func>;
    if (st.failed()) {
        pr.set_exception(st.take_exception());
        return;
    }
    futurize<FR>::satisfy_with_result_of(
        std::move(pr), [&]() -> decltype(auto) { return internal::invoke_with_state_value<T>(func, st); });
}

template <typename T>
template <typename R, typename Func>
void future<T>::then_wrapped_wrapper::run(promise<R>&& pr, Func& func, state_type&& st) noexcept {
    using FR = std::invoke_result_t<Func, future<T>&&>;
    futurize<FR>::satisfy_with_result_of(
        std::move(pr), [&]() -> decltype(auto) { return std::invoke(func, future<T>(std::move(st))); });
}

template <typename T>
template <typename Func>
future<T> future<T>::handle_exception_type(Func&& func) noexcept {
    using arg_t = std::remove_cvref_t<typename internal::first_arg<Func>::type>;
    return then_wrapped([func = std::forward<Func>(func)](future<T> f) mutable -> future<T> {
        if (!f.failed()) {
            return f;
        }
        auto ex = f.get_exception();
        try {
            std::rethrow_exception(ex);
        } catch (arg_t& e) {
            return futurize_invoke(func, e);
        } catch (...) {
        }
        return seastar::make_exception_future<T>(std::move(ex));
    });
}

// --- futurize ---

template <typename T>
template <typename Func, typename... Args>
typename futurize<T>::type futurize<T>::invoke(Func&& func, Args&&... args) noexcept {
    try {
        return future<T>(internal::ready_tag{}, std::invoke(std::forward<Func>(func), std::forward<Args>(args)...));
    } catch (...) {
        return make_exception_future(std::current_exception());
    }
}

template <typename T>
typename futurize<T>::type futurize<T>::make_exception_future(std::exception_ptr ex) noexcept {
    return future<T>(internal::exception_tag{}, std::move(ex));
}

template <typename T>
template <typename Func>
void futurize<T>::satisfy_with_result_of(promise<T>&& pr, Func&& func) noexcept {
    try {
        pr.set_value(func());
    } catch (...) {
        pr.set_to_current_exception();
    }
}

template <typename Func, typename... Args>
future<> futurize<void>::invoke(Func&& func, Args&&... args) noexcept {
    try {
        std::invoke(std::forward<Func>(func), std::forward<Args>(args)...);
        return future<>(internal::ready_tag{});
    } catch (...) {
        return make_exception_future(std::current_exception());
    }
}

template <typename Func, typename Tuple>
future<> futurize<void>::apply(Func&& func, Tuple&& args) noexcept {
    return std::apply(
        [&func](auto&&... a) { return invoke(std::forward<Func>(func), std::forward<decltype(a)>(a)...); },
        std::forward<Tuple>(args));
}

inline future<> futurize<void>::make_exception_future(std::exception_ptr ex) noexcept {
    return future<>(internal::exception_tag{}, std::move(ex));
}

template <typename Func>
void futurize<void>::satisfy_with_result_of(promise<>&& pr, Func&& func) noexcept {
    try {
        func();
        pr.set_value();
    } catch (...) {
        pr.set_to_current_exception();
    }
}

template <typename T>
template <typename Func, typename... Args>
future<T> futurize<future<T>>::invoke(Func&& func, Args&&... args) noexcept {
    try {
        return std::invoke(std::forward<Func>(func), std::forward<Args>(args)...);
    } catch (...) {
        return make_exception_future(std::current_exception());
    }
}

template <typename T>
future<T> futurize<future<T>>::make_exception_future(std::exception_ptr ex) noexcept {
    return future<T>(internal::exception_tag{}, std::move(ex));
}

template <typename T>
template <typename Func>
void futurize<future<T>>::satisfy_with_result_of(promise<T>&& pr, Func&& func) noexcept {
    try {
        func().forward_to(std::move(pr));
    } catch (...) {
        pr.set_to_current_exception();
    }
}

template <typename T, typename... A>
future<T> make_ready_future(A&&... value) noexcept {
    using V = internal::value_or_monostate<T>;
    if constexpr (std::is_nothrow_constructible_v<V, A&&...>) {
        return future<T>(internal::ready_tag{}, std::forward<A>(value)...);
    } else {
        try {
            return future<T>(internal::ready_tag{}, std::forward<A>(value)...);
        } catch (...) {
            return future<T>(internal::exception_tag{}, std::current_exception());
        }
    }
}

template <typename T>
future<T> make_exception_future(std::exception_ptr ex) noexcept {
    return future<T>(internal::exception_tag{}, std::move(ex));
}

// A future failed with the exception being handled (call inside a catch block).
template <typename T = void>
future<T> current_exception_as_future() noexcept {
    return make_exception_future<T>(std::current_exception());
}

// A ready future holding `value`.
template <typename T>
future<std::decay_t<T>> as_ready_future(T&& value) noexcept {
    return make_ready_future<std::decay_t<T>>(std::forward<T>(value));
}

// ---- make_exception_future_with_backtrace ----
// A future failed with `ex` whose what() also carries the backtrace of where it was made
// (backtraced<Exc> of seastar/util/backtrace.hh: still catchable as Exc). The caller
// includes seastar/util/backtrace.hh (and depends on //seastar/util:backtrace): the
// futures layer itself stays free of the unwinder and its libraries.
//
//     return seastar::make_exception_future_with_backtrace<int>(std::runtime_error("bad"));
template <typename Exc>
class backtraced;

template <typename T = void, typename Exception>
future<T> make_exception_future_with_backtrace(Exception&& ex) noexcept {
    using exc = std::remove_cvref_t<Exception>;
    try {
        return make_exception_future<T>(std::make_exception_ptr(backtraced<exc>(std::forward<Exception>(ex))));
    } catch (...) {
        return make_exception_future<T>(std::current_exception());
    }
}

} // namespace seastar
