// reactor_config: the settings a reactor starts with.
//
// app_template fills it from the command line (--task-quota-ms,
// --idle-poll-time-us, --poll-mode, --reactor-backend, ...); tests build one
// directly. A plain value: copy it freely; nothing here allocates beyond the
// backend name string.
//
//     seastar::reactor_config cfg;
//     cfg.backend = "epoll";
//     cfg.task_quota = std::chrono::microseconds(500);
#pragma once

#include <chrono>
#include <string>

namespace seastar {

struct reactor_config {
    // How long tasks run before pollers and timers get their turn; also what
    // need_preempt() measures.
    std::chrono::nanoseconds task_quota = std::chrono::microseconds(500);
    // How long an idle reactor keeps polling before it sleeps in its backend.
    std::chrono::nanoseconds idle_poll_time = std::chrono::microseconds(200);
    // Never sleep: poll continuously for the lowest wake-up latency (uses a core).
    bool poll_mode = false;
    // "epoll", "linux-aio", "io_uring"; empty: the best available, with fallback.
    std::string backend;
    // Queue depth of completion-based backends (linux-aio events, io_uring entries).
    unsigned backend_queue_depth = 1024;
    // Debug aid: run ready tasks in a random order (urgent tasks keep theirs)
    // so tests catch code that assumes an order the framework does not promise.
    bool shuffle_tasks = false;
    // Seed for shuffle_tasks (0: random).
    unsigned shuffle_seed = 0;
    // Stall reports for tasks running longer than this (used by the stall detector).
    std::chrono::milliseconds blocked_reactor_notify = std::chrono::milliseconds(25);
    // At most this many stall reports per minute (Seastar's --blocked-reactor-reports-per-minute).
    unsigned blocked_reactor_reports_per_minute = 5;
    // SIGINT and SIGTERM start an orderly shutdown (exit code 0).
    bool handle_sigint_sigterm = true;
    // Shard number, for log prefixes and engine().id().
    unsigned shard_id = 0;
};

} // namespace seastar
