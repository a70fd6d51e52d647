#include "seastar/core/future.hh"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

struct test_error : std::runtime_error {
    test_error() : std::runtime_error("test error") {}
};

// Counts abandoned failed futures while a test runs.
class abandoned_counter {
    static inline int _count = 0;
    abandoned_failed_future_handler _prev;
    static void handler(const std::exception_ptr&) noexcept { ++_count; }

public:
    abandoned_counter() : _prev(set_abandoned_failed_future_handler(&handler)) { _count = 0; }
    ~abandoned_counter() { set_abandoned_failed_future_handler(_prev); }
    int count() const { return _count; }
};

TEST(future, ready_future_has_value) {
    auto f = make_ready_future<int>(7);
    EXPECT_TRUE(f.available());
    EXPECT_FALSE(f.failed());
    EXPECT_EQ(f.get(), 7);
    auto v = make_ready_future<>();
    EXPECT_TRUE(v.available());
    v.get();
}

TEST(future, exception_future_throws_on_get) {
    auto f = make_exception_future<int>(test_error());
    EXPECT_TRUE(f.available());
    EXPECT_TRUE(f.failed());
    EXPECT_THROW(f.get(), test_error);
    auto g = make_exception_future<>(std::make_exception_ptr(std::out_of_range("x")));
    EXPECT_THROW(g.get(), std::out_of_range);
}

TEST(future, then_on_ready_future_runs_inline) {
    bool ran = false;
    auto f = make_ready_future<int>(2).then([&](int v) {
        ran = true;
        return v * 3;
    });
    EXPECT_TRUE(ran);
    ASSERT_TRUE(f.available());
    EXPECT_EQ(f.get(), 6);
}

TEST(future, then_chains_values_and_unwraps_futures) {
    local_scheduler sched;
    auto f = make_ready_future<int>(1)
                 .then([](int v) { return v + 1; })
                 .then([](int v) { return make_ready_future<std::string>(std::to_string(v)); })
                 .then([](std::string s) { return s + "!"; })
                 .then([](std::string s) { EXPECT_EQ(s, "2!"); });
    sched.wait(std::move(f));
}

TEST(future, continuation_waits_for_promise) {
    local_scheduler sched;
    promise<int> p;
    bool ran = false;
    auto f = p.get_future().then([&](int v) {
        ran = true;
        return v + 1;
    });
    EXPECT_FALSE(f.available());
    sched.run_until_idle();
    EXPECT_FALSE(ran);
    p.set_value(41);
    EXPECT_FALSE(ran) << "a continuation of a fulfilled promise runs as a task, not inside set_value";
    EXPECT_EQ(sched.pending(), 1u);
    sched.run_until_idle();
    EXPECT_TRUE(ran);
    ASSERT_TRUE(f.available());
    EXPECT_EQ(f.get(), 42);
}

TEST(future, continuations_run_in_fulfilment_order) {
    local_scheduler sched;
    std::vector<int> order;
    promise<> p1, p2, p3;
    auto f1 = p1.get_future().then([&] { order.push_back(1); });
    auto f2 = p2.get_future().then([&] { order.push_back(2); });
    auto f3 = p3.get_future().then([&] { order.push_back(3); });
    p3.set_value();
    p1.set_value();
    p2.set_value();
    sched.run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{3, 1, 2}));
    f1.get();
    f2.get();
    f3.get();
}

TEST(future, urgent_tasks_run_first) {
    local_scheduler sched;
    std::vector<int> order;
    struct t final : task {
        std::vector<int>& o;
        int id;
        t(std::vector<int>& o, int id) : o(o), id(id) {}
        void run_and_dispose() noexcept override {
            o.push_back(id);
            delete this;
        }
    };
    schedule(new t(order, 1));
    schedule(new t(order, 2));
    schedule_urgent(new t(order, 3));
    sched.run_until_idle();
    EXPECT_EQ(order, (std::vector<int>{3, 1, 2}));
}

TEST(future, promise_set_before_get_future) {
    promise<std::string> p;
    p.set_value("early");
    auto f = p.get_future();
    ASSERT_TRUE(f.available());
    EXPECT_EQ(f.get(), "early");
}

