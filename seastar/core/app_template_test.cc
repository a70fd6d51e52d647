#include "seastar/core/app-template.hh"
#include "seastar/core/smp.hh"

#include <sched.h>

#include <absl/flags/flag.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"

ABSL_FLAG(int, app_answer, 0, "an option of the application itself");

namespace seastar {
namespace {

struct args {
    std::vector<std::string> storage;
    std::vector<char*> ptrs;
    explicit args(std::vector<std::string> a) : storage(std::move(a)) {
        storage.insert(storage.begin(), "app_template_test");
        for (auto& s : storage) {
            ptrs.push_back(s.data());
        }
        ptrs.push_back(nullptr);
    }
    int ac() const { return int(storage.size()); }
    char** av() { return ptrs.data(); }
};

int run_app(std::vector<std::string> a, std::function<future<int>()> f, app_template* app_out = nullptr) {
    args ar(std::move(a));
    app_template local;
    auto& app = app_out ? *app_out : local;
    return app.run(ar.ac(), ar.av(), std::move(f));
}

TEST(app_template, returns_the_main_exit_code) {
    EXPECT_EQ(run_app({},
                      []() -> future<int> {
                          co_await sleep(std::chrono::milliseconds(1));
                          co_return 17;
                      }),
              17);
}

TEST(app_template, void_main_exits_with_zero) {
    args ar({});
    app_template app;
    EXPECT_EQ(app.run(ar.ac(), ar.av(), std::function<future<>()>([] { return make_ready_future<>(); })), 0);
}

TEST(app_template, failed_main_gives_1) {
    ::testing::internal::CaptureStderr();
    int code = run_app({}, []() -> future<int> { throw std::runtime_error("main exploded"); });
    auto err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 1);
    EXPECT_NE(err.find("main exploded"), std::string::npos) << err;
}

TEST(app_template, parses_framework_flags_with_dashes) {
    app_template app;
    std::string backend;
    int code = run_app(
        {"--reactor-backend=epoll", "--task-quota-ms", "2", "--idle-poll-time-us=50", "-m", "64M",
         "--blocked-reactor-notify-ms=100", "--shuffle-tasks", "positional"},
        [&]() -> future<int> {
            backend = std::string(engine().backend_name());
            co_return 0;
        },
        &app);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(backend, "epoll");
    auto& rc = app.reactor_configuration();
    EXPECT_EQ(rc.task_quota, std::chrono::milliseconds(2));
    EXPECT_EQ(rc.idle_poll_time, std::chrono::microseconds(50));
    EXPECT_EQ(rc.blocked_reactor_notify, std::chrono::milliseconds(100));
    EXPECT_TRUE(rc.shuffle_tasks);
    EXPECT_EQ(app.positional_args(), std::vector<std::string>{"positional"});
}

TEST(app_template, flags_do_not_leak_between_runs) {
    app_template app;
    run_app({}, [] { return make_ready_future<int>(0); }, &app);
    EXPECT_EQ(app.reactor_configuration().task_quota, std::chrono::microseconds(500));
    EXPECT_FALSE(app.reactor_configuration().poll_mode);
}

TEST(app_template, application_flags_are_parsed_too) {
    int seen = 0;
    run_app({"--app-answer=42"}, [&] {
        seen = absl::GetFlag(FLAGS_app_answer);
        return make_ready_future<int>(0);
    });
    EXPECT_EQ(seen, 42);
}

TEST(app_template, smp_starts_that_many_shards) {
    unsigned shards = 0;
    std::vector<unsigned> ran_on;
    int code = run_app({"--smp=2", "--overprovisioned"}, [&]() -> future<int> {
        shards = smp::count;
        // Every shard answers, and main itself runs on shard 0.
        ran_on.push_back(this_shard_id());
        co_await smp::invoke_on_all([] {});
        unsigned other = co_await smp::submit_to(1, [] { return this_shard_id(); });
        ran_on.push_back(other);
        co_return 7;
    });
    EXPECT_EQ(code, 7);
    EXPECT_EQ(shards, 2u);
    EXPECT_EQ(ran_on, (std::vector<unsigned>{0, 1}));
}

TEST(app_template, smp_beyond_the_cpus_fails_clearly) {
    ::testing::internal::CaptureStderr();
    bool ran = false;
    int code = run_app({"--smp=4096"}, [&] {
        ran = true;
        return make_ready_future<int>(0);
    });
    auto err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 1);
    EXPECT_FALSE(ran);
    EXPECT_NE(err.find("could not start"), std::string::npos) << err;
    EXPECT_NE(err.find("4096"), std::string::npos) << err;
}

