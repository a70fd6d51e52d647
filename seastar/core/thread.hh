// Stackful threads of execution on top of futures: seastar::thread and async().
//
// A seastar::thread runs a function on its own stack, in the shard that created
// it. Inside it, future::get() on a future that is not ready suspends only this
// thread (other tasks keep running) and resumes it once the future is
// available, so sequential-looking code can wait without blocking the shard.
// Switching between threads and the scheduler is a user-space context switch;
// a suspended thread resumes as a task of its scheduling group, so threads are
// scheduled within the task quota like any other work.
//
// Contract:
//   * Single shard: a thread is created, run, joined and destroyed on one OS
//     thread, which must have a task scheduler installed (a reactor, or
//     seastar::local_scheduler). Threads may create threads (nested async()).
//   * The body starts running inside the constructor, on its own stack, and
//     runs until it first waits (get() on a future that is not ready, yield())
//     or finishes; then the constructor returns. If the thread's scheduling
//     group is not the current one, the body starts later, as a task of that
//     group.
//   * Allocation: each thread maps its stack (default 128 KiB) with a guard
//     page below it (a stack overflow faults instead of corrupting memory) and
//     allocates its control block. The constructor throws std::bad_alloc or
//     std::system_error when that fails; async() turns that into a failed
//     future.
//   * A thread must be joined (join()'s future waited for) before it is
//     destroyed. An exception escaping the body fails join()'s future.
//   * Sanitizers: context switches are announced to AddressSanitizer
//     (__sanitizer_{start,finish}_switch_fiber) and ThreadSanitizer
//     (__tsan_*_fiber), so asan and tsan builds understand the stacks.
//
// Example:
//
//     seastar::future<int> f = seastar::async([] {
//         int a = fetch_a().get();           // waits without blocking the shard
//         seastar::thread::maybe_yield();    // lets others run if the quota is used up
//         return a + fetch_b().get();
//     });
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/util/noncopyable_function.hh"

namespace seastar {

// How a thread is created.
struct thread_attributes {
    // The group the thread's work runs in (default: the creator's current group).
    std::optional<scheduling_group> sched_group;
    // Usable stack size in bytes, rounded up to whole pages (a guard page is added below).
    std::size_t stack_size = 128 * 1024;
};

namespace internal {

class thread_context;

// Out of line, so that thread.hh needs no definition of thread_context.
struct thread_context_deleter {
    void operator()(thread_context* c) const noexcept;
};

} // namespace internal

class thread {
    std::unique_ptr<internal::thread_context, internal::thread_context_deleter> _context;

    void start(thread_attributes attr, noncopyable_function<void()> func);

public:
    // An empty thread object (nothing to join); assign a thread to it.
    thread() noexcept;
    // Starts running `func()` in a new thread (see the header comment).
    template <typename Func>
    explicit thread(Func func) : thread(thread_attributes(), std::move(func)) {}
    template <typename Func>
    thread(thread_attributes attr, Func func) {
        start(std::move(attr), noncopyable_function<void()>(std::move(func)));
    }
    thread(thread&& x) noexcept;
    thread& operator=(thread&& x) noexcept;
    // Aborts if the thread was started and not joined.
    ~thread();

    // Resolves once the body returned (or fails with what it threw). Call once;
    // the thread's stack is released when the returned future resolves.
    future<> join();

    // Lets other tasks run: suspends the calling thread and queues it behind
    // the tasks already queued in its group. Must be called from a thread.
    static void yield();
    // True when the calling thread should yield (the task quota is used up).
    static bool should_yield() noexcept;
    // yield() if should_yield().
    static void maybe_yield();
    // True when called on a seastar::thread's stack.
    static bool running_in_thread() noexcept;
};

// Runs func(args...) in a new seastar::thread; the future resolves with what
// it returns (a returned future is waited for inside the thread) or fails with
// what it throws. Arguments are moved into the thread.
template <typename Func, typename... Args>
futurize_t<std::invoke_result_t<std::decay_t<Func>, std::decay_t<Args>&&...>> async(thread_attributes attr, Func&& func,
                                                                                    Args&&... args) noexcept {
    using R = std::invoke_result_t<std::decay_t<Func>, std::decay_t<Args>&&...>;
    using F = futurize<R>;
    using value_type = typename F::value_type;
    struct work {
        std::decay_t<Func> func;
        std::tuple<std::decay_t<Args>...> args;
        promise<value_type> pr;
        thread th;
    };
    try {
        auto w = std::make_unique<work>(work{std::forward<Func>(func), {std::forward<Args>(args)...}, {}, {}});
        auto result = w->pr.get_future();
        work* wp = w.get();
        w->th = thread(std::move(attr), [wp] {
            // Wait inside the thread, so that a body returning a future keeps
            // the thread (and its stack) until that future resolves.
            auto f = F::apply(std::move(wp->func), std::move(wp->args));
            try {
                if constexpr (std::is_void_v<value_type>) {
                    f.get();
                    wp->pr.set_value();
                } else {
                    wp->pr.set_value(f.get());
                }
            } catch (...) {
                wp->pr.set_to_current_exception();
            }
        });
        auto joined = w->th.join();
        return joined.then([w = std::move(w), result = std::move(result)]() mutable { return std::move(result); });
    } catch (...) {
        return F::make_exception_future(std::current_exception());
    }
}

template <typename Func, typename... Args>
auto async(Func&& func, Args&&... args) noexcept {
    return async(thread_attributes(), std::forward<Func>(func), std::forward<Args>(args)...);
}

} // namespace seastar
