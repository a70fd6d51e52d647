// app_template: the main() of a program built on this framework.
//
// It parses the command line with Abseil flags (the framework's own flags
// below plus every ABSL_FLAG the program defines), starts a reactor on the
// calling thread, runs the program's main function as the first task and
// returns its exit code once the reactor has shut down. A failed main future
// is reported (logged, with the exception's message) and gives exit code 1;
// an unusable command line prints why and gives 1; --help prints usage and
// gives 1 (as in Seastar).
//
// Framework flags (dashes and underscores are interchangeable):
//   --smp N                      shards (default: one per CPU the process may use)
//   -m / --memory SIZE           memory for the shards (e.g. 2G); checked, enforced by the memory layer
//   --reactor-backend NAME       epoll | linux-aio | io_uring (default: the best available)
//   --task-quota-ms MS           task quota (default 0.5)
//   --idle-poll-time-us US       spin before sleeping when idle (default 200)
//   --poll-mode                  never sleep (lowest latency, one busy core)
//   --blocked-reactor-notify-ms  report a task running longer than this, while it runs, with a
//                                backtrace, on stderr (default 25; see internal/reactor_stall_observer.hh)
//   --blocked-reactor-reports-per-minute  at most this many such reports per minute (default 5)
//   --cpuset LIST                CPUs to run on, e.g. 0-3,6 (shard 0 is pinned to the first)
//   --overprovisioned            share the CPU politely: no pinning, no idle spin
//   --shuffle-tasks              debug: run ready tasks in random order
//
// Contract: construct and run on the thread that becomes shard 0; one run()
// at a time per process (flags are global). run() catches everything.
//
//     int main(int ac, char** av) {
//         seastar::app_template app;
//         return app.run(ac, av, [] () -> seastar::future<int> {
//             co_await seastar::sleep(std::chrono::seconds(1));
//             co_return 0;
//         });
//     }
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/reactor_config.hh"

namespace seastar {

class app_template {
public:
    struct config {
        std::string name = "App";
        std::string description;
    };

    app_template();
    explicit app_template(config cfg);

    int run(int ac, char** av, std::function<future<int>()>&& func) noexcept;
    int run(int ac, char** av, std::function<future<>()>&& func) noexcept;

    // Arguments that were not flags (after a successful parse).
    const std::vector<std::string>& positional_args() const noexcept { return _positional; }
    // The reactor configuration the last run() used.
    const reactor_config& reactor_configuration() const noexcept { return _reactor_cfg; }

private:
    config _cfg;
    std::vector<std::string> _positional;
    reactor_config _reactor_cfg;
};

namespace internal {
// Parses "1G", "512M", "4096" (bytes); throws std::invalid_argument.
size_t parse_memory_size(const std::string& s);
// Rewrites "--task-quota-ms=1" to "--task_quota_ms=1" and "-m" to "--memory",
// up to a "--" argument.
std::vector<std::string> normalize_flag_names(int ac, char** av);
} // namespace internal

} // namespace seastar
