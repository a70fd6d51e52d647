#include "seastar/core/app-template.hh"

#include <sched.h>

#include <absl/flags/flag.h>
#include <absl/flags/internal/parse.h>
#include <absl/flags/internal/usage.h>
#include <absl/flags/usage.h>
#include <absl/flags/usage_config.h>

#include <chrono>
#include <exception>
#include <iostream>
#include <mutex>
#include <stdexcept>

#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/smp/internal/topology.hh"
#include "seastar/util/log.hh"

ABSL_FLAG(unsigned, smp, 0, "number of shards (threads); 0: one per CPU the process may use");
ABSL_FLAG(std::string, memory, "", "memory for the shards, e.g. 2G (also -m)");
ABSL_FLAG(std::string, reactor_backend, "", "reactor backend: epoll, linux-aio or io_uring (default: best available)");
ABSL_FLAG(double, task_quota_ms, 0.5, "how long tasks run before pollers and timers get a turn, in ms");
ABSL_FLAG(int64_t, idle_poll_time_us, 200, "how long an idle reactor polls before sleeping, in us");
ABSL_FLAG(bool, poll_mode, false, "poll continuously instead of sleeping when idle (uses a whole core)");
ABSL_FLAG(int64_t, blocked_reactor_notify_ms, 25, "report tasks running longer than this, in ms");
ABSL_FLAG(int64_t, blocked_reactor_reports_per_minute, 5, "at most this many stall reports per minute");
ABSL_FLAG(std::string, cpuset, "", "CPUs to run on, e.g. 0-3,6");
ABSL_FLAG(bool, overprovisioned, false, "the machine is shared: do not pin threads or spin when idle");
ABSL_FLAG(bool, shuffle_tasks, false, "debug: run ready tasks in a random order");

namespace seastar {

namespace {

logger app_log("app");

void reset_flags() {
    absl::SetFlag(&FLAGS_smp, 0u);
    absl::SetFlag(&FLAGS_memory, "");
    absl::SetFlag(&FLAGS_reactor_backend, "");
    absl::SetFlag(&FLAGS_task_quota_ms, 0.5);
    absl::SetFlag(&FLAGS_idle_poll_time_us, 200);
    absl::SetFlag(&FLAGS_poll_mode, false);
    absl::SetFlag(&FLAGS_blocked_reactor_notify_ms, 25);
    absl::SetFlag(&FLAGS_blocked_reactor_reports_per_minute, 5);
    absl::SetFlag(&FLAGS_cpuset, "");
    absl::SetFlag(&FLAGS_overprovisioned, false);
    absl::SetFlag(&FLAGS_shuffle_tasks, false);
    // --help and friends are Abseil's own: their mode outlives a parse.
    absl::flags_internal::SetFlagsHelpMode(absl::flags_internal::HelpMode::kNone);
    absl::flags_internal::SetFlagsHelpMatchSubstr("");
}

} // namespace

namespace internal {

size_t parse_memory_size(const std::string& s) {
    size_t pos = 0;
    unsigned long long v;
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

std::vector<std::string> normalize_flag_names(int ac, char** av) {
    std::vector<std::string> out;
    bool flags_done = false;
    for (int i = 0; i < ac; ++i) {
        std::string a = av[i];
        if (i == 0 || flags_done || a.size() < 2 || a[0] != '-') {
            out.push_back(std::move(a));
            continue;
        }
        if (a == "--") {
            flags_done = true;
            out.push_back(std::move(a));
            continue;
        }
        size_t start = a.find_first_not_of('-');
        size_t end = std::min(a.find('='), a.size());
        for (size_t j = start; j < end; ++j) {
            if (a[j] == '-') {
                a[j] = '_';
            }
        }
        std::string name = a.substr(start, end - start);
        if (name == "m") {
            a = "--memory" + a.substr(end);
        }
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace internal

app_template::app_template() : app_template(config()) {}

app_template::app_template(config cfg) : _cfg(std::move(cfg)) {}

int app_template::run(int ac, char** av, std::function<future<>()>&& func) noexcept {
    return run(ac, av, std::function<future<int>()>([func = std::move(func)] {
                   return futurize_invoke(func).then([] { return 0; });
               }));
}

int app_template::run(int ac, char** av, std::function<future<int>()>&& func) noexcept {
    static std::once_flag usage_once;
    std::call_once(usage_once, [this] {
        absl::FlagsUsageConfig uc;
        // Show every flag with --help: the framework's live outside the program's files.
        uc.contains_help_flags = [](absl::string_view) { return true; };
        absl::SetFlagsUsageConfig(uc);
        absl::SetProgramUsageMessage(_cfg.name + (_cfg.description.empty() ? "" : ": " + _cfg.description));
    });
    try {
        reset_flags();
        auto args = internal::normalize_flag_names(ac, av);
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        auto rest = absl::flags_internal::ParseCommandLineImpl(
            int(args.size()), argv.data(), absl::flags_internal::ArgvListAction::kRemoveParsedArgs,
            absl::flags_internal::UsageFlagsAction::kIgnoreUsage,
            absl::flags_internal::OnUndefinedFlag::kAbortIfUndefined);
        int usage = absl::flags_internal::HandleUsageFlags(std::cout, absl::ProgramUsageMessage());
        if (usage >= 0) {
            return 1;
        }
        _positional.assign(rest.begin() + (rest.empty() ? 0 : 1), rest.end());

        reactor_config rc;
        smp_options so;
        if (unsigned n = absl::GetFlag(FLAGS_smp); n > 0) {
            so.smp = n;
        }
        if (auto m = absl::GetFlag(FLAGS_memory); !m.empty()) {
            so.memory = internal::parse_memory_size(m);
        }
        rc.backend = absl::GetFlag(FLAGS_reactor_backend);
        double quota = absl::GetFlag(FLAGS_task_quota_ms);
        if (!(quota > 0 && quota <= 1000)) {
            throw std::invalid_argument("--task-quota-ms must be in (0, 1000]");
        }
        rc.task_quota = std::chrono::nanoseconds(int64_t(quota * 1e6));
        auto idle = absl::GetFlag(FLAGS_idle_poll_time_us);
        if (idle < 0) {
            throw std::invalid_argument("--idle-poll-time-us must not be negative");
        }
        rc.idle_poll_time = std::chrono::microseconds(idle);
        rc.poll_mode = absl::GetFlag(FLAGS_poll_mode);
        auto notify = absl::GetFlag(FLAGS_blocked_reactor_notify_ms);
        if (notify <= 0) {
            throw std::invalid_argument("--blocked-reactor-notify-ms must be positive");
        }
        rc.blocked_reactor_notify = std::chrono::milliseconds(notify);
        auto reports = absl::GetFlag(FLAGS_blocked_reactor_reports_per_minute);
        if (reports <= 0 || reports > 1'000'000) {
            throw std::invalid_argument("--blocked-reactor-reports-per-minute must be in [1, 1000000]");
        }
        rc.blocked_reactor_reports_per_minute = unsigned(reports);
        rc.shuffle_tasks = absl::GetFlag(FLAGS_shuffle_tasks);
        bool overprovisioned = absl::GetFlag(FLAGS_overprovisioned);
        if (overprovisioned) {
            rc.idle_poll_time = std::chrono::nanoseconds(0);
        }
        if (auto cs = absl::GetFlag(FLAGS_cpuset); !cs.empty()) {
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
        return smp::run(so, std::move(func));
    } catch (const std::exception& e) {
        std::cerr << _cfg.name << ": could not start: " << e.what() << "\n";
        return 1;
    }
}

} // namespace seastar
