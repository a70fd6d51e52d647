#include "seastar/core/local_scheduler.hh"

namespace seastar {

local_scheduler::local_scheduler() noexcept
        : _prev_scheduler(internal::set_task_scheduler(this)), _prev_preempt(internal::set_preemption_flag(&_preempt)) {}

local_scheduler::~local_scheduler() {
    run_until_idle();
    internal::set_preemption_flag(_prev_preempt);
    internal::set_task_scheduler(_prev_scheduler);
}

void local_scheduler::schedule(task* t) noexcept {
    _queue.push_back(t);
}

void local_scheduler::schedule_urgent(task* t) noexcept {
    _queue.push_front(t);
}

bool local_scheduler::run_one() noexcept {
    if (_queue.empty()) {
        return false;
    }
    task* t = _queue.front();
    _queue.pop_front();
    if (_preempt_every) {
        if (_since_preempt >= _preempt_every) {
            _since_preempt = 0;
            _preempt.store(false, std::memory_order_relaxed);
        }
        if (++_since_preempt >= _preempt_every) {
            // The quota runs out while this task runs.
            _preempt.store(true, std::memory_order_relaxed);
        }
    }
    internal::run_task(t);
    return true;
}

std::size_t local_scheduler::run_until_idle() noexcept {
    std::size_t n = 0;
    while (run_one()) {
        ++n;
    }
    return n;
}

} // namespace seastar
