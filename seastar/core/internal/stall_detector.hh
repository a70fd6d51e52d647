// CPU stall detector: reports, while it is still running, a task that has run
// longer than a threshold (Seastar's --blocked-reactor-notify-ms), with a
// symbolized backtrace of where it is, without stopping it.
//
// How it works (and why):
//   * The shard's loop calls start_task_run(now) before it runs a task (or a
//     batch of tasks) and end_task_run() after. Both are a few plain atomic
//     stores on the shard's own cache line: no system call, no lock, no
//     read-modify-write. The loop already reads the clock for its task quota,
//     so it passes `now` in.
//   * One process-wide watchdog thread wakes every threshold/4 (at least every
//     100 ms, at most every 1 ms), and for each detector checks whether the
//     same run has been going on for longer than its next report point. Report
//     points are threshold, 2x, 4x, ... of the same run. When one is passed,
//     and the rate limit allows, it sends the stall signal to the stalled
//     thread itself (tgkill).
//   * The signal handler runs on the stalled thread, on the stalled code's own
//     stack, so the backtrace it takes (absl::GetStackTrace, frame pointers) is
//     the stalled code's. It symbolizes with absl::Symbolize and formats with
//     its own code; everything in the handler is async-signal-safe. Then the
//     interrupted code continues: the shard is not killed.
//   A per-thread POSIX timer (SIGEV_THREAD_ID) would avoid the watchdog thread
//   but has to be re-armed with a system call at each task run (or batch), and
//   the signal would interrupt the shard's system calls even when nothing
//   stalls. With the watchdog, a shard sees a signal only when it is stalled.
//
// Contract:
//   * A detector belongs to the thread that constructed it: construct,
//     start_task_run/end_task_run and destroy it on that thread only. Up to one
//     detector per thread.
//   * The constructor allocates, may start the watchdog thread and installs
//     the handler of stall_signal() (process-wide, SA_RESTART); it throws
//     std::invalid_argument for a zero threshold or report limit and
//     std::system_error if the handler cannot be installed.
//   * start_task_run / end_task_run are noexcept and allocation-free.
//   * The sink receives each report as text ending in a newline, on the stalled
//     thread, from the signal handler: it must be async-signal-safe. The
//     default writes it to stderr with write(2).
//   * Rate limiting: at most `max_reports_per_window` reports per
//     `report_window` (default 5 per minute, like Seastar's
//     --blocked-reactor-reports-per-minute); stalls past the limit are counted
//     and the count is printed in the next report.
//
// Example (what a reactor's loop does):
//
//     seastar::internal::cpu_stall_detector_config cfg;
//     cfg.threshold = std::chrono::milliseconds(opts.blocked_reactor_notify_ms);
//     cfg.name = "shard 0";
//     seastar::internal::cpu_stall_detector detector(cfg);
//     for (;;) {
//         detector.start_task_run(std::chrono::steady_clock::now());
//         run_some_tasks();
//         detector.end_task_run();
//         poll_and_sleep();
//     }
//
// A report looks like:
//
//     Reactor stalled for 52 ms on shard 0 (thread 4242), threshold 25 ms; 3 reports suppressed. Backtrace:
//       #0  0x000055d0c1a2b3c4 in spin_for_a_while()
//       #1  0x000055d0c1a2b500 in handle_request(request&)
//       ...
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace seastar::internal {

// Receives one report (not NUL-terminated). Called from a signal handler.
using stall_report_sink = void (*)(const char* text, std::size_t len, void* arg) noexcept;

struct cpu_stall_detector_config {
    // A run longer than this is reported (Seastar: --blocked-reactor-notify-ms).
    std::chrono::nanoseconds threshold = std::chrono::milliseconds(25);
    // Rate limit (Seastar: --blocked-reactor-reports-per-minute).
    unsigned max_reports_per_window = 5;
    std::chrono::nanoseconds report_window = std::chrono::minutes(1);
    // How many frames a report shows at most.
    unsigned max_frames = 32;
    // Names the thread in reports (e.g. "shard 3"); at most 31 characters are kept.
    const char* name = "shard";
    // nullptr: write to stderr.
    stall_report_sink sink = nullptr;
    void* sink_arg = nullptr;
};

// The real-time signal the detector uses (SIGRTMIN + 1); the rest of the
// process must leave it alone.
int stall_signal() noexcept;

class cpu_stall_detector {
public:
    explicit cpu_stall_detector(const cpu_stall_detector_config& cfg = {});
    ~cpu_stall_detector();
    cpu_stall_detector(const cpu_stall_detector&) = delete;
    cpu_stall_detector& operator=(const cpu_stall_detector&) = delete;

    // A task (or a batch of tasks) starts running now. `now` is from steady_clock.
    void start_task_run(std::chrono::steady_clock::time_point now) noexcept {
        _run_started_ns.store(now.time_since_epoch().count(), std::memory_order_relaxed);
        // Odd: a run is in progress. Release: the watchdog that sees the new
        // sequence number sees the start time that goes with it.
        _seq.store(_seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    // The run that start_task_run() began is over.
    void end_task_run() noexcept { _seq.store(_seq.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

    // Reports written, and stalls not reported because of the rate limit.
    std::uint64_t reports() const noexcept { return _reports.load(std::memory_order_relaxed); }
    std::uint64_t suppressed() const noexcept { return _suppressed_total.load(std::memory_order_relaxed); }

    std::chrono::nanoseconds threshold() const noexcept { return _cfg.threshold; }

private:
    friend struct stall_detector_access;

    // Written by the owner thread only.
    alignas(64) std::atomic<std::uint64_t> _seq{0};
    std::atomic<std::int64_t> _run_started_ns{0};

    // Set by the watchdog before it signals; read by the handler.
    alignas(64) std::atomic<std::uint64_t> _signalled_seq{0};
    std::atomic<std::int64_t> _signalled_started_ns{0};

    // Watchdog state (guarded by the watchdog's registry mutex).
    std::uint64_t _watched_seq = 0;
    std::int64_t _next_report_ns = 0; // run length at which to report next
    std::int64_t _window_start_ns = 0;
    unsigned _reports_in_window = 0;
    std::atomic<std::uint64_t> _suppressed_pending{0}; // shown in the next report

    std::atomic<std::uint64_t> _reports{0};
    std::atomic<std::uint64_t> _suppressed_total{0};

    cpu_stall_detector_config _cfg;
    char _name[32];
    int _tid;
};

} // namespace seastar::internal
