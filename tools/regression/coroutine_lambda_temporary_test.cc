// GCC 12 destroys a lambda temporary that captures by value inside a
// co_await expression twice (the project builds with clang for this reason).
// This test is self-contained (its own minimal coroutine type) so that it
// checks the compiler, not the framework: each captured object must be
// destroyed exactly as many times as it was constructed.
#include <coroutine>
#include <exception>
#include <utility>

#include "gtest/gtest.h"

#ifndef __clang__
#error "this project is built with clang (see .bazelrc); GCC 12 miscompiles co_await of lambda temporaries"
#endif

namespace {

struct counted {
    static inline int live = 0;
    static inline int destroyed = 0;
    int value;
    explicit counted(int v) : value(v) { ++live; }
    counted(const counted& o) : value(o.value) { ++live; }
    counted(counted&& o) noexcept : value(o.value) { ++live; }
    ~counted() {
        --live;
        ++destroyed;
    }
};

// An eager coroutine returning int, resumed synchronously.
struct task {
    struct promise_type {
        int result = 0;
        task get_return_object() { return task{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_value(int v) { result = v; }
        void unhandled_exception() { std::terminate(); }
    };
    std::coroutine_handle<promise_type> h;
    task(task&& o) noexcept : h(std::exchange(o.h, {})) {}
    explicit task(std::coroutine_handle<promise_type> hh) : h(hh) {}
    ~task() {
        if (h) {
            h.destroy();
        }
    }
};

// An awaitable that calls a function object when awaited.
template <typename Func>
struct call_awaitable {
    Func f;
    bool await_ready() { return true; }
    void await_suspend(std::coroutine_handle<>) {}
    int await_resume() { return f(); }
};

template <typename Func>
call_awaitable<Func> invoke_later(Func f) {
    return call_awaitable<Func>{std::move(f)};
}

task use_lambda_temporary(int x) {
    counted c(x);
    // The lambda is a temporary inside the co_await expression, capturing by value.
    int r = co_await invoke_later([c] { return c.value * 2; });
    co_return r;
}

} // namespace

TEST(CoroutineLambdaTemporary, DestroyedExactlyOnce) {
    counted::live = 0;
    counted::destroyed = 0;
    {
        task t = use_lambda_temporary(21);
        ASSERT_TRUE(t.h.done());
        EXPECT_EQ(t.h.promise().result, 42);
    }
    EXPECT_EQ(counted::live, 0) << "a captured copy was destroyed more (negative) or fewer times than constructed";
}
