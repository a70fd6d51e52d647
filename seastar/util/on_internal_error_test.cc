#include "seastar/core/on_internal_error.hh"

#include <sstream>
#include <stdexcept>
#include <string>

#include "seastar/util/log.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

logger test_log("internal_error_test");

struct capture_log {
    std::ostringstream out;
    capture_log() { logger::set_ostream(&out); }
    ~capture_log() { logger::set_ostream(nullptr); }
};

TEST(on_internal_error, logs_with_a_backtrace_and_throws) {
    capture_log cap;
    EXPECT_FALSE(set_abort_on_internal_error(false));
    try {
        on_internal_error(test_log, "refcount went negative");
        FAIL() << "did not throw";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "refcount went negative");
    }
    auto line = cap.out.str();
    EXPECT_NE(line.find("ERROR"), std::string::npos) << line;
    EXPECT_NE(line.find("refcount went negative, at: "), std::string::npos) << line;
    EXPECT_NE(line.find("logs_with_a_backtrace_and_throws"), std::string::npos) << line;

    EXPECT_THROW(on_internal_error(test_log, std::make_exception_ptr(std::logic_error("inner"))), std::logic_error);
    on_internal_error_noexcept(test_log, "noexcept variant");
    EXPECT_NE(cap.out.str().find("noexcept variant"), std::string::npos);
}

TEST(on_internal_error, aborts_when_configured) {
    EXPECT_DEATH(
        {
            set_abort_on_internal_error(true);
            on_internal_error(test_log, "abort me");
        },
        "abort me");
    EXPECT_DEATH(on_fatal_internal_error(test_log, "fatal one"), "fatal one");
    EXPECT_FALSE(set_abort_on_internal_error(false)); // the death test ran in a child
}

} // namespace
} // namespace seastar
