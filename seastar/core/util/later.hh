// yield() / later(): a future that becomes ready after the tasks queued
// before it have run, so a long computation can let others in.
//
// Contract: allocates one task; needs a task scheduler on the calling thread
// (a reactor or local_scheduler). Never fails. maybe_yield() yields only when
// need_preempt() and is a ready future (no allocation) otherwise. now() is a ready
// future; check_for_io_immediately() makes the reactor poll at the next task boundary.
//
//     return do_some_work().then([] { return seastar::yield(); }).then([] { ... });
#pragma once

#include "seastar/core/future.hh"
#include "seastar/core/task.hh"

namespace seastar {

namespace internal {

class yield_task final : public task {
    promise<> _pr;

public:
    future<> get_future() noexcept { return _pr.get_future(); }
    void run_and_dispose() noexcept override {
        promise<> pr = std::move(_pr);
        delete this;
        // We are a task run by the scheduler: run the waiter now rather than
        // queueing it a second time.
        future_access<void>::set_value_and_run_waiter(pr);
    }
};

} // namespace internal

// Ready once the scheduler has run the tasks queued before this call.
inline future<> yield() noexcept {
    auto t = new internal::yield_task();
    auto f = t->get_future();
    schedule(t);
    return f;
}

// Seastar's older name for yield().
inline future<> later() noexcept {
    return yield();
}

// A ready future: Seastar's spelling of make_ready_future<>().
inline future<> now() noexcept {
    return make_ready_future<>();
}

// Asks the reactor to poll for I/O (and other pollers) at the next task boundary instead
// of at the end of the task quota, and returns a ready future. Continuations attached to
// it still run first when they can run inline.
inline future<> check_for_io_immediately() noexcept {
    internal::request_preemption();
    return make_ready_future<>();
}

// yield() if the task quota is used up, else a ready future.
inline future<> maybe_yield() noexcept {
    if (need_preempt()) {
        return yield();
    }
    return make_ready_future<>();
}

} // namespace seastar
