// Allocation failure injection for tests: make the Nth allocation point fail, for every N,
// to prove that code is exception-safe when memory runs out.
//
// Code marks places where it may allocate with memory::on_alloc_point(). The thread's
// injector (local_failure_injector()) counts them; after fail_after(n), the point at count
// n fails by calling the failure callback (default: throw std::bad_alloc). Points inside a
// disable_failure_guard or a memory::scoped_critical_alloc_section never fail.
// with_allocation_failures(func) runs func with a failure at point 0, 1, 2, ... until a run
// completes without reaching the armed point.
//
// Contract: per thread, not thread safe across threads. func must be repeatable.
//
//     seastar::memory::with_allocation_failures([&] {
//         container c;
//         c.insert(1);                        // calls on_alloc_point() where it allocates
//         check_invariants(c);
//     });
#pragma once

#include <cstdint>
#include <limits>
#include <new>

#include "seastar/core/memory.hh"
#include "seastar/util/noncopyable_function.hh"

namespace seastar::memory {

class alloc_failure_injector {
    uint64_t _alloc_count = 0;
    uint64_t _fail_at = std::numeric_limits<uint64_t>::max();
    noncopyable_function<void()> _on_alloc_failure = [] { throw std::bad_alloc(); };
    bool _failed = false;
    uint64_t _suppressed = 0;
    friend struct disable_failure_guard;

    void fail() {
        _failed = true;
        cancel();
        _on_alloc_failure();
    }

public:
    // An allocation point: fails here when the armed count is reached.
    void on_alloc_point() {
        if (_suppressed || is_critical_alloc_section()) {
            return;
        }
        if (_alloc_count >= _fail_at) {
            fail();
        }
        ++_alloc_count;
    }
    // Allocation points seen (outside suppressed sections) so far.
    uint64_t alloc_count() const noexcept { return _alloc_count; }
    // The point `count` points from now fails (0: the next one).
    void fail_after(uint64_t count) noexcept {
        _fail_at = _alloc_count + count;
        _failed = false;
    }
    void cancel() noexcept { _fail_at = std::numeric_limits<uint64_t>::max(); }
    // Whether the armed point was reached since the last fail_after().
    bool failed() const noexcept { return _failed; }
    // Runs to_run() with `callback` as the failure action (instead of throwing bad_alloc).
    void run_with_callback(noncopyable_function<void()> callback, noncopyable_function<void()> to_run) {
        auto restore = std::move(_on_alloc_failure);
        _on_alloc_failure = std::move(callback);
        try {
            to_run();
        } catch (...) {
            _on_alloc_failure = std::move(restore);
            throw;
        }
        _on_alloc_failure = std::move(restore);
    }
};

inline alloc_failure_injector& local_failure_injector() noexcept {
    static thread_local alloc_failure_injector injector;
    return injector;
}

inline void on_alloc_point() {
    local_failure_injector().on_alloc_point();
}

// No allocation point fails while one of these lives on the thread.
struct disable_failure_guard {
    disable_failure_guard() noexcept { ++local_failure_injector()._suppressed; }
    ~disable_failure_guard() { --local_failure_injector()._suppressed; }
    disable_failure_guard(const disable_failure_guard&) = delete;
    disable_failure_guard& operator=(const disable_failure_guard&) = delete;
};

// Runs func() failing at allocation point 0, then 1, ... until a run reaches no armed
// point; std::bad_alloc from an injected failure is expected and swallowed, any other
// exception propagates.
template <typename Func>
void with_allocation_failures(Func&& func) {
    auto& injector = local_failure_injector();
    uint64_t i = 0;
    do {
        try {
            injector.fail_after(i++);
            func();
            injector.cancel();
        } catch (const std::bad_alloc&) {
            injector.cancel();
            if (!injector.failed()) {
                throw; // a real allocation failure
            }
        }
    } while (injector.failed());
}

} // namespace seastar::memory