TEST(app_template, bad_values_fail_start_up) {
    for (auto bad :
         {"--reactor-backend=kqueue", "--task-quota-ms=0", "--memory=12Q", "--cpuset=3-1", "--idle-poll-time-us=-5"}) {
        ::testing::internal::CaptureStderr();
        bool ran = false;
        int code = run_app({bad}, [&] {
            ran = true;
            return make_ready_future<int>(0);
        });
        auto err = ::testing::internal::GetCapturedStderr();
        EXPECT_EQ(code, 1) << bad;
        EXPECT_FALSE(ran) << bad;
        EXPECT_NE(err.find("could not start"), std::string::npos) << bad << ": " << err;
    }
}

TEST(app_template, help_prints_usage_and_returns_1) {
    ::testing::internal::CaptureStdout();
    bool ran = false;
    int code = run_app({"--help"}, [&] {
        ran = true;
        return make_ready_future<int>(0);
    });
    auto out = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(code, 1);
    EXPECT_FALSE(ran);
    EXPECT_NE(out.find("task_quota_ms"), std::string::npos) << out;
    EXPECT_NE(out.find("app_answer"), std::string::npos);
}

TEST(app_template, a_run_after_help_runs_normally) {
    ::testing::internal::CaptureStdout();
    EXPECT_EQ(run_app({"--help"}, [] { return make_ready_future<int>(0); }), 1);
    ::testing::internal::GetCapturedStdout();
    bool ran = false;
    EXPECT_EQ(run_app({},
                      [&] {
                          ran = true;
                          return make_ready_future<int>(5);
                      }),
              5);
    EXPECT_TRUE(ran);
}

TEST(app_template_death, unknown_flag_fails) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_app({"--no-such-flag=1"}, [] { return make_ready_future<int>(0); }), ::testing::ExitedWithCode(1),
                "no-such-flag|no_such_flag");
}

TEST(app_template_parsing, memory_sizes) {
    EXPECT_EQ(internal::parse_memory_size("4096"), 4096u);
    EXPECT_EQ(internal::parse_memory_size("2K"), 2048u);
    EXPECT_EQ(internal::parse_memory_size("3M"), 3u << 20);
    EXPECT_EQ(internal::parse_memory_size("1G"), 1u << 30);
    EXPECT_THROW(internal::parse_memory_size("G"), std::invalid_argument);
    EXPECT_THROW(internal::parse_memory_size("5X"), std::invalid_argument);
    EXPECT_THROW(internal::parse_memory_size("99999999999999T"), std::invalid_argument);
}

// The --cpuset grammar itself is tested with its parser (//seastar/smp:topology_internal_test);
// here: what a user sees when the value is bad.
TEST(app_template, bad_cpuset_says_what_is_wrong) {
    for (auto [bad, expect] : std::vector<std::pair<std::string, std::string>>{
             {"--cpuset=3-1", "bad item \"3-1\" (range start is greater than its end)"},
             {"--cpuset=1,", "bad item \"\""},
             {"--cpuset=a", "bad item \"a\""},
             {"--cpuset=99999", "bad item \"99999\""},
         }) {
        ::testing::internal::CaptureStderr();
        bool ran = false;
        int code = run_app({bad}, [&] {
            ran = true;
            return make_ready_future<int>(0);
        });
        auto err = ::testing::internal::GetCapturedStderr();
        EXPECT_EQ(code, 1) << bad;
        EXPECT_FALSE(ran) << bad;
        EXPECT_NE(err.find("could not start: bad --cpuset: invalid cpuset"), std::string::npos) << bad << ": " << err;
        EXPECT_NE(err.find(expect), std::string::npos) << bad << ": " << err;
    }
}

TEST(app_template, cpuset_pins_shard_0_to_its_first_cpu_and_restores_affinity) {
    cpu_set_t before;
    ASSERT_EQ(::sched_getaffinity(0, sizeof(before), &before), 0);
    unsigned first = 0;
    while (!CPU_ISSET(first, &before)) {
        ++first;
    }
    int seen_cpu_count = -1;
    bool on_first = false;
    int code = run_app({"--cpuset=" + std::to_string(first)}, [&] {
        cpu_set_t now;
        if (::sched_getaffinity(0, sizeof(now), &now) == 0) {
            seen_cpu_count = CPU_COUNT(&now);
            on_first = CPU_ISSET(first, &now);
        }
        return make_ready_future<int>(0);
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(seen_cpu_count, 1);
    EXPECT_TRUE(on_first);
    cpu_set_t after;
    ASSERT_EQ(::sched_getaffinity(0, sizeof(after), &after), 0);
    EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

TEST(app_template_parsing, flag_names_are_normalized_until_double_dash) {
    args a({"--task-quota-ms=1", "-m", "1G", "--", "--not-a-flag", "--poll-mode"});
    auto n = internal::normalize_flag_names(a.ac(), a.av());
    EXPECT_EQ(n, (std::vector<std::string>{"app_template_test", "--task_quota_ms=1", "--memory", "1G", "--",
                                           "--not-a-flag", "--poll-mode"}));
}

} // namespace
} // namespace seastar
