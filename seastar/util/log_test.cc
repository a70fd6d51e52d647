#include "seastar/util/log.hh"

#include <syslog.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <thread>

namespace seastar {
namespace {

struct capture {
    std::ostringstream out;
    capture() { logger::set_ostream(&out); }
    ~capture() { logger::set_ostream(nullptr); }
};

TEST(log, formats_level_shard_name_and_message) {
    logger l("fmt_test");
    capture c;
    internal::set_log_shard_id(3);
    l.info("hello {} {}", 42, "world");
    internal::set_log_shard_id(-1);
    auto s = c.out.str();
    EXPECT_EQ(s.rfind("INFO  ", 0), 0u) << s;
    EXPECT_NE(s.find(" [shard 3] fmt_test - hello 42 world\n"), std::string::npos) << s;
}

TEST(log, no_shard_prefix_outside_a_shard) {
    logger l("noshard_test");
    capture c;
    l.warn("x");
    auto s = c.out.str();
    EXPECT_EQ(s.rfind("WARN  ", 0), 0u) << s;
    EXPECT_EQ(s.find("[shard"), std::string::npos) << s;
    EXPECT_NE(s.find("noshard_test - x\n"), std::string::npos);
}

TEST(log, levels_filter_messages) {
    logger l("level_test");
    capture c;
    l.debug("hidden");
    EXPECT_TRUE(c.out.str().empty());
    l.set_level(log_level::trace);
    l.trace("shown {}", 1);
    EXPECT_NE(c.out.str().find("TRACE"), std::string::npos);
    l.set_level(log_level::error);
    c.out.str("");
    l.warn("hidden");
    l.info("hidden");
    EXPECT_TRUE(c.out.str().empty());
    l.error("boom");
    EXPECT_NE(c.out.str().find("ERROR"), std::string::npos);
}

TEST(log, registry_sets_levels_by_name) {
    logger a("registry_a");
    logger b("registry_b");
    auto& reg = global_logger_registry();
    reg.set_logger_level("registry_a", log_level::debug);
    EXPECT_EQ(a.level(), log_level::debug);
    EXPECT_EQ(reg.get_logger_level("registry_a"), log_level::debug);
    EXPECT_EQ(b.level(), log_level::info);
    auto names = reg.get_all_logger_names();
    EXPECT_NE(std::find(names.begin(), names.end(), "registry_b"), names.end());
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    reg.set_all_loggers_level(log_level::warn);
    EXPECT_EQ(a.level(), log_level::warn);
    EXPECT_EQ(b.level(), log_level::warn);
    // A logger made later starts at the default the registry was given.
    logger c("registry_c");
    EXPECT_EQ(c.level(), log_level::warn);
    reg.set_all_loggers_level(log_level::info);
}

TEST(log, unknown_logger_name_is_an_error_naming_it) {
    auto& reg = global_logger_registry();
    try {
        reg.set_logger_level("no_such_logger", log_level::debug);
        FAIL() << "no exception";
    } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string(e.what()).find("no_such_logger"), std::string::npos) << e.what();
    }
    EXPECT_THROW(reg.get_logger_level("no_such_logger"), std::out_of_range);
}

TEST(log, destroyed_loggers_leave_the_registry) {
    {
        logger l("short_lived_logger");
        auto names = global_logger_registry().get_all_logger_names();
        EXPECT_NE(std::find(names.begin(), names.end(), "short_lived_logger"), names.end());
    }
    auto names = global_logger_registry().get_all_logger_names();
    EXPECT_EQ(std::find(names.begin(), names.end(), "short_lived_logger"), names.end());
}

TEST(log, rate_limit_lets_one_message_per_interval_and_counts_the_rest) {
    logger l("rate_test");
    capture c;
    logger::rate_limit rl(std::chrono::hours(1));
    for (int i = 0; i < 5; ++i) {
        l.log(log_level::warn, rl, "message {}", i);
    }
    auto s = c.out.str();
    EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1) << s;
    EXPECT_NE(s.find("rate_test - message 0\n"), std::string::npos) << s;
    EXPECT_EQ(s.find("dropped"), std::string::npos) << s;
    c.out.str("");
    internal::advance_log_rate_limit_clock(std::chrono::hours(1));
    l.log(log_level::warn, rl, "message {}", 5);
    l.log(log_level::warn, rl, "message {}", 6);
    s = c.out.str();
    EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1) << s;
    EXPECT_NE(s.find("rate_test - (rate limiting dropped 4 similar messages) message 5\n"), std::string::npos) << s;
    // A disabled level neither logs nor uses up the interval.
    c.out.str("");
    internal::advance_log_rate_limit_clock(std::chrono::hours(1));
    l.log(log_level::debug, rl, "hidden");
    l.log(log_level::warn, rl, "message {}", 7);
    s = c.out.str();
    EXPECT_NE(s.find("(rate limiting dropped 1 similar messages) message 7"), std::string::npos) << s;
    EXPECT_EQ(s.find("hidden"), std::string::npos) << s;
}

