// Allocation failure injection for tests: make the Nth allocation point fail, for every N,
// to prove that code is exception-safe when memory runs out.
//
// Allocation points are the places code marks with memory::on_alloc_point() and, on a
// shard thread (one bound with memory::internal::init_shard), every allocation the shard's
// allocator makes (seastar::memory::allocate, and malloc/new when the program links the
// allocator as malloc). The thread's injector (local_failure_injector()) counts them;
// after fail_after(n), the point at count n fails: a marked point calls the failure
// callback (default: throw std::bad_alloc), an allocation returns nullptr (so operator new
// throws std::bad_alloc). The allocator counts its own allocations through its
// fail-the-Nth-allocation hook (memory::internal::fail_nth_allocation), which the injector
// re-arms at each marked point, so both kinds share one count. Points inside a
// disable_failure_guard or a memory::scoped_critical_alloc_section never fail.
// with_allocation_failures(func) runs func with a failure at point 0, 1, 2, ... until a run
// completes without reaching the armed point.
//
// Contract: per thread, not thread safe across threads. func must be repeatable. On a
// thread that is not a shard, only marked points count.
//
//     seastar::memory::with_allocation_failures([&] {
//         container c;
//         c.insert(1);                        // allocates, or calls on_alloc_point()
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
    static constexpr uint64_t never = std::numeric_limits<uint64_t>::max();
    mutable uint64_t _alloc_count = 0;
    uint64_t _fail_at = never;
    // The countdown last given to the allocator (0: not armed there).
    mutable uint64_t _armed_in_allocator = 0;
    noncopyable_function<void()> _on_alloc_failure = [] { throw std::bad_alloc(); };
    mutable bool _failed = false;
    uint64_t _suppressed = 0;
    friend struct disable_failure_guard;

    // Takes in the allocations the allocator counted since it was armed; notes when it
    // failed one (that was the armed point).
    void sync() const noexcept {
        if (_armed_in_allocator == 0) {
            return;
        }
        uint64_t left = internal::injected_failure_countdown();
        uint64_t done = _armed_in_allocator - left;
        if (left == 0) {
            _alloc_count += done - 1; // the failed allocation was point _fail_at
            _failed = true;
            _armed_in_allocator = 0;
            const_cast<alloc_failure_injector*>(this)->_fail_at = never;
        } else {
            _alloc_count += done;
            _armed_in_allocator = left;
        }
    }

    // Arms the allocator so that its allocation at point _fail_at fails (shards only).
    void arm_allocator() noexcept {
        if (_fail_at == never || _fail_at < _alloc_count || internal::current_shard() < 0) {
            disarm_allocator();
            return;
        }
        _armed_in_allocator = _fail_at - _alloc_count + 1;
        internal::fail_nth_allocation(_armed_in_allocator);
    }

    void disarm_allocator() noexcept {
        if (_armed_in_allocator) {
            internal::fail_nth_allocation(0);
            _armed_in_allocator = 0;
        }
    }

    void fail() {
        _failed = true;
        cancel();
        _on_alloc_failure();
    }

public:
    // A marked allocation point: fails here when the armed count is reached.
    void on_alloc_point() {
        if (_suppressed || is_critical_alloc_section()) {
            return;
        }
        sync();
        if (_alloc_count >= _fail_at) {
            fail();
        }
        ++_alloc_count;
        if (_fail_at != never) {
            arm_allocator();
        }
    }
    // Allocation points seen (outside suppressed sections) so far.
    uint64_t alloc_count() const noexcept {
        sync();
        return _alloc_count;
    }
    // The point `count` points from now fails (0: the next one).
    void fail_after(uint64_t count) noexcept {
        sync();
        _fail_at = _alloc_count + count;
        _failed = false;
        arm_allocator();
    }
    void cancel() noexcept {
        sync();
        _fail_at = never;
        disarm_allocator();
    }
    // Whether the armed point was reached since the last fail_after().
    bool failed() const noexcept {
        sync();
        return _failed;
    }
    // Runs to_run() with `callback` as the failure action (instead of throwing bad_alloc)
    // at marked points; a failed allocation still returns nullptr.
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

// No allocation point (marked or an allocation) fails while one of these lives on the thread.
struct disable_failure_guard {
    disable_failure_guard() noexcept {
        ++local_failure_injector()._suppressed;
        internal::suspend_failure_injection();
    }
    ~disable_failure_guard() {
        internal::resume_failure_injection();
        --local_failure_injector()._suppressed;
    }
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
            bool injected = injector.failed();
            injector.cancel();
            if (!injected) {
                throw; // a real allocation failure
            }
        }
    } while (injector.failed());
}

} // namespace seastar::memory