TEST(future, value_set_before_then_needs_no_scheduler) {
    // No scheduler is installed here: a ready chain must not schedule anything.
    promise<int> p;
    auto f = p.get_future();
    p.set_value(5);
    auto g = std::move(f).then([](int v) { return v + 1; });
    EXPECT_EQ(g.get(), 6);
}

TEST(future, exception_in_then_fails_the_result_and_skips_later_thens) {
    local_scheduler sched;
    bool later_ran = false;
    auto f = make_ready_future<int>(1).then([](int) -> int { throw test_error(); }).then([&](int v) {
        later_ran = true;
        return v;
    });
    EXPECT_TRUE(f.failed());
    EXPECT_FALSE(later_ran);
    EXPECT_THROW(f.get(), test_error);

    promise<> p;
    auto g = p.get_future().then([] { throw test_error(); });
    p.set_value();
    EXPECT_THROW(sched.wait(std::move(g)), test_error);
}

TEST(future, then_wrapped_sees_failures) {
    local_scheduler sched;
    promise<int> p;
    auto f = p.get_future().then_wrapped([](future<int> f) {
        EXPECT_TRUE(f.failed());
        try {
            f.get();
        } catch (const test_error&) {
            return 10;
        }
        return 0;
    });
    p.set_exception(test_error());
    EXPECT_EQ(sched.wait(std::move(f)), 10);
}

TEST(future, finally_runs_on_success_and_failure) {
    local_scheduler sched;
    int runs = 0;
    auto ok = make_ready_future<int>(3).finally([&] { ++runs; });
    EXPECT_EQ(sched.wait(std::move(ok)), 3);
    auto bad = make_exception_future<int>(test_error()).finally([&] { ++runs; });
    EXPECT_THROW(sched.wait(std::move(bad)), test_error);
    // finally may return a future; the original outcome waits for it.
    promise<> gate;
    auto waited = make_ready_future<int>(4).finally([&] { return gate.get_future().then([&] { ++runs; }); });
    sched.run_until_idle();
    EXPECT_FALSE(waited.available());
    gate.set_value();
    EXPECT_EQ(sched.wait(std::move(waited)), 4);
    EXPECT_EQ(runs, 3);
}

TEST(future, failing_finally_replaces_the_outcome) {
    local_scheduler sched;
    auto f = make_ready_future<int>(3).finally([] { throw std::out_of_range("finally"); });
    EXPECT_THROW(sched.wait(std::move(f)), std::out_of_range);
}

TEST(future, handle_exception_recovers) {
    local_scheduler sched;
    auto f = make_exception_future<int>(test_error()).handle_exception([](std::exception_ptr ep) {
        EXPECT_THROW(std::rethrow_exception(ep), test_error);
        return 9;
    });
    EXPECT_EQ(sched.wait(std::move(f)), 9);
    auto ok = make_ready_future<int>(1).handle_exception([](std::exception_ptr) { return 2; });
    EXPECT_EQ(sched.wait(std::move(ok)), 1);
    auto v = make_exception_future<>(test_error()).handle_exception([](std::exception_ptr) {});
    sched.wait(std::move(v));
    auto rethrown = make_exception_future<>(test_error()).handle_exception([](std::exception_ptr ep) {
        std::rethrow_exception(ep);
    });
    EXPECT_THROW(sched.wait(std::move(rethrown)), test_error);
}

TEST(future, handle_exception_type_matches_only_its_type) {
    local_scheduler sched;
    auto matched =
        make_exception_future<int>(test_error()).handle_exception_type([](std::runtime_error& e) { return 5; });
    EXPECT_EQ(sched.wait(std::move(matched)), 5);
    auto other =
        make_exception_future<int>(std::logic_error("no")).handle_exception_type([](test_error&) { return 6; });
    EXPECT_THROW(sched.wait(std::move(other)), std::logic_error);
}

TEST(future, broken_promise) {
    local_scheduler sched;
    future<int> f;
    {
        promise<int> p;
        f = p.get_future();
    }
    ASSERT_TRUE(f.available());
    EXPECT_THROW(f.get(), broken_promise);

    std::optional<promise<>> p2(std::in_place);
    auto g = p2->get_future().then([] { return 1; });
    p2.reset();
    EXPECT_THROW(sched.wait(std::move(g)), broken_promise);
}

