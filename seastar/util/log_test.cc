#include "seastar/util/log.hh"

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
    EXPECT_TRUE(logger_registry::set_logger_level("registry_a", log_level::debug));
    EXPECT_EQ(a.level(), log_level::debug);
    EXPECT_EQ(b.level(), log_level::info);
    EXPECT_FALSE(logger_registry::set_logger_level("no_such_logger", log_level::debug));
    auto names = logger_registry::get_all_logger_names();
    EXPECT_NE(std::find(names.begin(), names.end(), "registry_b"), names.end());
    logger_registry::set_all_loggers_level(log_level::warn);
    EXPECT_EQ(a.level(), log_level::warn);
    EXPECT_EQ(b.level(), log_level::warn);
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
