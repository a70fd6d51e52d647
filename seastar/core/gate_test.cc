#include "seastar/core/gate.hh"

#include "seastar/core/local_scheduler.hh"
#include "seastar/testing/future_checks.hh"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace seastar {
namespace {

using custom_error = testing::test_error;
using testing::failed_with;

class gate_test : public ::testing::Test {
protected:
    local_scheduler sched;
};

TEST_F(gate_test, close_waits_for_work_in_flight) {
    gate g;
    promise<> work1, work2;
    auto f1 = with_gate(g, [&] { return work1.get_future(); });
    auto f2 = with_gate(g, [&] { return work2.get_future(); });
    EXPECT_EQ(g.get_count(), 2u);
    auto closed = g.close();
    EXPECT_TRUE(g.is_closed());
    sched.run_until_idle();
    EXPECT_FALSE(closed.available());
    work1.set_value();
    sched.run_until_idle();
    EXPECT_EQ(g.get_count(), 1u);
    EXPECT_FALSE(closed.available());
    work2.set_exception(custom_error()); // a failure still leaves the gate
    sched.run_until_idle();
    EXPECT_EQ(g.get_count(), 0u);
    EXPECT_TRUE(closed.available());
    closed.get();
    f1.get();
    EXPECT_TRUE(failed_with<custom_error>(f2));
}

TEST_F(gate_test, close_of_idle_gate_resolves_at_once) {
    gate g;
    auto f = g.close();
    EXPECT_TRUE(f.available());
    f.get();
}

TEST_F(gate_test, enter_after_close_fails) {
    gate g;
    g.enter();
    auto closed = g.close();
    EXPECT_THROW(g.enter(), gate_closed_exception);
    EXPECT_FALSE(g.try_enter());
    EXPECT_THROW(g.check(), gate_closed_exception);
    EXPECT_THROW(g.hold(), gate_closed_exception);
    EXPECT_FALSE(g.try_hold().has_value());
    EXPECT_THROW((void)with_gate(g, [] { return make_ready_future<>(); }), gate_closed_exception);
    bool ran = false;
    auto f = try_with_gate(g, [&] {
        ran = true;
        return 1;
    });
    EXPECT_FALSE(ran);
    EXPECT_TRUE(failed_with<gate_closed_exception>(f));
    EXPECT_EQ(g.get_count(), 1u);
    EXPECT_FALSE(closed.available());
    g.leave();
    EXPECT_TRUE(closed.available());
    closed.get();
}

TEST_F(gate_test, with_gate_leaves_when_func_throws) {
    gate g;
    auto f = with_gate(g, []() -> int { throw custom_error(); });
    sched.run_until_idle();
    EXPECT_TRUE(failed_with<custom_error>(f));
    EXPECT_EQ(g.get_count(), 0u);
    auto ok = try_with_gate(g, [] { return 5; });
    EXPECT_EQ(sched.wait(std::move(ok)), 5);
    EXPECT_EQ(g.get_count(), 0u);
    sched.wait(g.close());
}

TEST_F(gate_test, holder_is_raii_movable_and_copyable) {
    gate g;
    {
        auto h = g.hold();
        EXPECT_EQ(g.get_count(), 1u);
        gate::holder moved(std::move(h));
        EXPECT_EQ(g.get_count(), 1u);
        gate::holder copy(moved);
        EXPECT_EQ(g.get_count(), 2u);
        gate::holder assigned;
        assigned = std::move(copy);
        EXPECT_EQ(g.get_count(), 2u);
        assigned.release();
        EXPECT_EQ(g.get_count(), 1u);
        assigned.release(); // no-op when empty
        EXPECT_EQ(g.get_count(), 1u);
        auto opt = g.try_hold();
        ASSERT_TRUE(opt.has_value());
        EXPECT_EQ(g.get_count(), 2u);
    }
    EXPECT_EQ(g.get_count(), 0u);
}

TEST_F(gate_test, holder_keeps_close_pending_until_released) {
    gate g;
    auto h = g.hold();
    auto closed = g.close();
    EXPECT_FALSE(closed.available());
    h = gate::holder(); // move-assigning an empty holder leaves
    EXPECT_TRUE(closed.available());
    closed.get();
}

// The text of the exception `f` failed with (retrieving it); empty if it did not fail.
std::string closed_message(future<>& f) {
    try {
        f.get();
    } catch (const gate_closed_exception& e) {
        return e.what();
    }
    return {};
}

TEST_F(gate_test, named_gate_names_itself_when_closed) {
    named_gate g("compaction");
    EXPECT_EQ(g.name(), "compaction");
    auto f = with_gate(g, [] { return make_ready_future<>(); });
    sched.run_until_idle();
    f.get();
    auto closed = g.close();
    sched.run_until_idle();
    closed.get();
    try {
        g.enter();
        ADD_FAILURE() << "enter() on a closed named_gate did not throw";
    } catch (const gate_closed_exception& e) {
        EXPECT_STREQ(e.what(), "compaction: gate closed");
    }
    EXPECT_THROW(g.check(), gate_closed_exception);
    EXPECT_FALSE(g.try_hold().has_value());
    auto tf = try_with_gate(g, [] { return make_ready_future<>(); });
    EXPECT_EQ(closed_message(tf), "compaction: gate closed");
    // A copy of the exception keeps the text.
    auto copy = g.make_closed_exception();
    gate_closed_exception other = copy;
    EXPECT_STREQ(other.what(), "compaction: gate closed");
}

TEST_F(gate_test, plain_gate_message_is_unnamed) {
    gate g;
    auto closed = g.close();
    sched.run_until_idle();
    closed.get();
    auto tf = try_with_gate(g, [] { return make_ready_future<>(); });
    EXPECT_EQ(closed_message(tf), "gate closed");
}

TEST_F(gate_test, named_gate_holder_waits_like_a_gate) {
    named_gate g("reader");
    auto h = g.hold();
    auto closed = g.close();
    sched.run_until_idle();
    EXPECT_FALSE(closed.available());
    h.release();
    sched.run_until_idle();
    EXPECT_TRUE(closed.available());
    closed.get();
}

} // namespace
} // namespace seastar
