#include "seastar/core/abort_on_expiry.hh"

#include <chrono>

#include "seastar/core/local_scheduler.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/core/sleep.hh"
#include "gtest/gtest.h"

using namespace std::chrono_literals;

namespace seastar {
namespace {

TEST(abort_on_expiry, aborts_waiters_at_the_deadline) {
    local_scheduler sched;
    abort_on_expiry<manual_clock> deadline(manual_clock::now() + 2s);
    auto& as = deadline.abort_source();
    auto s = sleep_abortable<manual_clock>(10s, as);
    manual_clock::advance(1s);
    sched.run_until_idle();
    EXPECT_FALSE(as.abort_requested());
    EXPECT_FALSE(s.available());
    manual_clock::advance(1s); // with a scheduler, due timers fire from a task
    sched.run_until_idle();
    EXPECT_TRUE(as.abort_requested());
    EXPECT_THROW(sched.wait(std::move(s)), timed_out_error);
    EXPECT_THROW(as.check(), timed_out_error);
}

TEST(abort_on_expiry, destroying_it_cancels_the_deadline) {
    bool fired = false;
    {
        abort_on_expiry<manual_clock> deadline(manual_clock::now() + 1s);
        auto sub = deadline.abort_source().subscribe([&]() noexcept { fired = true; });
    }
    manual_clock::advance(2s);
    EXPECT_FALSE(fired);
}

} // namespace
} // namespace seastar
