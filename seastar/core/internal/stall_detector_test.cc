#include "seastar/core/internal/stall_detector.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STALL_TEST_TSAN 1
#endif
#endif

namespace seastar::internal {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Collects reports; written from the signal handler (async-signal-safe: no
// allocation, no locks), read by the test after the stall.
struct collected_reports {
    static constexpr std::size_t cap = 256 * 1024;
    char buf[cap];
    std::atomic<std::size_t> len{0};
    std::atomic<int> count{0};

    static void sink(const char* text, std::size_t n, void* arg) noexcept {
        auto self = static_cast<collected_reports*>(arg);
        auto at = self->len.load(std::memory_order_relaxed);
        n = std::min(n, cap - at - 1);
        std::memcpy(self->buf + at, text, n);
        self->buf[at + n] = '\x1e'; // record separator
        self->len.store(at + n + 1, std::memory_order_relaxed);
        self->count.fetch_add(1, std::memory_order_release);
    }
    std::vector<std::string> reports() const {
        std::vector<std::string> out;
        std::string all(buf, len.load(std::memory_order_acquire));
        std::size_t pos = 0;
        while (pos < all.size()) {
            auto end = all.find('\x1e', pos);
            out.push_back(all.substr(pos, end - pos));
            pos = end + 1;
        }
        return out;
    }
};

cpu_stall_detector_config config_for(collected_reports& r, std::chrono::nanoseconds threshold) {
    cpu_stall_detector_config cfg;
    cfg.threshold = threshold;
    cfg.name = "test shard";
    cfg.sink = &collected_reports::sink;
    cfg.sink_arg = &r;
    return cfg;
}

// The code that stalls: it spins (inside one task run) until `done()` says so
// or `limit` has passed. The name is what the reports must show.
template <typename Done>
[[gnu::noinline]] std::uint64_t stall_test_spinning_function(std::chrono::nanoseconds limit, Done done) {
    volatile std::uint64_t work = 0;
    auto until = clock_type::now() + limit;
    while (!done() && clock_type::now() < until) {
        // Mostly here, rather than in the clock's code (which may have no
        // frame pointer to unwind through).
        for (int i = 0; i < 10000; ++i) {
            work = work + 1;
        }
    }
    return work;
}

// Generous: the watchdog may be descheduled on a busy machine, and sanitizers
// slow everything down. Only "a report appeared before this" is asserted.
constexpr auto spin_limit_factor = 40;

// Parses the "stalled for N.N ms" of a report, in ms.
double reported_ms(const std::string& report) {
    auto at = report.find("stalled for ");
    if (at == std::string::npos) {
        return -1;
    }
    return std::strtod(report.c_str() + at + std::strlen("stalled for "), nullptr);
}

TEST(cpu_stall_detector, reports_a_long_task_while_it_runs_with_its_backtrace) {
    static collected_reports r;
    const auto threshold = 50ms;
    cpu_stall_detector d(config_for(r, threshold));
    d.start_task_run(clock_type::now());
    // Three reports (at 1x, 2x and 4x the threshold): each is a sample of
    // where the code is; one landing in a frame-pointer-less libc or vDSO
    // function may miss its caller.
    stall_test_spinning_function(threshold * spin_limit_factor, [&] { return r.count.load() >= 3; });
    d.end_task_run();

    ASSERT_GE(r.count.load(), 1) << "no report while spinning for " << spin_limit_factor << "x the threshold";
    EXPECT_EQ(d.reports(), std::uint64_t(r.count.load()));
    auto reports = r.reports();
    ASSERT_FALSE(reports.empty());
    const auto& first = reports[0];
    EXPECT_NE(first.find("Reactor stalled for "), std::string::npos) << first;
    EXPECT_GE(reported_ms(first), 50.0) << first;
    EXPECT_NE(first.find("on test shard (thread "), std::string::npos) << first;
    EXPECT_NE(first.find("threshold 50.0 ms"), std::string::npos) << first;
    EXPECT_NE(first.find("Backtrace:"), std::string::npos) << first;
    EXPECT_NE(first.find("  #0  0x"), std::string::npos) << first;
    EXPECT_EQ(first.back(), '\n');
#ifndef STALL_TEST_TSAN
    bool named = false;
    for (auto& rep : reports) {
        named = named || rep.find("stall_test_spinning_function") != std::string::npos;
    }
    EXPECT_TRUE(named) << first;
#else
    // ThreadSanitizer runs a signal handler late, from its next interceptor,
    // and the stalled code is then mostly inside tsan's runtime, which has no
    // frame pointers to unwind through: the backtrace stops there.
#endif
}

TEST(cpu_stall_detector, reports_again_as_the_same_stall_goes_on) {
    static collected_reports r;
    const auto threshold = 30ms;
    cpu_stall_detector d(config_for(r, threshold));
    d.start_task_run(clock_type::now());
    stall_test_spinning_function(threshold * spin_limit_factor * 2, [&] { return r.count.load() >= 2; });
    d.end_task_run();
    ASSERT_GE(r.count.load(), 2);
    auto reports = r.reports();
    // Report points are threshold, 2x, 4x...: the second one is at least 2x.
    EXPECT_GE(reported_ms(reports[1]), 60.0) << reports[1];
    EXPECT_GT(reported_ms(reports[1]), reported_ms(reports[0]));
}

TEST(cpu_stall_detector, short_tasks_are_not_reported) {
    static collected_reports r;
    cpu_stall_detector d(config_for(r, 2s));
    for (int i = 0; i < 20; ++i) {
        d.start_task_run(clock_type::now());
        stall_test_spinning_function(1ms, [] { return false; });
        d.end_task_run();
    }
    // Idle time between runs is not a stall either.
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(r.count.load(), 0);
    EXPECT_EQ(d.reports(), 0u);
    EXPECT_EQ(d.suppressed(), 0u);
}

TEST(cpu_stall_detector, rate_limit_caps_reports_and_counts_the_rest) {
    static collected_reports r;
    const auto threshold = 10ms;
    auto cfg = config_for(r, threshold);
    cfg.max_reports_per_window = 2;
    cfg.report_window = 1h;
    cpu_stall_detector d(cfg);
    // Several stalls in a row: only two may be reported.
    for (int stall = 0; stall < 5; ++stall) {
        auto before = r.count.load() + d.suppressed();
        d.start_task_run(clock_type::now());
        stall_test_spinning_function(threshold * spin_limit_factor,
                                     [&] { return r.count.load() + d.suppressed() > before; });
        d.end_task_run();
    }
    EXPECT_EQ(r.count.load(), 2);
    EXPECT_EQ(d.reports(), 2u);
    EXPECT_GE(d.suppressed(), 1u);
    // The thread was not killed and carries on.
    d.start_task_run(clock_type::now());
    d.end_task_run();
}

TEST(cpu_stall_detector, next_window_report_says_how_many_were_suppressed) {
    static collected_reports r;
    const auto threshold = 10ms;
    auto cfg = config_for(r, threshold);
    cfg.max_reports_per_window = 1;
    cfg.report_window = threshold * 50;
    cpu_stall_detector d(cfg);
    d.start_task_run(clock_type::now());
    // First report, then (same window) suppressed ones, until the window
    // rolls over and a report with the count arrives.
    stall_test_spinning_function(cfg.report_window * 20, [&] { return r.count.load() >= 2; });
    d.end_task_run();
    ASSERT_GE(r.count.load(), 2);
    ASSERT_GE(d.suppressed(), 1u);
    // The count of suppressed stalls shows up in a later report (the first
    // one, if its signal arrived after the watchdog suppressed the next point).
    bool counted = false;
    for (auto& rep : r.reports()) {
        counted = counted || rep.find("suppressed since the last one") != std::string::npos;
    }
    EXPECT_TRUE(counted) << r.reports()[1];
}

TEST(cpu_stall_detector, detectors_on_two_threads_report_their_own_stalls) {
    static collected_reports r1;
    static collected_reports r2;
    const auto threshold = 40ms;
    std::thread other([&] {
        auto cfg = config_for(r2, threshold);
        cfg.name = "other shard";
        cpu_stall_detector d(cfg);
        d.start_task_run(clock_type::now());
        stall_test_spinning_function(threshold * spin_limit_factor, [&] { return r2.count.load() >= 1; });
        d.end_task_run();
    });
    {
        cpu_stall_detector d(config_for(r1, threshold));
        d.start_task_run(clock_type::now());
        stall_test_spinning_function(threshold * spin_limit_factor, [&] { return r1.count.load() >= 1; });
        d.end_task_run();
    }
    other.join();
    ASSERT_GE(r1.count.load(), 1);
    ASSERT_GE(r2.count.load(), 1);
    EXPECT_NE(r1.reports()[0].find("on test shard"), std::string::npos);
    EXPECT_NE(r2.reports()[0].find("on other shard"), std::string::npos);
}

TEST(cpu_stall_detector, rejects_bad_configuration) {
    cpu_stall_detector_config cfg;
    cfg.threshold = 0ms;
    EXPECT_THROW(cpu_stall_detector{cfg}, std::invalid_argument);
    cfg.threshold = 10ms;
    cfg.max_reports_per_window = 0;
    EXPECT_THROW(cpu_stall_detector{cfg}, std::invalid_argument);
    cfg.max_reports_per_window = 1;
    cpu_stall_detector d(cfg);
    // One per thread.
    EXPECT_THROW(cpu_stall_detector{cfg}, std::logic_error);
}

} // namespace
} // namespace seastar::internal
