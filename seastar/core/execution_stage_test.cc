// Execution stages inside a reactor: batching, results and failures, reference
// arguments, member functions, the stage's scheduling group and the per-group stages.
#include "seastar/core/execution_stage.hh"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/when_all.hh"
#include "seastar/core/with_scheduling_group.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar {
namespace {

SEASTAR_TEST_CASE(execution_stage, queued_calls_run_later_in_one_batch) {
    std::vector<int> ran;
    auto stage = make_execution_stage("double", [&](int x) {
        ran.push_back(x);
        return x * 2;
    });
    std::vector<future<int>> fs;
    for (int i = 0; i < 10; ++i) {
        fs.push_back(stage(i));
    }
    EXPECT_TRUE(ran.empty()); // nothing runs at the call
    EXPECT_EQ(stage.get_stats().function_calls_enqueued, 10u);
    auto results = co_await when_all_succeed(fs.begin(), fs.end());
    EXPECT_EQ(results, (std::vector<int>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18}));
    EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(stage.get_stats().function_calls_executed, 10u);
    // One batch for all ten, unless the task quota cut it (a slow build): then it went on.
    EXPECT_EQ(stage.get_stats().tasks_scheduled, stage.get_stats().tasks_preempted + 1);
    EXPECT_FALSE(stage.poll());
    EXPECT_EQ(stage.name(), "double");
}

SEASTAR_TEST_CASE(execution_stage, failures_and_future_results_reach_the_caller) {
    auto stage = make_execution_stage("check", [](int x) -> future<std::string> {
        if (x < 0) {
            throw std::invalid_argument("negative");
        }
        co_return std::to_string(x);
    });
    auto good = stage(5);
    auto bad = stage(-1);
    EXPECT_EQ(co_await std::move(good), "5");
    EXPECT_THROW(co_await std::move(bad), std::invalid_argument);
}

struct counter {
    int total = 0;
    int add(int x) { return total += x; }
};

SEASTAR_TEST_CASE(execution_stage, member_functions_and_reference_arguments) {
    counter c;
    auto by_member = make_execution_stage("add", &counter::add);
    co_await by_member(&c, 3);
    EXPECT_EQ(co_await by_member(&c, 4), 7);

    concrete_execution_stage<void, std::string&, std::string> append("append",
                                                                     [](std::string& s, std::string t) { s += t; });
    std::string s = "a";
    auto f1 = append(s, "b"); // held by reference until the batch runs
    auto f2 = append(std::ref(s), "c");
    co_await std::move(f1);
    co_await std::move(f2);
    EXPECT_EQ(s, "abc");
}

SEASTAR_TEST_CASE(execution_stage, runs_in_its_scheduling_group) {
    auto sg = co_await create_scheduling_group("es-group", 100);
    auto stage = make_execution_stage("in-group", sg, [sg] { return current_scheduling_group() == sg; });
    EXPECT_TRUE(co_await stage());
    co_await destroy_scheduling_group(sg);
}

SEASTAR_TEST_CASE(execution_stage, inheriting_stage_runs_each_call_in_the_callers_group) {
    auto a = co_await create_scheduling_group("es-a", 100);
    auto b = co_await create_scheduling_group("es-b", 100);
    inheriting_concrete_execution_stage<std::string, int> stage(
        "inherit", [](int x) { return std::string(current_scheduling_group().name()) + ":" + std::to_string(x); });
    auto ra = co_await with_scheduling_group(a, [&] { return stage(1); });
    auto rb = co_await with_scheduling_group(b, [&] { return stage(2); });
    auto ra2 = co_await with_scheduling_group(a, [&] { return stage(3); });
    EXPECT_EQ(ra, "es-a:1");
    EXPECT_EQ(rb, "es-b:2");
    EXPECT_EQ(ra2, "es-a:3");
    auto stats = stage.get_stats();
    EXPECT_EQ(stats.size(), 2u);
    uint64_t executed = 0;
    for (auto& s : stats) {
        EXPECT_TRUE(s.sg == a || s.sg == b);
        executed += s.stats.function_calls_executed;
    }
    EXPECT_EQ(executed, 3u);
    co_await destroy_scheduling_group(a);
    co_await destroy_scheduling_group(b);
}

SEASTAR_TEST_CASE(execution_stage, a_long_batch_yields_to_other_work_and_finishes) {
    int ran = 0;
    auto stage = make_execution_stage("many", [&](int) { ++ran; });
    std::vector<future<>> fs;
    for (int i = 0; i < 20000; ++i) {
        fs.push_back(stage(i));
    }
    co_await when_all_succeed(fs.begin(), fs.end());
    EXPECT_EQ(ran, 20000);
    auto& st = stage.get_stats();
    EXPECT_EQ(st.function_calls_executed, 20000u);
    EXPECT_EQ(st.tasks_scheduled, st.tasks_preempted + 1); // every cut batch was continued
}

} // namespace
} // namespace seastar
