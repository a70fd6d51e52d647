#include "seastar/core/internal/reactor_stall_observer.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/testing/program_args.hh"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STALL_OBSERVER_TEST_TSAN 1
#endif
#endif

namespace seastar::internal {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Generous: the watchdog thread may be descheduled on a busy machine and sanitizers slow
// everything down. A spin ends as soon as its report is there.
constexpr int spin_limit_factor = 40;

// The stalling code, whose name the report must show. It spins inside one task.
template <typename Done>
[[gnu::noinline]] std::uint64_t stall_observer_test_spin(std::chrono::nanoseconds limit, Done done) {
    volatile std::uint64_t work = 0;
    auto until = clock_type::now() + limit;
    while (!done() && clock_type::now() < until) {
        for (int i = 0; i < 10000; ++i) {
            work = work + 1;
        }
    }
    return work;
}

// Collects reports from the signal handler (no allocation, no locks).
struct collected {
    static constexpr std::size_t cap = 128 * 1024;
    char buf[cap];
    std::atomic<std::size_t> len{0};
    std::atomic<int> count{0};

    static void sink(const char* text, std::size_t n, void* arg) noexcept {
        auto self = static_cast<collected*>(arg);
        auto at = self->len.load(std::memory_order_relaxed);
        n = std::min(n, cap - at);
        std::memcpy(self->buf + at, text, n);
        self->len.store(at + n, std::memory_order_relaxed);
        self->count.fetch_add(1, std::memory_order_release);
    }
    std::string text() const { return std::string(buf, len.load(std::memory_order_acquire)); }
};

// Sends fd 2 to a temporary file (so that the test can watch it grow) until stop().
class stderr_capture {
    int _saved = -1;
    int _fd = -1;

public:
    stderr_capture() {
        std::string path = ::testing::TempDir() + "stall_observer_stderr_XXXXXX";
        _fd = ::mkstemp(path.data());
        EXPECT_GE(_fd, 0);
        ::unlink(path.c_str());
        _saved = ::dup(2);
        ::dup2(_fd, 2);
    }
    ~stderr_capture() { stop(); }
    off_t size() const {
        struct stat st;
        return ::fstat(_fd, &st) == 0 ? st.st_size : 0;
    }
    // Restores stderr and returns what was written.
    std::string stop() {
        if (_saved < 0) {
            return {};
        }
        ::dup2(_saved, 2);
        ::close(_saved);
        _saved = -1;
        std::string out(size_t(size()), '\0');
        auto n = ::pread(_fd, out.data(), out.size(), 0);
        out.resize(n > 0 ? size_t(n) : 0);
        ::close(_fd);
        return out;
    }
};

// "WARN  2026-11-23 20:04:05,123 [shard 0] reactor - Reactor stalled for 52.1 ms on shard 0 (thread 42), threshold"
const std::regex
    report_line(R"(WARN  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[shard (\d+)\] reactor - )"
                R"(Reactor stalled for (\d+\.\d) ms on shard (\d+) \(thread \d+\), threshold (\d+\.\d) ms)");

// The stall duration of the first report in `text`, -1 if there is none.
double first_report_ms(const std::string& text, unsigned shard) {
    std::smatch m;
    if (!std::regex_search(text, m, report_line)) {
        return -1;
    }
    EXPECT_EQ(m[1].str(), std::to_string(shard));
    EXPECT_EQ(m[3].str(), std::to_string(shard));
    return std::strtod(m[2].str().c_str(), nullptr);
}

std::string expected_prefix(std::int64_t epoch_s, int ms, std::int64_t offset_s, unsigned shard) {
    time_t t = time_t(epoch_s + offset_s);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[64];
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    char ms_text[8];
    std::snprintf(ms_text, sizeof(ms_text), "%03d", ms);
    return std::string("WARN  ") + stamp + "," + ms_text + " [shard " + std::to_string(shard) + "] reactor - ";
}

TEST(reactor_stall_observer, line_prefix_matches_the_logger_layout_and_calendar) {
    struct sample {
        std::int64_t epoch_s;
        int ms;
        std::int64_t offset_s;
        unsigned shard;
    };
    for (auto s : std::vector<sample>{
             {0, 0, 0, 0},
             {951782400, 5, 0, 1},          // 2000-02-29, a leap day of a century year
             {951868799, 999, 0, 2},        // 2000-02-29 23:59:59
             {4107542400, 42, 0, 3},        // 2100-03-01, after the skipped leap day of 2100
             {1700000000, 123, 19800, 12},  // +05:30
             {1700000000, 123, -28800, 7},  // -08:00
             {1704067199, 500, 3600, 0},    // 2023-12-31 23:59:59 UTC: the next year in +01:00
             {1704067200, 1, -3600, 65535}, // 2024-01-01 00:00 UTC: the previous year in -01:00
         }) {
        char buf[128];
        auto n = format_stall_line_prefix(buf, sizeof(buf), s.epoch_s * 1'000'000'000 + s.ms * 1'000'000 + 999,
                                          s.offset_s, s.shard);
        EXPECT_EQ(std::string(buf, n), expected_prefix(s.epoch_s, s.ms, s.offset_s, s.shard)) << s.epoch_s;
    }
    // Never writes past its buffer.
    char small[10];
    EXPECT_EQ(format_stall_line_prefix(small, sizeof(small), 0, 0, 0), sizeof(small));
}

reactor_config test_reactor_config(std::chrono::milliseconds threshold) {
    reactor_config cfg;
    cfg.blocked_reactor_notify = threshold;
    cfg.handle_sigint_sigterm = false;
    return cfg;
}

TEST(reactor_stall_observer, reports_a_spinning_task_in_a_running_reactor_which_carries_on) {
    static collected reports;
    const auto threshold = 20ms;
    reactor r(test_reactor_config(threshold));
    reactor_stall_observer observer(r, &collected::sink, &reports);
    bool after_stall = false;
    int code = r.run([&]() -> future<int> {
        // Up to three reports (at 1x, 2x, 4x the threshold): a signal that lands inside
        // vDSO clock_gettime, which keeps no frame pointer, hides the spinning frame from
        // that one backtrace (see stall_detector.hh), so one report alone may miss it.
        stall_observer_test_spin(threshold * spin_limit_factor, [&] { return reports.count.load() >= 3; });
        // The shard was not killed: it runs more tasks and timers.
        co_await sleep(1ms);
        after_stall = true;
        co_return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_TRUE(after_stall);
    ASSERT_GE(reports.count.load(), 1) << "no report while spinning " << spin_limit_factor << "x the threshold";
    EXPECT_EQ(observer.detector().reports(), std::uint64_t(reports.count.load()));
    auto text = reports.text();
    EXPECT_GE(first_report_ms(text, 0), 20.0) << text;
    EXPECT_NE(text.find("threshold 20.0 ms"), std::string::npos) << text;
    EXPECT_NE(text.find("Backtrace:\n  #0  0x"), std::string::npos) << text;
#ifndef STALL_OBSERVER_TEST_TSAN
    EXPECT_NE(text.find("stall_observer_test_spin"), std::string::npos) << text;
#else
    // ThreadSanitizer delivers the signal late, from inside its runtime, which has no
    // frame pointers to unwind through (see stall_detector_test.cc).
#endif
}

TEST(reactor_stall_observer, detaches_from_the_reactor_when_destroyed) {
    static collected reports;
    reactor r(test_reactor_config(10ms));
    {
        reactor_stall_observer observer(r, &collected::sink, &reports);
    }
    int code = r.run([&]() -> future<int> {
        stall_observer_test_spin(100ms, [] { return false; });
        co_return 3;
    });
    EXPECT_EQ(code, 3);
    EXPECT_EQ(reports.count.load(), 0);
}

// The command line of a test program named after the test.
struct args : testing::program_args {
    explicit args(std::vector<std::string> a) : program_args("reactor_stall_observer_test", std::move(a)) {}
};

int run_app(std::vector<std::string> a, std::function<future<int>()> f, app_template* app_out = nullptr) {
    args ar(std::move(a));
    app_template local;
    auto& app = app_out ? *app_out : local;
    return app.run(ar.ac(), ar.av(), std::move(f));
}

TEST(reactor_stall_observer, app_template_reports_stalls_on_stderr_and_the_program_exits_0) {
    stderr_capture capture;
    app_template app;
    int code = run_app(
        {"--blocked-reactor-notify-ms=20", "--blocked-reactor-reports-per-minute=3"},
        [&]() -> future<int> {
            const auto before = capture.size();
            stall_observer_test_spin(20ms * spin_limit_factor, [&] { return capture.size() > before; });
            co_await sleep(1ms);
            co_return 0;
        },
        &app);
    auto err = capture.stop();
    EXPECT_EQ(code, 0);
    EXPECT_EQ(app.reactor_configuration().blocked_reactor_reports_per_minute, 3u);
    EXPECT_GE(first_report_ms(err, 0), 20.0) << err;
    // One line starts each report, at the start of a line.
    EXPECT_TRUE(err.rfind("WARN  ", 0) == 0 || err.find("\nWARN  ") != std::string::npos) << err;
    EXPECT_NE(err.find("threshold 20.0 ms"), std::string::npos) << err;
#ifndef STALL_OBSERVER_TEST_TSAN
    EXPECT_NE(err.find("stall_observer_test_spin"), std::string::npos) << err;
#endif
}

TEST(reactor_stall_observer, app_template_is_quiet_without_stalls) {
    stderr_capture capture;
    int code = run_app({"--blocked-reactor-notify-ms=2000"}, []() -> future<int> {
        co_await sleep(1ms);
        co_return 0;
    });
    auto err = capture.stop();
    EXPECT_EQ(code, 0);
    EXPECT_EQ(err.find("stalled"), std::string::npos) << err;
}

TEST(reactor_stall_observer, app_template_rejects_a_zero_report_rate) {
    stderr_capture capture;
    bool ran = false;
    int code = run_app({"--blocked-reactor-reports-per-minute=0"}, [&] {
        ran = true;
        return make_ready_future<int>(0);
    });
    auto err = capture.stop();
    EXPECT_EQ(code, 1);
    EXPECT_FALSE(ran);
    EXPECT_NE(err.find("--blocked-reactor-reports-per-minute must be in [1, 1000000]"), std::string::npos) << err;
}

} // namespace
} // namespace seastar::internal