TEST(future, promise_without_future_or_with_dropped_future_is_harmless) {
    abandoned_counter c;
    {
        promise<int> p;
    }
    {
        promise<int> p;
        {
            auto f = p.get_future();
        }
        p.set_exception(test_error()); // nobody listens
    }
    EXPECT_EQ(c.count(), 0);
}

TEST(future, abandoned_failed_future_is_reported) {
    abandoned_counter c;
    {
        auto f = make_exception_future<int>(test_error());
    }
    EXPECT_EQ(c.count(), 1);
    {
        auto f = make_exception_future<int>(test_error());
        EXPECT_TRUE(f.failed()); // looking is not consuming
    }
    EXPECT_EQ(c.count(), 2);
    {
        auto f = make_exception_future<int>(test_error());
        auto ep = f.get_exception();
        EXPECT_TRUE(ep);
    }
    {
        auto f = make_exception_future<int>(test_error());
        f.ignore_ready_future();
    }
    {
        // A failure carried through then() is reported once, by whoever drops it last.
        auto f = make_exception_future<int>(test_error()).then([](int v) { return v; });
    }
    EXPECT_EQ(c.count(), 3);
}

TEST(future, move_only_values_and_continuations) {
    local_scheduler sched;
    promise<std::unique_ptr<int>> p;
    auto owned = std::make_unique<int>(5);
    auto f = p.get_future().then(
        [o = std::move(owned)](std::unique_ptr<int> v) mutable { return std::make_unique<int>(*v + *o); });
    p.set_value(std::make_unique<int>(10));
    auto r = sched.wait(std::move(f));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 15);
}

TEST(future, moving_promise_and_future_keeps_them_linked) {
    local_scheduler sched;
    promise<int> p;
    auto f = p.get_future();
    promise<int> p2 = std::move(p);
    future<int> f2 = std::move(f);
    std::vector<future<int>> many;
    many.push_back(std::move(f2));
    p2.set_value(8);
    ASSERT_TRUE(many[0].available());
    EXPECT_EQ(many[0].get(), 8);

    promise<int> early;
    early.set_value(3);
    promise<int> moved(std::move(early));
    EXPECT_EQ(moved.get_future().get(), 3);
}

TEST(future, forward_to) {
    local_scheduler sched;
    promise<int> inner;
    promise<int> outer;
    auto result = outer.get_future();
    inner.get_future().forward_to(std::move(outer));
    EXPECT_FALSE(result.available());
    inner.set_value(4);
    ASSERT_TRUE(result.available()) << "a forwarded promise writes straight into the final future";
    EXPECT_EQ(result.get(), 4);

    promise<int> p;
    auto r2 = p.get_future();
    make_exception_future<int>(test_error()).forward_to(std::move(p));
    EXPECT_THROW(r2.get(), test_error);
}

TEST(future, continuation_returning_pending_future_is_unwrapped) {
    local_scheduler sched;
    promise<int> first;
    promise<int> second;
    auto f = first.get_future().then([&](int a) { return second.get_future().then([a](int b) { return a * b; }); });
    first.set_value(6);
    sched.run_until_idle();
    EXPECT_FALSE(f.available());
    second.set_value(7);
    EXPECT_EQ(sched.wait(std::move(f)), 42);
}

TEST(future, discard_result) {
    local_scheduler sched;
    auto f = make_ready_future<int>(1).discard_result();
    static_assert(std::is_same_v<decltype(f), future<>>);
    sched.wait(std::move(f));
    auto g = make_exception_future<int>(test_error()).discard_result();
    EXPECT_THROW(sched.wait(std::move(g)), test_error);
}

TEST(future, get_on_pending_future_outside_a_thread_throws) {
    promise<int> p;
    auto f = p.get_future();
    EXPECT_THROW(f.get(), future_not_available);
    p.set_value(1);
    EXPECT_EQ(f.get(), 1);
}

TEST(future, wait_on_deadlocked_future_throws) {
    local_scheduler sched;
    promise<int> p;
    EXPECT_THROW(sched.wait(p.get_future()), future_not_available);
}

