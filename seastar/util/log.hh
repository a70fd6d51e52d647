// Logging: named loggers with levels and a per-shard prefix.
//
// A `logger` is a named source of messages; each has its own level (default
// info). Messages are formatted with {fmt} and written, one line each, to the
// log stream (stderr unless logger::set_ostream() says otherwise):
//
//     INFO  2026-11-23 20:04:05,123 [shard 0] http - listening on 127.0.0.1:8080
//
// Contract:
//   * Loggers are normally namespace-scope objects; they register themselves
//     by name (logger_registry) so `--logger-log-level`-style tools and tests
//     can change levels by name. Constructing two loggers with one name is
//     allowed (the registry keeps the first).
//   * Any thread may log; a line is written with one write so lines of two
//     threads do not interleave. The shard prefix comes from a per-thread id
//     the reactor sets (internal::set_log_shard_id); threads without one print
//     no shard.
//   * A disabled level costs one relaxed load; formatting happens only when
//     the level is enabled. A formatting error is reported in the line rather
//     than thrown. Logging allocates (the formatted line).
//
//     static seastar::logger applog("app");
//     applog.info("started with {} shards", 1);
//     applog.set_level(seastar::log_level::debug);
#pragma once

#include <atomic>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace seastar {

enum class log_level { error, warn, info, debug, trace };

// "error", "warn", "info", "debug", "trace".
std::string_view to_string(log_level level) noexcept;
// Parses a level name; throws std::invalid_argument for an unknown one.
log_level parse_log_level(std::string_view name);

class logger {
    std::string _name;
    std::atomic<log_level> _level{log_level::info};

    void do_log(log_level level, fmt::string_view fmt, fmt::format_args args) const noexcept;

public:
    explicit logger(std::string name);
    ~logger();
    logger(const logger&) = delete;
    logger& operator=(const logger&) = delete;

    const std::string& name() const noexcept { return _name; }
    log_level level() const noexcept { return _level.load(std::memory_order_relaxed); }
    void set_level(log_level level) noexcept { _level.store(level, std::memory_order_relaxed); }
    bool is_enabled(log_level level) const noexcept { return level <= this->level(); }

    template <typename... Args>
    void log(log_level level, fmt::format_string<Args...> fmt, Args&&... args) const noexcept {
        if (is_enabled(level)) {
            do_log(level, fmt, fmt::make_format_args(args...));
        }
    }
    template <typename... Args>
    void error(fmt::format_string<Args...> fmt, Args&&... args) const noexcept {
        log(log_level::error, fmt, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void warn(fmt::format_string<Args...> fmt, Args&&... args) const noexcept {
        log(log_level::warn, fmt, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void info(fmt::format_string<Args...> fmt, Args&&... args) const noexcept {
        log(log_level::info, fmt, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void debug(fmt::format_string<Args...> fmt, Args&&... args) const noexcept {
        log(log_level::debug, fmt, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void trace(fmt::format_string<Args...> fmt, Args&&... args) const noexcept {
        log(log_level::trace, fmt, std::forward<Args>(args)...);
    }

    // Sends all log lines to `out` (nullptr: back to stderr). The stream must
    // outlive its use; meant for tests and for programs that log to a file.
    static void set_ostream(std::ostream* out) noexcept;
};

// Loggers by name.
namespace logger_registry {
// Sets the level of the logger called `name`; false if there is none.
bool set_logger_level(std::string_view name, log_level level);
void set_all_loggers_level(log_level level);
std::vector<std::string> get_all_logger_names();
} // namespace logger_registry

namespace internal {
// The shard number printed in this thread's log lines (-1: none).
void set_log_shard_id(int id) noexcept;
int log_shard_id() noexcept;
} // namespace internal

} // namespace seastar
