// Timers: run a callback at a point in time of a clock, once or periodically.
//
// `timer<Clock>` works with std::chrono::steady_clock (the default),
// lowres_clock and manual_clock. The callback runs on the shard that armed
// the timer, from the reactor's timer phase (steady_clock, lowres_clock) or
// when manual_clock::advance() moves time past it (manual_clock). It usually
// fulfils a promise; anything it wants to do later it schedules.
//
// Contract:
//   * One shard: a timer is armed, cancelled and fired on one thread. Armed
//     timers live in that thread's timer set (internal::local_timer_set).
//   * arm() on an armed timer throws std::runtime_error; rearm() re-arms.
//     cancel() returns whether the timer was armed. Destroying an armed timer
//     cancels it. A timer may be moved; the move carries its armed state.
//   * Timers due at the same time fire in the order they were armed. A timer
//     armed from inside a callback for a time already past fires in the next
//     timer phase, not in the one that is running (no livelock).
//   * The callback must not destroy its own timer (destroy it later, e.g. in
//     a continuation). Arming may allocate (the timer set grows); firing does not.
//
//     seastar::timer<> t([] { fmt::print("tick\n"); });
//     t.arm_periodic(std::chrono::milliseconds(100));
//     ...
//     t.cancel();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "seastar/core/internal/scheduling_group_registry.hh"
#include "seastar/util/noncopyable_function.hh"

namespace seastar {

using steady_clock_type = std::chrono::steady_clock;

template <typename Clock = steady_clock_type>
class timer;

namespace internal {

// A binary min-heap of armed timers of one clock, ordered by (expiry, arm order).
template <typename Clock>
class timer_set {
    std::vector<timer<Clock>*> _heap;
    uint64_t _next_seq = 0;

    static bool before(const timer<Clock>* a, const timer<Clock>* b) noexcept {
        return a->_expiry < b->_expiry || (a->_expiry == b->_expiry && a->_seq < b->_seq);
    }
    void place(size_t i, timer<Clock>* t) noexcept {
        _heap[i] = t;
        t->_heap_index = i;
    }
    void sift_up(size_t i) noexcept {
        auto t = _heap[i];
        while (i > 0) {
            size_t parent = (i - 1) / 2;
            if (!before(t, _heap[parent])) {
                break;
            }
            place(i, _heap[parent]);
            i = parent;
        }
        place(i, t);
    }
    void sift_down(size_t i) noexcept {
        auto t = _heap[i];
        size_t n = _heap.size();
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && before(_heap[c + 1], _heap[c])) {
                ++c;
            }
            if (!before(_heap[c], t)) {
                break;
            }
            place(i, _heap[c]);
            i = c;
        }
        place(i, t);
    }

public:
    void insert(timer<Clock>* t) {
        _heap.reserve(_heap.size() + 1); // the only step that can throw
        t->_seq = _next_seq++;
        _heap.push_back(t);
        sift_up(_heap.size() - 1);
    }
    void remove(timer<Clock>* t) noexcept {
        size_t i = t->_heap_index;
        auto last = _heap.back();
        _heap.pop_back();
        if (last != t) {
            place(i, last);
            sift_up(i);
            sift_down(last->_heap_index);
        }
    }
    // A moved timer takes its predecessor's slot.
    void relocate(timer<Clock>* to) noexcept { _heap[to->_heap_index] = to; }

    bool empty() const noexcept { return _heap.empty(); }
    size_t size() const noexcept { return _heap.size(); }
    std::optional<typename Clock::time_point> next_expiry() const noexcept {
        if (_heap.empty()) {
            return std::nullopt;
        }
        return _heap.front()->_expiry;
    }

    // Fires every timer due at `now` that was armed before this call; returns
    // how many fired.
    size_t expire(typename Clock::time_point now) noexcept {
        uint64_t limit = _next_seq;
        size_t fired = 0;
        while (!_heap.empty()) {
            auto t = _heap.front();
            if (t->_expiry > now || t->_seq >= limit) {
                break;
            }
            remove(t);
            t->_armed = false;
            if (t->_period) {
                t->_expiry = std::max(t->_expiry + *t->_period, now);
                t->_armed = true;
                try {
                    insert(t);
                } catch (...) {
                    t->_armed = false; // no memory to keep a periodic timer going
                }
            }
            ++fired;
            if (t->_callback) {
                // In the timer's scheduling group: what the callback starts belongs to it.
                auto prev = set_current_scheduling_group(t->_sg);
                t->_callback();
                set_current_scheduling_group(prev);
            }
        }
        return fired;
    }
};

// This thread's set of armed timers of `Clock`.
template <typename Clock>
timer_set<Clock>& local_timer_set() noexcept {
    static thread_local timer_set<Clock> set;
    return set;
}

} // namespace internal

template <typename Clock>
class timer {
public:
    using clock = Clock;
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;
    using callback_t = noncopyable_function<void()>;

private:
    callback_t _callback;
    scheduling_group _sg;
    time_point _expiry{};
    std::optional<duration> _period;
    bool _armed = false;
    size_t _heap_index = 0;
    uint64_t _seq = 0;

    friend class internal::timer_set<Clock>;

public:
    timer() noexcept = default;
    // The callback runs in the scheduling group that is current here.
    explicit timer(callback_t callback) noexcept : timer(current_scheduling_group(), std::move(callback)) {}
    // The callback runs in `sg`.
    timer(scheduling_group sg, callback_t callback) noexcept : _callback(std::move(callback)), _sg(sg) {}
    timer(timer&& o) noexcept
        : _callback(std::move(o._callback)), _sg(o._sg), _expiry(o._expiry), _period(o._period), _armed(o._armed),
          _heap_index(o._heap_index), _seq(o._seq) {
        if (_armed) {
            internal::local_timer_set<Clock>().relocate(this);
            o._armed = false;
        }
    }
    timer& operator=(timer&& o) noexcept {
        if (this != &o) {
            this->~timer();
            new (this) timer(std::move(o));
        }
        return *this;
    }
    ~timer() { cancel(); }

    void set_callback(callback_t callback) noexcept { set_callback(current_scheduling_group(), std::move(callback)); }
    void set_callback(scheduling_group sg, callback_t callback) noexcept {
        _callback = std::move(callback);
        _sg = sg;
    }

    // Fires at `until`, then every `period` if one is given.
    void arm(time_point until, std::optional<duration> period = {}) {
        if (_armed) {
            throw std::runtime_error("timer::arm() on an armed timer (use rearm())");
        }
        if (period && *period <= duration::zero()) {
            throw std::invalid_argument("timer period must be positive");
        }
        _expiry = until;
        _period = period;
        internal::local_timer_set<Clock>().insert(this);
        _armed = true;
    }
    void arm(duration delta) { arm(Clock::now() + delta); }
    void arm_periodic(duration delta) { arm(Clock::now() + delta, delta); }
    void rearm(time_point until, std::optional<duration> period = {}) {
        cancel();
        arm(until, period);
    }
    void rearm(duration delta) { rearm(Clock::now() + delta); }
    void rearm_periodic(duration delta) { rearm(Clock::now() + delta, delta); }

    // True if the timer was armed (and now is not).
    bool cancel() noexcept {
        if (!_armed) {
            return false;
        }
        internal::local_timer_set<Clock>().remove(this);
        _armed = false;
        return true;
    }
    bool armed() const noexcept { return _armed; }
    time_point get_timeout() const noexcept { return _expiry; }
};

} // namespace seastar