TEST(log, settings_apply_default_and_named_levels) {
    logger a("settings_a");
    logger b("settings_b");
    auto saved = current_logging_settings();
    logging_settings s;
    s.default_level = log_level::error;
    s.logger_levels["settings_b"] = log_level::trace;
    apply_logging_settings(s);
    EXPECT_EQ(a.level(), log_level::error);
    EXPECT_EQ(b.level(), log_level::trace);
    // An unknown name changes nothing and says which name.
    logging_settings bad;
    bad.default_level = log_level::debug;
    bad.logger_levels["settings_nobody"] = log_level::trace;
    try {
        apply_logging_settings(bad);
        FAIL() << "no exception";
    } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string(e.what()).find("settings_nobody"), std::string::npos) << e.what();
    }
    EXPECT_EQ(a.level(), log_level::error);
    apply_logging_settings(saved);
    EXPECT_EQ(a.level(), log_level::info);
}

TEST(log, settings_can_turn_the_stream_off_and_drop_timestamps) {
    logger l("stream_test");
    capture c;
    auto saved = current_logging_settings();
    logging_settings s = saved;
    s.stdout_enabled = false;
    apply_logging_settings(s);
    l.error("not written");
    EXPECT_TRUE(c.out.str().empty()) << c.out.str();
    s.stdout_enabled = true;
    s.stdout_timestamp_style = logger_timestamp_style::none;
    apply_logging_settings(s);
    l.error("plain");
    EXPECT_EQ(c.out.str(), "ERROR stream_test - plain\n");
    apply_logging_settings(saved);
}

// syslog(3) with LOG_PERROR copies each message to stderr, so the test sees exactly what
// syslog was given (and needs no syslog daemon).
TEST(log, syslog_gets_the_message_without_level_or_time) {
    logger l("syslog_test");
    auto saved = current_logging_settings();
    logging_settings s = saved;
    s.stdout_enabled = false;
    s.syslog_enabled = true;
    ::openlog("log_test", LOG_PERROR, LOG_USER);
    ::testing::internal::CaptureStderr();
    apply_logging_settings(s);
    l.warn("to syslog {}", 1);
    l.debug("below the level");
    apply_logging_settings(saved);
    auto err = ::testing::internal::GetCapturedStderr();
    ::closelog();
    EXPECT_NE(err.find("log_test: syslog_test - to syslog 1\n"), std::string::npos) << err;
    EXPECT_EQ(err.find("WARN"), std::string::npos) << err; // the stream was off
    EXPECT_EQ(err.find("below the level"), std::string::npos) << err;
}

TEST(log, level_assignments_parse_lists_and_reject_bad_items) {
    using v = std::vector<std::pair<std::string, log_level>>;
    EXPECT_EQ(internal::parse_logger_level_assignments("a=debug"), (v{{"a", log_level::debug}}));
    EXPECT_EQ(internal::parse_logger_level_assignments("a=debug:b=trace,c=error"),
              (v{{"a", log_level::debug}, {"b", log_level::trace}, {"c", log_level::error}}));
    EXPECT_THROW(internal::parse_logger_level_assignments("a"), std::invalid_argument);
    EXPECT_THROW(internal::parse_logger_level_assignments("=debug"), std::invalid_argument);
    EXPECT_THROW(internal::parse_logger_level_assignments("a=loud"), std::invalid_argument);
    EXPECT_THROW(internal::parse_logger_level_assignments("a=debug,"), std::invalid_argument);
    EXPECT_EQ(parse_logger_ostream_type("stdout"), logger_ostream_type::stdout);
    EXPECT_THROW(parse_logger_ostream_type("file"), std::invalid_argument);
    EXPECT_EQ(parse_logger_timestamp_style("boot"), logger_timestamp_style::boot);
    EXPECT_THROW(parse_logger_timestamp_style("local"), std::invalid_argument);
}

TEST(log, parse_level_names) {
    EXPECT_EQ(parse_log_level("trace"), log_level::trace);
    EXPECT_EQ(parse_log_level("error"), log_level::error);
    EXPECT_THROW(parse_log_level("loud"), std::invalid_argument);
    EXPECT_EQ(to_string(log_level::warn), "warn");
}

TEST(log, lines_from_threads_do_not_interleave) {
    logger l("thread_test");
    capture c;
    auto work = [&] {
        for (int i = 0; i < 200; ++i) {
            l.info("{}", std::string(50, 'x'));
        }
    };
    std::thread t1(work), t2(work);
    t1.join();
    t2.join();
    std::istringstream in(c.out.str());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        EXPECT_NE(line.find("thread_test - " + std::string(50, 'x')), std::string::npos);
        EXPECT_EQ(line.find('x'), line.size() - 50) << line;
    }
    EXPECT_EQ(n, 400);
}

} // namespace
} // namespace seastar
