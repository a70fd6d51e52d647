#include "seastar/core/app-template.hh"

#include <unistd.h>

#include <chrono>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <typeinfo>

#include <fmt/format.h>

#include "seastar/core/app_options_registry.hh"
#include "seastar/core/network_stack_registry.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/memory/memory.hh"
#include "seastar/smp/internal/topology.hh"
#include "seastar/util/log.hh"

namespace seastar {

namespace bpo = boost::program_options;

namespace {

logger app_log("app");
// Seastar's own logger name for reports of the framework itself.
logger seastar_log("seastar");

// What a failed future that nobody looked at becomes: one warning through the logger,
// so it carries the shard prefix and obeys the logging options.
void log_abandoned_failed_future(const std::exception_ptr& ex) noexcept {
    try {
        std::rethrow_exception(ex);
    } catch (const std::exception& e) {
        seastar_log.warn("Exceptional future ignored: {} ({})", e.what(), typeid(e).name());
    } catch (...) {
        seastar_log.warn("Exceptional future ignored: unknown exception");
    }
}

// Installs the logging report for the lifetime of a run.
class abandoned_future_report {
    abandoned_failed_future_handler _prev;

public:
    abandoned_future_report() noexcept : _prev(set_abandoned_failed_future_handler(&log_abandoned_failed_future)) {}
    ~abandoned_future_report() { set_abandoned_failed_future_handler(_prev); }
};

// Restores the logging configuration a run changed (levels, outputs), so that runs in one
// process do not leak settings into each other.
class logging_restore {
    logging_settings _saved;

public:
    logging_restore() : _saved(current_logging_settings()) {}
    ~logging_restore() {
        try {
            apply_logging_settings(_saved);
        } catch (...) {
        }
    }
};

template <typename T>
T get_or(const bpo::variables_map& vm, const char* name, T def) {
    auto it = vm.find(name);
    return it == vm.end() || it->second.empty() ? def : it->second.as<T>();
}

logging_settings logging_settings_from(const bpo::variables_map& vm) {
    logging_settings s;
    s.default_level = parse_log_level(get_or<std::string>(vm, "default-log-level", "info"));
    for (auto& item : get_or<std::vector<std::string>>(vm, "logger-log-level", {})) {
        for (auto& [name, level] : internal::parse_logger_level_assignments(item)) {
            s.logger_levels[name] = level;
        }
    }
    s.stdout_enabled = get_or<bool>(vm, "log-to-stdout", true);
    s.syslog_enabled = get_or<bool>(vm, "log-to-syslog", false);
    s.stdout_timestamp_style =
        parse_logger_timestamp_style(get_or<std::string>(vm, "logger-stdout-timestamps", "real"));
    s.logger_ostream = parse_logger_ostream_type(get_or<std::string>(vm, "logger-ostream-type", "stderr"));
    return s;
}

size_t physical_memory() noexcept {
    auto pages = ::sysconf(_SC_PHYS_PAGES);
    auto page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? size_t(pages) * size_t(page) : 0;
}

} // namespace

namespace internal {

size_t parse_memory_size(const std::string& s) {
    size_t pos = 0;
    unsigned long long v;
    if (s.empty() || s[0] == '-' || s[0] == '+') {
        throw std::invalid_argument("bad memory size '" + s + "'");
    }
    try {
        v = std::stoull(s, &pos);
    } catch (...) {
        throw std::invalid_argument("bad memory size '" + s + "'");
    }
    std::string suffix = s.substr(pos);
    unsigned shift = 0;
    if (suffix.empty() || suffix == "B") {
        shift = 0;
    } else if (suffix == "K" || suffix == "k") {
        shift = 10;
    } else if (suffix == "M") {
        shift = 20;
    } else if (suffix == "G") {
        shift = 30;
    } else if (suffix == "T") {
        shift = 40;
    } else {
        throw std::invalid_argument("bad memory size '" + s + "' (use a number with K, M, G or T)");
    }
    if (shift && v > (~0ull >> shift)) {
        throw std::invalid_argument("memory size '" + s + "' is too large");
    }
    return size_t(v << shift);
}

} // namespace internal

app_template::app_template() : app_template(config()) {}

app_template::app_template(config cfg)
    : _cfg(std::move(cfg)), _app_opts(_cfg.name + " options"), _seastar_opts("Seastar options") {
    double quota_ms = std::chrono::duration<double, std::milli>(_cfg.default_task_quota).count();
    // clang-format off
    _seastar_opts.add_options()
        ("help,h", "show this help and exit")
        ("help-loggers", "print the names of the loggers and exit")
        ("smp,c", bpo::value<unsigned>(), "number of shards (threads); default: one per CPU the process may use")
        ("memory,m", bpo::value<std::string>(), "memory for all shards together, e.g. 2G (default: all but --reserve-memory)")
        ("reserve-memory", bpo::value<std::string>(),
         "memory left to the system when --memory is not given, e.g. 2G (default: max(1.5G, 7%))")
        ("cpuset", bpo::value<std::string>(), "CPUs to run on, in cpuset(7) list format, e.g. 0-3,6 (default: all allowed)")
        ("overprovisioned", bpo::bool_switch(), "the machine is shared: do not pin threads or spin when idle")
        ("poll-mode", bpo::bool_switch(), "poll continuously instead of sleeping when idle (uses a whole core)")
        ("idle-poll-time-us", bpo::value<long>()->default_value(200), "how long an idle reactor polls before sleeping, in us")
        ("task-quota-ms", bpo::value<double>()->default_value(quota_ms),
         "how long tasks run before pollers and timers get a turn, in ms")
        ("reactor-backend", bpo::value<std::string>(), "reactor backend: epoll, linux-aio or io_uring (default: best available)")
        ("blocked-reactor-notify-ms", bpo::value<long>()->default_value(25), "report tasks running longer than this, in ms")
        ("blocked-reactor-reports-per-minute", bpo::value<long>()->default_value(5), "at most this many stall reports per minute")
        ("network-stack", bpo::value<std::string>()->default_value("posix"),
         "network stack: posix (the kernel's sockets) or another registered stack (see below)")
        ("shuffle-tasks", bpo::bool_switch(), "debug: run ready tasks in a random order")
        ("default-log-level", bpo::value<std::string>()->default_value("info"),
         "level of every logger: error, warn, info, debug or trace")
        ("logger-log-level", bpo::value<std::vector<std::string>>()->composing(),
         "level of named loggers: NAME=LEVEL[:NAME=LEVEL...] (',' also separates; repeatable); see --help-loggers")
        ("logger-stdout-timestamps", bpo::value<std::string>()->default_value("real"),
         "timestamps on log lines: none, boot (seconds since start) or real (wall clock)")
        ("logger-ostream-type", bpo::value<std::string>()->default_value("stderr"), "where log lines go: none, stdout or stderr")
        ("log-to-stdout", bpo::value<bool>()->default_value(true), "write log lines to the stream of --logger-ostream-type (0 or 1)")
        ("log-to-syslog", bpo::value<bool>()->default_value(false), "also send log lines to syslog (0 or 1)");
    // clang-format on
    // The options of every network stack linked into the program.
    network_stack_registry::add_options(_seastar_opts);
    // Options of the other layers linked into the program (files: --io-properties-file).
    app_options_registry::add_options(_seastar_opts);
}

app_template::~app_template() = default;

bpo::options_description_easy_init app_template::add_options() {
    return _app_opts.add_options();
}

void app_template::add_positional_options(std::initializer_list<positional_option> options) {
    for (auto& o : options) {
        _app_opts.add(
            boost::shared_ptr<bpo::option_description>(new bpo::option_description(o.name, o.value_semantic, o.help)));
        _positional.add(o.name, o.max_count);
    }
}

int app_template::run(int ac, char** av, std::function<future<>()>&& func) noexcept {
    return run(ac, av, std::function<future<int>()>([func = std::move(func)] {
                   return futurize_invoke(func).then([] { return 0; });
               }));
}

int app_template::run_deprecated(int ac, char** av, std::function<void()>&& func) noexcept {
    return run(ac, av, std::function<future<int>()>([func = std::move(func)]() -> future<int> {
                   func();
                   // Resolved by the first exit function to run: engine().exit(code) (or a
                   // signal) starts them, and the code it gave is the program's.
                   auto done = std::make_shared<promise<int>>();
                   engine().at_exit([done] {
                       done->set_value(0);
                       return make_ready_future<>();
                   });
                   return done->get_future();
               }));
}

int app_template::run(int ac, char** av, std::function<future<int>()>&& func) noexcept {
    try {
        _configuration.clear();
        bpo::options_description all;
        all.add(_app_opts).add(_seastar_opts);
        try {
            bpo::store(bpo::command_line_parser(ac, av).options(all).positional(_positional).run(), _configuration);
        } catch (const bpo::error& e) {
            std::cerr << _cfg.name << ": bad command line: " << e.what() << " (see --help)\n";
            return 1;
        }
        if (_configuration.count("help")) {
            if (!_cfg.description.empty()) {
                std::cout << _cfg.description << "\n\n";
            }
            std::cout << _app_opts << "\n" << _seastar_opts << "\n";
            return 1;
        }
        if (_configuration.count("help-loggers")) {
            std::cout << "Available loggers:\n";
            for (auto& name : global_logger_registry().get_all_logger_names()) {
                std::cout << "    " << name << "\n";
            }
            return 1;
        }
        try {
            bpo::notify(_configuration);
        } catch (const bpo::error& e) {
            std::cerr << _cfg.name << ": bad command line: " << e.what() << " (see --help)\n";
            return 1;
        }
        auto& vm = _configuration;

        reactor_config rc;
        smp_options so;
        if (vm.count("smp")) {
            unsigned n = vm["smp"].as<unsigned>();
            if (n == 0) {
                throw std::invalid_argument("--smp must be at least 1");
            }
            so.smp = n;
        } else if (_cfg.default_smp && !vm.count("cpuset")) {
            so.smp = _cfg.default_smp;
        }
        if (vm.count("memory")) {
            so.memory = internal::parse_memory_size(vm["memory"].as<std::string>());
        } else if (vm.count("reserve-memory")) {
            size_t reserve = internal::parse_memory_size(vm["reserve-memory"].as<std::string>());
            size_t phys = physical_memory();
            if (reserve >= phys) {
                throw std::invalid_argument(
                    fmt::format("--reserve-memory {} is not below the machine's memory ({} bytes)",
                                vm["reserve-memory"].as<std::string>(), phys));
            }
            so.memory = phys - reserve;
        }
        if (so.memory && memory::is_configured()) {
            app_log.warn("--memory/--reserve-memory have no effect: the allocator was set up by an earlier run "
                         "in this process");
        }
        if (vm.count("reactor-backend")) {
            rc.backend = vm["reactor-backend"].as<std::string>();
        }
        double quota = vm["task-quota-ms"].as<double>();
        if (!(quota > 0 && quota <= 1000)) {
            throw std::invalid_argument("--task-quota-ms must be in (0, 1000]");
        }
        rc.task_quota = std::chrono::nanoseconds(int64_t(quota * 1e6));
        auto idle = vm["idle-poll-time-us"].as<long>();
        if (idle < 0) {
            throw std::invalid_argument("--idle-poll-time-us must not be negative");
        }
        rc.idle_poll_time = std::chrono::microseconds(idle);
        rc.poll_mode = vm["poll-mode"].as<bool>();
        auto notify = vm["blocked-reactor-notify-ms"].as<long>();
        if (notify <= 0) {
            throw std::invalid_argument("--blocked-reactor-notify-ms must be positive");
        }
        rc.blocked_reactor_notify = std::chrono::milliseconds(notify);
        auto reports = vm["blocked-reactor-reports-per-minute"].as<long>();
        if (reports <= 0 || reports > 1'000'000) {
            throw std::invalid_argument("--blocked-reactor-reports-per-minute must be in [1, 1000000]");
        }
        rc.blocked_reactor_reports_per_minute = unsigned(reports);
        rc.shuffle_tasks = vm["shuffle-tasks"].as<bool>();
        rc.handle_sigint_sigterm = _cfg.auto_handle_sigint_sigterm;
        app_options_registry::configure(vm);
        const network_stack_entry* stack = network_stack_registry::configure(vm["network-stack"].as<std::string>(), vm);
        bool overprovisioned =
            vm["overprovisioned"].as<bool>() || (_cfg.default_overprovisioned && !vm.count("cpuset") && !rc.poll_mode);
        if (overprovisioned) {
            rc.idle_poll_time = std::chrono::nanoseconds(0);
        }
        if (vm.count("cpuset")) {
            auto cs = vm["cpuset"].as<std::string>();
            // Checked here for a clear message; the shards parse it again.
            if (auto cpus = internal::parse_cpuset(cs); !cpus.ok()) {
                throw std::invalid_argument("bad --cpuset: " + std::string(cpus.status().message()));
            }
            so.cpuset = cs;
        }
        so.overprovisioned = overprovisioned;
        so.reactor = rc;
        // Every shard reports tasks that run longer than --blocked-reactor-notify-ms.
        so.detect_stalls = true;
        _reactor_cfg = rc;

        logging_restore restore_logging;
        auto settings = logging_settings_from(vm);
        apply_logging_settings(settings);
        abandoned_future_report report;
        if (stack && (stack->start || stack->stop)) {
            // Every shard's stack exists (and has started) before the program runs, and is
            // stopped after the exit functions of every shard (a shard's connections may
            // leave through a device queue another shard drives).
            auto program = std::make_shared<std::function<future<int>()>>(std::move(func));
            func = [stack, program]() -> future<int> {
                return smp::invoke_on_all([stack] {
                           if (stack->stop) {
                               internal::at_final_exit([stack] {
                                   stack->stop();
                                   return make_ready_future<>();
                               });
                           }
                           return stack->start ? stack->start() : make_ready_future<>();
                       })
                    .then([program] { return (*program)(); });
            };
        }
        return smp::run(so, std::move(func));
    } catch (const std::exception& e) {
        std::cerr << _cfg.name << ": could not start: " << e.what() << "\n";
        return 1;
    }
}

} // namespace seastar