TEST(future, tasks_carry_and_restore_their_scheduling_group) {
    local_scheduler sched;
    auto sg = internal::scheduling_group_from_index(3);
    EXPECT_FALSE(sg == default_scheduling_group());
    EXPECT_FALSE(sg.is_main());
    promise<> p;
    future<scheduling_group> f;
    {
        auto prev = internal::set_current_scheduling_group(sg);
        f = p.get_future().then([] { return current_scheduling_group(); });
        internal::set_current_scheduling_group(prev);
    }
    EXPECT_TRUE(current_scheduling_group().is_main());
    p.set_value();
    EXPECT_TRUE(sched.wait(std::move(f)) == sg);
    EXPECT_TRUE(current_scheduling_group() == default_scheduling_group());
}

TEST(future, preemption_makes_ready_continuations_tasks) {
    local_scheduler sched;
    sched.set_need_preempt(true);
    EXPECT_TRUE(need_preempt());
    bool ran = false;
    auto f = make_ready_future<>().then([&] { ran = true; });
    EXPECT_FALSE(ran);
    EXPECT_EQ(sched.pending(), 1u);
    sched.set_need_preempt(false);
    sched.wait(std::move(f));
    EXPECT_TRUE(ran);
}

TEST(future, task_quota_sets_need_preempt) {
    local_scheduler sched;
    sched.set_task_quota(2);
    std::vector<bool> seen;
    for (int i = 0; i < 4; ++i) {
        promise<> p;
        auto f = p.get_future().then([&] { seen.push_back(need_preempt()); });
        p.set_value();
        sched.wait(std::move(f));
    }
    EXPECT_EQ(seen, (std::vector<bool>{false, true, false, true}));
}

future<int> recurse(int n) {
    if (n == 0) {
        return make_ready_future<int>(0);
    }
    return make_ready_future<>().then([n] { return recurse(n - 1).then([](int v) { return v + 1; }); });
}

TEST(future, deep_recursive_ready_chain_does_not_overflow_the_stack) {
    local_scheduler sched;
    EXPECT_EQ(sched.wait(recurse(200000)), 200000);
    EXPECT_EQ(internal::hooks.inline_depth, 0u);
}

TEST(future, no_scheduler_needed_before_any_task) {
    EXPECT_EQ(internal::current_task_scheduler(), nullptr);
    {
        local_scheduler sched;
        EXPECT_EQ(internal::current_task_scheduler(), &sched);
        {
            local_scheduler nested;
            EXPECT_EQ(internal::current_task_scheduler(), &nested);
        }
        EXPECT_EQ(internal::current_task_scheduler(), &sched);
    }
    EXPECT_EQ(internal::current_task_scheduler(), nullptr);
    EXPECT_FALSE(need_preempt());
}

struct other_error : std::runtime_error {
    other_error() : std::runtime_error("other error") {}
};

TEST(future, finally_keeps_both_failures_in_a_nested_exception) {
    local_scheduler sched;
    auto f = make_exception_future<int>(test_error()).finally([] { throw other_error(); });
    try {
        sched.wait(std::move(f));
        FAIL() << "did not fail";
    } catch (const nested_exception& e) {
        EXPECT_THROW(std::rethrow_exception(e.inner), other_error);
        EXPECT_THROW(std::rethrow_exception(e.outer), test_error);
        EXPECT_THROW(e.rethrow_nested(), test_error);
        EXPECT_STREQ(e.what(), "seastar::nested_exception");
    }
    // Only the function failed: its exception, not a nested one.
    auto g = make_ready_future<int>(1).finally([] { return make_exception_future<>(other_error()); });
    EXPECT_THROW(sched.wait(std::move(g)), other_error);
    // Only the future failed: its exception.
    auto h = make_exception_future<>(test_error()).finally([] {});
    EXPECT_THROW(sched.wait(std::move(h)), test_error);
}

