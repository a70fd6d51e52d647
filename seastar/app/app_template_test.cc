#include "seastar/core/app-template.hh"

#include <sched.h>

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "seastar/testing/program_args.hh"
#include "seastar/util/log.hh"

namespace seastar {
namespace {

namespace bpo = boost::program_options;

// The command line of a test program named after the test.
struct args : testing::program_args {
    explicit args(std::vector<std::string> a) : program_args("app_template_test", std::move(a)) {}
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
         "--blocked-reactor-notify-ms=100", "--shuffle-tasks"},
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
}

TEST(app_template, flags_do_not_leak_between_runs) {
    app_template app;
    run_app({}, [] { return make_ready_future<int>(0); }, &app);
    EXPECT_EQ(app.reactor_configuration().task_quota, std::chrono::microseconds(500));
    EXPECT_FALSE(app.reactor_configuration().poll_mode);
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

// The lowest-numbered CPU in a (non-empty) affinity mask.
unsigned first_cpu_of(const cpu_set_t& set) {
    unsigned cpu = 0;
    while (!CPU_ISSET(cpu, &set)) {
        ++cpu;
    }
    return cpu;
}

TEST(app_template, cpuset_pins_shard_0_to_its_first_cpu_and_restores_affinity) {
    cpu_set_t before;
    ASSERT_EQ(::sched_getaffinity(0, sizeof(before), &before), 0);
    unsigned first = first_cpu_of(before);
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

// A load generator's defaults: one shard, not pinned, unless the command line
// asks for shards (--smp) or dedicated cores (--cpuset).
TEST(app_template, config_defaults_for_programs_that_share_the_machine) {
    cpu_set_t before;
    ASSERT_EQ(::sched_getaffinity(0, sizeof(before), &before), 0);
    unsigned first = first_cpu_of(before);
    struct seen {
        unsigned shards = 0;
        bool affinity_unchanged = false;
        int cpus = -1;
    };
    auto run_with = [&](std::vector<std::string> a) {
        seen s;
        app_template app({.name = "load", .default_smp = 1, .default_overprovisioned = true});
        args ar(std::move(a));
        int code = app.run(ar.ac(), ar.av(), std::function<future<int>()>([&]() -> future<int> {
                               s.shards = smp::count;
                               cpu_set_t now;
                               if (::sched_getaffinity(0, sizeof(now), &now) == 0) {
                                   s.cpus = CPU_COUNT(&now);
                                   s.affinity_unchanged = CPU_EQUAL(&now, &before);
                               }
                               co_return 0;
                           }));
        EXPECT_EQ(code, 0);
        return s;
    };
    auto plain = run_with({});
    EXPECT_EQ(plain.shards, 1u);
    EXPECT_TRUE(plain.affinity_unchanged) << "a default run pinned its shard to " << plain.cpus << " CPU(s)";
    if (CPU_COUNT(&before) >= 2) {
        EXPECT_EQ(run_with({"--smp=2"}).shards, 2u);
    }
    auto pinned = run_with({"--cpuset=" + std::to_string(first)});
    EXPECT_EQ(pinned.shards, 1u);
    EXPECT_EQ(pinned.cpus, 1) << "--cpuset asks for dedicated cores: the shard is pinned";
}

TEST(app_template, short_forms_of_smp_and_memory) {
    app_template app;
    unsigned shards = 0;
    int code = run_app(
        {"-c", "2", "-m", "1G", "--overprovisioned"},
        [&] {
            shards = smp::count;
            return make_ready_future<int>(0);
        },
        &app);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(shards, 2u);
    EXPECT_EQ(app.configuration()["smp"].as<unsigned>(), 2u);
    EXPECT_EQ(app.configuration()["memory"].as<std::string>(), "1G");
    // The attached form too.
    EXPECT_EQ(run_app({"-c1"},
                      [&] {
                          shards = smp::count;
                          return make_ready_future<int>(0);
                      }),
              0);
    EXPECT_EQ(shards, 1u);
}

TEST(app_template, configuration_holds_program_and_framework_options_with_defaults) {
    app_template app;
    app.add_options()("app-answer", bpo::value<int>()->default_value(1),
                      "an option of the program")("verbose-app", bpo::bool_switch(), "a switch of the program");
    int seen = 0;
    bool verbose = false;
    double quota = 0;
    int code = run_app(
        {"--app-answer=42", "--verbose-app"},
        [&] {
            // Valid while the program runs.
            seen = app.configuration()["app-answer"].as<int>();
            verbose = app.configuration()["verbose-app"].as<bool>();
            quota = app.configuration()["task-quota-ms"].as<double>();
            return make_ready_future<int>(0);
        },
        &app);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(seen, 42);
    EXPECT_TRUE(verbose);
    EXPECT_DOUBLE_EQ(quota, 0.5);
    EXPECT_EQ(app.configuration()["network-stack"].as<std::string>(), "posix");
    EXPECT_EQ(app.configuration().count("cpuset"), 0u);
}

TEST(app_template, help_lists_framework_and_program_options_and_returns_1) {
    app_template::config cfg;
    cfg.name = "helpful";
    cfg.description = "a program that helps";
    app_template app(cfg);
    app.add_options()("app-answer", bpo::value<int>(), "the answer of the program");
    for (auto help : {"--help", "-h"}) {
        ::testing::internal::CaptureStdout();
        bool ran = false;
        int code = run_app(
            {help},
            [&] {
                ran = true;
                return make_ready_future<int>(0);
            },
            &app);
        auto out = ::testing::internal::GetCapturedStdout();
        EXPECT_EQ(code, 1);
        EXPECT_FALSE(ran);
        for (auto want : {"a program that helps",      "helpful options",     "--app-answer",
                          "the answer of the program", "Seastar options",     "-c [ --smp ]",
                          "-m [ --memory ]",           "--reserve-memory",    "--cpuset",
                          "--overprovisioned",         "--poll-mode",         "--idle-poll-time-us",
                          "--task-quota-ms",           "--reactor-backend",   "--blocked-reactor-notify-ms",
                          "--network-stack",           "--default-log-level", "--logger-log-level",
                          "--log-to-stdout",           "--log-to-syslog"}) {
            EXPECT_NE(out.find(want), std::string::npos) << want << " missing from:\n" << out;
        }
    }
}

TEST(app_template, help_loggers_lists_logger_names) {
    logger mine("app_template_test_logger");
    ::testing::internal::CaptureStdout();
    int code = run_app({"--help-loggers"}, [] { return make_ready_future<int>(0); });
    auto out = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(code, 1);
    EXPECT_NE(out.find("    app_template_test_logger\n"), std::string::npos) << out;
    EXPECT_NE(out.find("    seastar\n"), std::string::npos) << out;
}

TEST(app_template, positional_options_fill_named_options) {
    app_template app;
    app.add_positional_options({
        {"mode", bpo::value<std::string>(), "what to do", 1},
        {"files", bpo::value<std::vector<std::string>>(), "inputs", -1},
    });
    std::string mode;
    std::vector<std::string> files;
    int code = run_app(
        {"copy", "--overprovisioned", "a", "b"},
        [&] {
            mode = app.configuration()["mode"].as<std::string>();
            files = app.configuration()["files"].as<std::vector<std::string>>();
            return make_ready_future<int>(0);
        },
        &app);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(mode, "copy");
    EXPECT_EQ(files, (std::vector<std::string>{"a", "b"}));
}

TEST(app_template, positional_arguments_nobody_asked_for_are_an_error) {
    ::testing::internal::CaptureStderr();
    int code = run_app({"stray"}, [] { return make_ready_future<int>(0); });
    auto err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 1);
    EXPECT_NE(err.find("bad command line"), std::string::npos) << err;
}

// Each bad command line: exit code 1, nothing run, and a line that names the problem.
TEST(app_template, bad_options_say_what_is_wrong) {
    for (auto [arg, expect] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--no-such-flag=1"}, "unrecognised option '--no-such-flag"},
             {{"--smp=abc"}, "the argument ('abc') for option '--smp' is invalid"},
             {{"-c", "x"}, "for option '--smp' is invalid"},
             {{"--smp=0"}, "--smp must be at least 1"},
             {{"--memory"}, "the required argument for option '--memory' is missing"},
             {{"--network-stack=native"}, "unknown network stack 'native' (available: posix)"},
             {{"--default-log-level=loud"}, "unknown log level 'loud'"},
             {{"--logger-log-level=app"}, "bad logger level 'app'"},
             {{"--logger-log-level", "nobody_logs_here=debug"}, "no logger named 'nobody_logs_here'"},
             {{"--logger-ostream-type=file"}, "unknown log stream 'file'"},
             {{"--log-to-syslog=maybe"}, "for option '--log-to-syslog' is invalid"},
             {{"--reserve-memory=1T"}, "--reserve-memory 1T is not below the machine's memory"},
             {{"--task-quota-ms=0"}, "--task-quota-ms must be in (0, 1000]"},
         }) {
        ::testing::internal::CaptureStderr();
        bool ran = false;
        int code = run_app(arg, [&] {
            ran = true;
            return make_ready_future<int>(0);
        });
        auto err = ::testing::internal::GetCapturedStderr();
        EXPECT_EQ(code, 1) << arg[0];
        EXPECT_FALSE(ran) << arg[0];
        EXPECT_NE(err.find(expect), std::string::npos) << arg[0] << ": " << err;
    }
}

TEST(app_template, run_deprecated_returns_the_code_given_to_exit) {
    args ar({"--overprovisioned"});
    app_template app;
    bool ran = false;
    int code = app.run_deprecated(ar.ac(), ar.av(), [&] {
        ran = true;
        (void)sleep(std::chrono::milliseconds(1)).then([] { engine().exit(3); });
    });
    EXPECT_TRUE(ran);
    EXPECT_EQ(code, 3);
}

TEST(app_template, config_sets_task_quota_default_and_signal_handling) {
    app_template::config cfg;
    cfg.default_task_quota = std::chrono::milliseconds(2);
    cfg.auto_handle_sigint_sigterm = false;
    app_template app(cfg);
    EXPECT_EQ(run_app({}, [] { return make_ready_future<int>(0); }, &app), 0);
    EXPECT_EQ(app.reactor_configuration().task_quota, std::chrono::milliseconds(2));
    EXPECT_FALSE(app.reactor_configuration().handle_sigint_sigterm);
    app_template plain;
    EXPECT_EQ(run_app({}, [] { return make_ready_future<int>(0); }, &plain), 0);
    EXPECT_TRUE(plain.reactor_configuration().handle_sigint_sigterm);
}

struct log_capture {
    std::ostringstream out;
    log_capture() { logger::set_ostream(&out); }
    ~log_capture() { logger::set_ostream(nullptr); }
};

logger test_log_a("app_test_a");
logger test_log_b("app_test_b");

TEST(app_template, log_levels_by_name_apply_during_the_run_only) {
    log_level a = log_level::info, b = log_level::info, other = log_level::info;
    int code = run_app({"--default-log-level=warn", "--logger-log-level", "app_test_a=trace,app_test_b=debug",
                        "--logger-log-level=seastar=error"},
                       [&] {
                           a = test_log_a.level();
                           b = test_log_b.level();
                           other = global_logger_registry().get_logger_level("app");
                           return make_ready_future<int>(0);
                       });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(a, log_level::trace);
    EXPECT_EQ(b, log_level::debug);
    EXPECT_EQ(other, log_level::warn);
    EXPECT_EQ(test_log_a.level(), log_level::info);
    EXPECT_EQ(global_logger_registry().get_logger_level("app"), log_level::info);
}

TEST(app_template, log_to_stdout_0_silences_the_stream) {
    log_capture c;
    int code = run_app({"--log-to-stdout", "0"}, [] {
        test_log_a.error("not shown");
        return make_ready_future<int>(0);
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(c.out.str().find("not shown"), std::string::npos) << c.out.str();
    code = run_app({"--logger-stdout-timestamps=none"}, [] {
        test_log_a.error("shown");
        return make_ready_future<int>(0);
    });
    EXPECT_NE(c.out.str().find("ERROR [shard 0] app_test_a - shown\n"), std::string::npos) << c.out.str();
}

TEST(app_template, a_failed_future_nobody_looked_at_is_reported_through_the_logger) {
    log_capture c;
    int code = run_app({"--smp=2", "--overprovisioned"}, []() -> future<int> {
        (void)make_exception_future<>(std::runtime_error("nobody looked"));
        co_await smp::submit_to(1, [] { (void)make_exception_future<int>(std::logic_error("nor here")); });
        co_return 0;
    });
    EXPECT_EQ(code, 0);
    auto s = c.out.str();
    EXPECT_NE(s.find("[shard 0] seastar - Exceptional future ignored: nobody looked"), std::string::npos) << s;
    EXPECT_NE(s.find("[shard 1] seastar - Exceptional future ignored: nor here"), std::string::npos) << s;
    EXPECT_NE(s.find("WARN "), std::string::npos) << s;
    // Outside a run the futures layer's own report (stderr) is back.
    ::testing::internal::CaptureStderr();
    (void)make_exception_future<>(std::runtime_error("after the run"));
    auto err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("after the run"), std::string::npos) << err;
    EXPECT_EQ(c.out.str().find("after the run"), std::string::npos);
}

} // namespace
} // namespace seastar
