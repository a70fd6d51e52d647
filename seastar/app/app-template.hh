// app_template: the main() of a program built on this framework.
//
// It parses the whole command line with Boost.Program_options (the framework's options
// below plus the program's own, added with add_options() / add_positional_options()),
// applies the logging options, starts the shards (smp::run: one reactor thread per
// selected CPU, shard 0 being the calling thread), runs the program's function on shard 0
// and returns its exit code once every shard has stopped. This is Seastar's app_template:
// the same names, options and behaviour, so Seastar programs port unchanged; as in
// Seastar, Boost.Program_options types appear in this header (the options API is theirs).
//
// Exit codes: the function's value (future<int>), 0 (future<>), or the code given to
// engine().exit() (run_deprecated). 1 when the function fails (the exception is logged),
// when the command line cannot be parsed or a value is out of range (one line on stderr
// saying which option and why, nothing started), or when start-up fails. --help prints
// every option, the framework's and the program's, and returns 1 without starting (as
// Seastar does); so does --help-loggers, with the loggers' names.
//
// Framework options (Seastar's spelling):
//   -c / --smp N                 shards (default: one per CPU the process may use)
//   -m / --memory SIZE           memory for all shards together (e.g. 2G); each shard gets an
//                                equal slice and an allocation beyond it runs the shard's
//                                reclaimers, then fails with std::bad_alloc
//   --reserve-memory SIZE        without --memory: leave this much of the machine's memory to
//                                the rest of the system (default: max(1.5G, 7%))
//   --cpuset LIST                CPUs to run on, e.g. 0-3,6 (shard 0 is pinned to the first)
//   --overprovisioned            share the CPU politely: no pinning, no idle spin
//   --poll-mode                  never sleep when idle (lowest latency, one busy core)
//   --idle-poll-time-us US       spin this long before sleeping when idle (default 200)
//   --task-quota-ms MS           how long tasks run before pollers and timers (default from
//                                config::default_task_quota: 0.5)
//   --reactor-backend NAME       epoll | linux-aio | io_uring (default: the best available)
//   --blocked-reactor-notify-ms MS  report a task running longer than this (default 25)
//   --blocked-reactor-reports-per-minute N  at most this many such reports (default 5)
//   --network-stack NAME         posix (default), or a stack the program links that registered
//                                itself (network_stack_registry.hh): native, with its options
//                                (--tap-device, --host-ipv4-addr, ..., and --dpdk-* with DPDK)
//   --shuffle-tasks              debug: run ready tasks in random order
//   --default-log-level LEVEL    error | warn | info | debug | trace (default info)
//   --logger-log-level NAME=LEVEL[:NAME=LEVEL...]  per logger; repeatable, ',' or ':' lists
//   --logger-stdout-timestamps none|boot|real
//   --logger-ostream-type none|stdout|stderr   where log lines go (default stderr)
//   --log-to-stdout 0|1          write log lines to the stream above (default 1)
//   --log-to-syslog 0|1          also send them to syslog (default 0)
//   --help-loggers               list the loggers by name and return 1
//   -h / --help                  list every option and return 1
//
// The memory options take effect when the process has not configured the allocator yet
// (the first run() of a process); the shard allocator serves malloc/new unless the build
// opts out (--define seastar_allocator=system, see //seastar/app:BUILD.bazel) or runs
// under a sanitizer, in which case -m only sizes the allocator's own entry points.
//
// Contract: construct and run on the thread that becomes shard 0; one run() at a time per
// process. run() and run_deprecated() catch everything. configuration() is valid from
// the moment the function starts until the app_template is destroyed.
//
//     int main(int ac, char** av) {
//         namespace bpo = boost::program_options;
//         seastar::app_template app;
//         app.add_options()("greeting", bpo::value<std::string>()->default_value("hello"), "what to say");
//         return app.run(ac, av, [&app] () -> seastar::future<int> {
//             auto& cfg = app.configuration();
//             std::cout << cfg["greeting"].as<std::string>() << "\n";
//             co_return 0;
//         });
//     }
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "seastar/core/future.hh"
#include "seastar/core/reactor_config.hh"

namespace seastar {

class app_template {
public:
    struct config {
        // Shown by --help and in start-up errors.
        std::string name = "App";
        std::string description = "";
        // The --task-quota-ms default.
        std::chrono::duration<double> default_task_quota = std::chrono::microseconds(500);
        // SIGINT and SIGTERM stop the program (engine().exit(0)); false leaves them to the
        // program (engine().handle_signal()).
        bool auto_handle_sigint_sigterm = true;
        // For programs made to share the machine with what they measure (load
        // generators): the number of shards when neither --smp nor --cpuset is
        // given (0: one per CPU the process may use), and whether the shards behave as with
        // --overprovisioned (not pinned, no idle spin) unless --cpuset or
        // --poll-mode asks for dedicated cores.
        unsigned default_smp = 0;
        bool default_overprovisioned = false;
    };

    // A positional argument: its name (also the option it fills), how its value is parsed,
    // its --help text, and how many positions it takes (-1: all that remain).
    struct positional_option {
        const char* name;
        const boost::program_options::value_semantic* value_semantic;
        const char* help;
        int max_count;
    };

    app_template();
    explicit app_template(config cfg);
    ~app_template();

    const config& get_config() const noexcept { return _cfg; }

    // The program's options (Boost.Program_options syntax); listed by --help under the
    // program's name, beside the framework's.
    boost::program_options::options_description& get_options_description() { return _app_opts; }
    boost::program_options::options_description_easy_init add_options();
    void add_positional_options(std::initializer_list<positional_option> options);

    // The parsed command line: framework and program options, defaults included.
    boost::program_options::variables_map& configuration() { return _configuration; }

    int run(int ac, char** av, std::function<future<int>()>&& func) noexcept;
    int run(int ac, char** av, std::function<future<>()>&& func) noexcept;
    // Runs `func` on shard 0 once the shards are up; the program keeps running until
    // something calls engine().exit(code) (or a signal), and `code` is the exit code.
    int run_deprecated(int ac, char** av, std::function<void()>&& func) noexcept;

    // The reactor settings the last run() used (what the command line asked for).
    const reactor_config& reactor_configuration() const noexcept { return _reactor_cfg; }

private:
    config _cfg;
    boost::program_options::options_description _app_opts;
    boost::program_options::options_description _seastar_opts;
    boost::program_options::positional_options_description _positional;
    boost::program_options::variables_map _configuration;
    reactor_config _reactor_cfg;
};

namespace internal {
// Parses "1G", "512M", "4096" (bytes), K/M/G/T binary suffixes; throws std::invalid_argument.
size_t parse_memory_size(const std::string& s);
} // namespace internal

} // namespace seastar