TEST(future, then_unpack_spreads_a_tuple) {
    local_scheduler sched;
    promise<std::tuple<int, std::string>> p;
    auto f = p.get_future().then_unpack([](int n, std::string s) { return s + std::to_string(n); });
    p.set_value(std::tuple<int, std::string>(3, "x"));
    EXPECT_EQ(sched.wait(std::move(f)), "x3");
    auto failed = make_exception_future<std::tuple<int>>(test_error()).then_unpack([](int) { return 1; });
    EXPECT_THROW(sched.wait(std::move(failed)), test_error);
}

TEST(future, or_terminate_passes_values_and_terminates_on_failure) {
    local_scheduler sched;
    EXPECT_EQ(sched.wait(make_ready_future<int>(4).or_terminate()), 4);
    EXPECT_DEATH(
        {
            local_scheduler s;
            (void)make_exception_future<>(test_error()).or_terminate();
        },
        "test error");
}

TEST(future, current_exception_and_as_ready_future) {
    future<int> f = [] {
        try {
            throw test_error();
        } catch (...) {
            return current_exception_as_future<int>();
        }
    }();
    EXPECT_TRUE(f.failed());
    EXPECT_THROW(f.get(), test_error);
    int v = 5;
    auto g = as_ready_future(v);
    static_assert(std::is_same_v<decltype(g), future<int>>);
    EXPECT_EQ(g.get(), 5);
    EXPECT_EQ(as_ready_future(std::string("s")).get(), "s");
}

TEST(future, public_types_and_wait) {
    static_assert(std::is_same_v<future<int>::value_type, int>);
    static_assert(std::is_same_v<future<int>::promise_type, promise<int>>);
    auto f = make_ready_future<int>(2);
    f.wait(); // available: returns at once, keeps the value
    EXPECT_EQ(f.get(), 2);
    promise<> p;
    auto pending = p.get_future();
    EXPECT_THROW(pending.wait(), future_not_available); // not in a seastar::thread
    p.set_value();
    pending.get();
}

TEST(future, set_urgent_state_runs_before_already_queued_tasks) {
    local_scheduler sched;
    std::vector<std::string> order;
    promise<> first;
    promise<int> urgent;
    promise<int> plain;
    auto f1 = first.get_future().then([&] { order.push_back("first"); });
    auto f2 = urgent.get_future().then([&](int v) { order.push_back("urgent " + std::to_string(v)); });
    auto f3 = plain.get_future().then([&](int v) { order.push_back("plain " + std::to_string(v)); });
    first.set_value();  // queued first
    plain.set_value(2); // queued behind it
    internal::future_state<int> st(internal::ready_tag{}, 42);
    urgent.set_urgent_state(std::move(st));
    EXPECT_FALSE(st.valid()); // the state moved into the promise
    sched.run_until_idle();
    EXPECT_EQ(order, (std::vector<std::string>{"urgent 42", "first", "plain 2"}));
    f1.get();
    f2.get();
    f3.get();
}

TEST(future, set_urgent_state_carries_an_exception) {
    local_scheduler sched;
    std::vector<std::string> order;
    promise<> first;
    promise<> urgent;
    auto f1 = first.get_future().then([&] { order.push_back("first"); });
    auto f2 = urgent.get_future().then_wrapped([&](future<> f) {
        order.push_back(f.failed() ? "urgent failed" : "urgent ok");
        return f;
    });
    first.set_value();
    urgent.set_urgent_state(
        internal::future_state<void>(internal::exception_tag{}, std::make_exception_ptr(test_error())));
    sched.run_until_idle();
    EXPECT_EQ(order, (std::vector<std::string>{"urgent failed", "first"}));
    f1.get();
    EXPECT_THROW(f2.get(), test_error);
}

TEST(future, set_urgent_state_without_a_continuation_makes_the_future_ready) {
    local_scheduler sched;
    promise<int> p;
    auto f = p.get_future();
    p.set_urgent_state(internal::future_state<int>(internal::ready_tag{}, 7));
    EXPECT_TRUE(f.available());
    EXPECT_EQ(f.get(), 7);
    // Before get_future(): the state waits in the promise.
    promise<int> q;
    q.set_urgent_state(internal::future_state<int>(internal::ready_tag{}, 8));
    EXPECT_EQ(q.get_future().get(), 8);
}

} // namespace
} // namespace seastar
