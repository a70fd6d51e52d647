// reactor_stall_observer: the stall detector (internal/stall_detector.hh) attached to a
// reactor, so that a task running longer than reactor_config::blocked_reactor_notify
// (--blocked-reactor-notify-ms) is reported while it runs, and the shard carries on.
//
// The reactor calls start_task_run()/end_task_run() around each loop turn's batch of tasks
// (reactor::set_task_run_observer); this adapter forwards them to a cpu_stall_detector named
// "shard N". Reports go to stderr as one log line in the logger's format, followed by the
// backtrace, e.g.
//
//     WARN  2026-11-23 20:04:05,123 [shard 0] reactor - Reactor stalled for 52.1 ms on shard 0 (thread 4242),
//     threshold 25.0 ms. Backtrace:
//       #0  0x000055d0c1a2b3c4 in spin_for_a_while()
//       #1  0x000055d0c1a2b500 in handle_request(request&)
//
// Why not through the logger: the report is written from a signal handler on the stalled
// thread (the backtrace must be the stalled code's), where the logger (fmt, allocation,
// localtime_r, an ostream) may not run. The line is formatted here with async-signal-safe
// code and written with one writev(2) to fd 2, so it does not interleave with other lines.
// Consequences: logger::set_ostream() does not redirect it, and the local time offset
// (for the timestamp) is taken when the observer is made, so a daylight-saving change
// while the shard runs shifts the stamps of stall reports by that hour.
//
// Contract:
//   * Construct and destroy on the reactor's thread; one per reactor (and per thread:
//     cpu_stall_detector allows one per thread). The constructor attaches itself to the
//     reactor, the destructor detaches. It allocates and may throw what
//     cpu_stall_detector's constructor throws (std::invalid_argument for a zero threshold
//     or report rate, std::logic_error if the thread already has a detector).
//   * Rate limit: reactor_config::blocked_reactor_reports_per_minute reports per minute
//     (default 5, as Seastar); stalls beyond it are counted and the count is shown in the
//     next report.
//
//     seastar::reactor r(cfg);
//     seastar::internal::reactor_stall_observer stalls(r);
//     r.run(main);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "seastar/core/internal/stall_detector.hh"
#include "seastar/core/reactor.hh"

namespace seastar::internal {

class reactor_stall_observer final : public task_run_observer {
public:
    // `sink` replaces the stderr line writer (tests collect reports this way); it receives
    // the whole line, prefix included, from the signal handler: it must be
    // async-signal-safe.
    explicit reactor_stall_observer(reactor& r, stall_report_sink sink = nullptr, void* sink_arg = nullptr);
    ~reactor_stall_observer();
    reactor_stall_observer(const reactor_stall_observer&) = delete;
    reactor_stall_observer& operator=(const reactor_stall_observer&) = delete;

    void start_task_run(std::chrono::steady_clock::time_point now) noexcept override { _detector.start_task_run(now); }
    void end_task_run() noexcept override { _detector.end_task_run(); }

    const cpu_stall_detector& detector() const noexcept { return _detector; }

private:
    static void write_report(const char* text, std::size_t len, void* arg) noexcept;
    cpu_stall_detector_config detector_config(const reactor_config& cfg) noexcept;

    reactor& _reactor;
    stall_report_sink _sink;
    void* _sink_arg;
    unsigned _shard;
    std::int64_t _utc_offset_s;    // local time = UTC + this, sampled at construction
    std::unique_ptr<char[]> _line; // prefix + report, for a custom sink
    char _name[24];
    cpu_stall_detector _detector; // last: its reports use the members above
};

// Formats the logger's line prefix for a WARN line of the "reactor" logger on `shard` at
// `epoch_ns` (CLOCK_REALTIME) shifted by `utc_offset_s`, e.g.
// "WARN  2026-11-23 20:04:05,123 [shard 0] reactor - ". Async-signal-safe; writes at most
// `cap` bytes and returns how many it wrote. Exposed for tests.
std::size_t format_stall_line_prefix(char* buf, std::size_t cap, std::int64_t epoch_ns, std::int64_t utc_offset_s,
                                     unsigned shard) noexcept;

} // namespace seastar::internal
