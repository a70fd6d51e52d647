#include "seastar/core/coroutine.hh"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "seastar/core/future.hh"
#include "seastar/core/local_scheduler.hh"

namespace seastar {
namespace {

struct test_error : std::runtime_error {
    test_error() : std::runtime_error("test error") {}
};

future<int> add(future<int> a, future<int> b) {
    int x = co_await std::move(a);
    int y = co_await std::move(b);
    co_return x + y;
}

TEST(coroutine, awaiting_ready_futures_completes_without_suspending) {
    // No scheduler installed: a suspension would abort.
    auto f = add(make_ready_future<int>(1), make_ready_future<int>(2));
    ASSERT_TRUE(f.available());
    EXPECT_EQ(f.get(), 3);
}

TEST(coroutine, suspends_on_pending_future_and_resumes_as_a_task) {
    local_scheduler sched;
    promise<int> pa;
    promise<int> pb;
    auto f = add(pa.get_future(), pb.get_future());
    EXPECT_FALSE(f.available());
    pa.set_value(20);
    EXPECT_EQ(sched.pending(), 1u) << "the resumption is a task";
    sched.run_until_idle();
    EXPECT_FALSE(f.available());
    pb.set_value(22);
    EXPECT_EQ(sched.wait(std::move(f)), 42);
}

future<> void_coroutine(int& out, future<> in) {
    co_await std::move(in);
    out = 1;
}

TEST(coroutine, void_coroutines) {
    local_scheduler sched;
    int out = 0;
    promise<> p;
    auto f = void_coroutine(out, p.get_future());
    EXPECT_EQ(out, 0);
    p.set_value();
    sched.wait(std::move(f));
    EXPECT_EQ(out, 1);
}

future<int> throws_before_suspending() {
    throw test_error();
    co_return 1;
}

future<int> throws_after_suspending(future<> in) {
    co_await std::move(in);
    throw test_error();
    co_return 1;
}

TEST(coroutine, exception_leaving_a_coroutine_fails_its_future) {
    local_scheduler sched;
    auto f = throws_before_suspending();
    ASSERT_TRUE(f.available());
    EXPECT_THROW(f.get(), test_error);
    promise<> p;
    auto g = throws_after_suspending(p.get_future());
    p.set_value();
    EXPECT_THROW(sched.wait(std::move(g)), test_error);
}

future<std::string> catches(future<int> in) {
    try {
        co_await std::move(in);
    } catch (const test_error& e) {
        co_return std::string("caught: ") + e.what();
    }
    co_return "no exception";
}

TEST(coroutine, awaiting_a_failed_future_throws_inside_the_coroutine) {
    local_scheduler sched;
    EXPECT_EQ(sched.wait(catches(make_exception_future<int>(test_error()))), "caught: test error");
    promise<int> p;
    auto f = catches(p.get_future());
    p.set_exception(test_error());
    EXPECT_EQ(sched.wait(std::move(f)), "caught: test error");
    EXPECT_EQ(sched.wait(catches(make_ready_future<int>(0))), "no exception");
}

TEST(coroutine, broken_promise_reaches_the_coroutine) {
    local_scheduler sched;
    std::optional<promise<int>> p(std::in_place);
    auto f = add(p->get_future(), make_ready_future<int>(1));
    p.reset();
    EXPECT_THROW(sched.wait(std::move(f)), broken_promise);
}

future<std::unique_ptr<int>> move_only(future<std::unique_ptr<int>> in) {
    auto p = co_await std::move(in);
    *p += 1;
    co_return p;
}

TEST(coroutine, move_only_values) {
    local_scheduler sched;
    promise<std::unique_ptr<int>> p;
    auto f = move_only(p.get_future());
    p.set_value(std::make_unique<int>(1));
    auto r = sched.wait(std::move(f));
    EXPECT_EQ(*r, 2);
}

TEST(coroutine, interleaves_with_continuations) {
    local_scheduler sched;
    std::vector<std::string> log;
    promise<> p1;
    promise<> p2;
    promise<> p3;
    auto coro = [&log](future<> a, future<> b) -> future<> {
        log.push_back("coro start");
        co_await std::move(a);
        log.push_back("coro after a");
        co_await std::move(b);
        log.push_back("coro after b");
    };
    auto f1 = coro(p1.get_future(), p2.get_future());
    auto f2 = p3.get_future().then([&] { log.push_back("then 1"); }).then([&] { log.push_back("then 2"); });
    EXPECT_EQ(log, (std::vector<std::string>{"coro start"}));
    p1.set_value();
    p3.set_value();
    sched.run_one();
    sched.run_one();
    p2.set_value();
    sched.run_until_idle();
    EXPECT_EQ(log, (std::vector<std::string>{"coro start", "coro after a", "then 1", "then 2", "coro after b"}));
    sched.wait(std::move(f1));
    sched.wait(std::move(f2));
}

TEST(coroutine, coroutine_awaiting_a_continuation_chain) {
    local_scheduler sched;
    promise<int> p;
    auto chain = p.get_future().then([](int v) { return v * 2; }).then([](int v) { return make_ready_future<int>(v + 1); });
    auto f = [](future<int> in) -> future<int> { co_return co_await std::move(in) * 10; }(std::move(chain));
    p.set_value(2);
    EXPECT_EQ(sched.wait(std::move(f)), 50);
}

TEST(coroutine, yields_on_ready_future_when_preempted) {
    local_scheduler sched;
    sched.set_need_preempt(true);
    bool done = false;
    auto f = [](bool& done) -> future<> {
        co_await make_ready_future<>();
        done = true;
    }(done);
    EXPECT_FALSE(done);
    EXPECT_EQ(sched.pending(), 1u);
    sched.set_need_preempt(false);
    sched.wait(std::move(f));
    EXPECT_TRUE(done);
}

TEST(coroutine, resumes_in_its_scheduling_group) {
    local_scheduler sched;
    auto sg = internal::scheduling_group_from_index(2);
    promise<> p;
    future<scheduling_group> f;
    {
        auto prev = internal::set_current_scheduling_group(sg);
        f = [](future<> in) -> future<scheduling_group> {
            co_await std::move(in);
            co_return current_scheduling_group();
        }(p.get_future());
        internal::set_current_scheduling_group(prev);
    }
    p.set_value();
    EXPECT_TRUE(sched.wait(std::move(f)) == sg);
}

future<int> count_down(int n) {
    int total = 0;
    for (int i = 0; i < n; ++i) {
        total += co_await make_ready_future<int>(1);
    }
    co_return total;
}

TEST(coroutine, many_ready_awaits_use_no_stack) {
    EXPECT_EQ(count_down(100000).get(), 100000);
}

} // namespace
} // namespace seastar
