// Large-allocation warnings: seastar::memory::set_large_allocation_warning_threshold (and
// the get/disable/scoped forms) with the reporter //seastar/util:memory_diagnostics
// installs: an allocation at or above the threshold logs one warning with its size and
// backtrace per call site; below it, or when disabled, nothing.
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>

#include "seastar/core/memory.hh"
#include "seastar/util/log.hh"
#include "gtest/gtest.h"

namespace seastar::memory {
namespace {

constexpr size_t threshold = 256 * 1024;

// Captures what the loggers write while it lives.
class log_capture {
    std::ostringstream _out;

public:
    log_capture() { logger::set_ostream(&_out); }
    ~log_capture() { logger::set_ostream(&std::cerr); }
    std::string text() const { return _out.str(); }
};

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) {
        ++n;
    }
    return n;
}

__attribute__((noinline)) void allocate_and_free(size_t size) {
    void* p = allocate(size);
    ASSERT_NE(p, nullptr);
    free(p);
}

__attribute__((noinline)) void another_call_site(size_t size) {
    void* p = allocate(size);
    ASSERT_NE(p, nullptr);
    free(p);
}

TEST(memory_diagnostics, threshold_is_per_thread_and_off_by_default) {
    EXPECT_EQ(get_large_allocation_warning_threshold(), SIZE_MAX);
    set_large_allocation_warning_threshold(threshold);
    EXPECT_EQ(get_large_allocation_warning_threshold(), threshold);
    {
        scoped_large_allocation_warning_disable off;
        EXPECT_EQ(get_large_allocation_warning_threshold(), SIZE_MAX);
        scoped_large_allocation_warning_threshold lower(threshold / 2);
        EXPECT_EQ(get_large_allocation_warning_threshold(), threshold / 2);
    }
    EXPECT_EQ(get_large_allocation_warning_threshold(), threshold);
    disable_large_allocation_warning();
    EXPECT_EQ(get_large_allocation_warning_threshold(), SIZE_MAX);
}

TEST(memory_diagnostics, large_allocations_warn_once_per_call_site) {
    log_capture log;
    set_large_allocation_warning_threshold(threshold);
    allocate_and_free(threshold - 1); // below: nothing
    EXPECT_EQ(log.text(), "");
    for (int i = 0; i < 3; ++i) {
        allocate_and_free(threshold); // at the threshold: one warning for the three
    }
    auto text = log.text();
    EXPECT_EQ(count(text, "oversized allocation"), 1u) << text;
    EXPECT_NE(text.find("oversized allocation: " + std::to_string(threshold) + " bytes"), std::string::npos) << text;
    EXPECT_NE(text.find("WARN"), std::string::npos) << text;
    EXPECT_NE(text.find("seastar_memory"), std::string::npos) << text;
    EXPECT_NE(text.find("allocated at:\n"), std::string::npos) << text; // the backtrace follows
    another_call_site(2 * threshold);                                   // another site warns too
    EXPECT_EQ(count(log.text(), "oversized allocation"), 2u) << log.text();
    EXPECT_NE(log.text().find(std::to_string(2 * threshold) + " bytes"), std::string::npos);
    // Aligned allocations are checked as well.
    void* p = allocate_aligned(4096, 3 * threshold);
    ASSERT_NE(p, nullptr);
    free(p);
    EXPECT_EQ(count(log.text(), "oversized allocation"), 3u) << log.text();
    disable_large_allocation_warning();
    another_call_site(4 * threshold);
    EXPECT_EQ(count(log.text(), "oversized allocation"), 3u) << log.text();
}

} // namespace
} // namespace seastar::memory
