// Logging: named loggers with levels, a per-shard prefix, rate limits and settings.
//
// A `logger` is a named source of messages; each has its own level (default: the
// registry's default level, info unless apply_logging_settings() said otherwise).
// Messages are formatted with {fmt} and written, one line each, to the log stream
// (stderr unless the settings or logger::set_ostream() say otherwise), and to syslog when
// enabled:
//
//     INFO  2026-11-23 20:04:05,123 [shard 0] http - listening on 127.0.0.1:8080
//
// Contract:
//   * Loggers are normally namespace-scope objects; they register themselves by name in
//     global_logger_registry(), which sets levels by name (app_template's
//     --logger-log-level) and lists the names (--help-loggers). Constructing two loggers
//     with one name is allowed: setting that name's level sets both.
//   * Any thread may log; a line is written with one write so lines of two threads do not
//     interleave. The shard prefix comes from a per-thread id the reactor sets
//     (internal::set_log_shard_id); threads without one print no shard.
//   * A disabled level costs one relaxed load; formatting happens only when the level is
//     enabled. A formatting error is reported in the line rather than thrown. Logging
//     allocates (the formatted line). Syslog, when enabled, is written synchronously.
//   * A rate_limit lets one message through per interval and counts the ones it dropped,
//     reported in front of the next message that passes. It is not thread-safe: use one
//     per thread (e.g. a static thread_local) or per object of one shard.
//   * set_logger_level()/get_logger_level() and apply_logging_settings() throw
//     std::out_of_range naming the logger when no logger has that name.
//
//     static seastar::logger applog("app");
//     applog.info("started with {} shards", 1);
//     static thread_local seastar::logger::rate_limit rl(std::chrono::seconds(10));
//     applog.log(seastar::log_level::warn, rl, "queue full, dropping {}", 3);
//     seastar::global_logger_registry().set_logger_level("app", seastar::log_level::debug);
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace seastar {

enum class log_level { error, warn, info, debug, trace };

// "error", "warn", "info", "debug", "trace".
std::string_view to_string(log_level level) noexcept;
// Parses a level name; throws std::invalid_argument for an unknown one.
log_level parse_log_level(std::string_view name);
std::ostream& operator<<(std::ostream& out, log_level level);
// Sets the stream's failbit for an unknown name (so Boost.Program_options can parse levels).
std::istream& operator>>(std::istream& in, log_level& level);

class logger {
    std::string _name;
    std::atomic<log_level> _level{log_level::info};

    void do_log(log_level level, fmt::string_view fmt, fmt::format_args args, uint64_t dropped = 0) const noexcept;

public:
    // At most one message per interval; see the contract above.
    class rate_limit {
        friend class logger;
        using clock = std::chrono::steady_clock;
        clock::duration _interval;
        clock::time_point _next{};
        uint64_t _dropped_messages = 0;

        bool check() noexcept;

    public:
        explicit rate_limit(std::chrono::milliseconds interval) noexcept : _interval(interval) {}
    };

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
    // Logs if the level is enabled and `rl` lets a message through now; a message that
    // passes after others were dropped starts with "(rate limiting dropped N similar messages) ".
    template <typename... Args>
    void log(log_level level, rate_limit& rl, fmt::format_string<Args...> fmt, Args&&... args) const noexcept {
        if (is_enabled(level) && rl.check()) {
            do_log(level, fmt, fmt::make_format_args(args...), std::exchange(rl._dropped_messages, 0));
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

// Loggers by name. One per process: global_logger_registry().
class logger_registry {
public:
    // Sets every registered logger's level, and the level later loggers start with.
    void set_all_loggers_level(log_level level);
    // Throws std::out_of_range when no logger is called `name`.
    log_level get_logger_level(std::string_view name) const;
    void set_logger_level(std::string_view name, log_level level);
    // Sorted, without duplicates.
    std::vector<std::string> get_all_logger_names() const;
    // Called by logger's constructor and destructor.
    void register_logger(logger* l);
    void unregister_logger(logger* l) noexcept;
};

logger_registry& global_logger_registry();

enum class logger_timestamp_style { none, boot, real };
enum class logger_ostream_type { none, stdout, stderr };

// Parse "none"/"boot"/"real" and "none"/"stdout"/"stderr"; throw std::invalid_argument.
logger_timestamp_style parse_logger_timestamp_style(std::string_view name);
logger_ostream_type parse_logger_ostream_type(std::string_view name);

// Everything app_template's logging options set, applied at once.
struct logging_settings {
    // Per-logger levels, applied after default_level.
    std::unordered_map<std::string, log_level> logger_levels;
    log_level default_level = log_level::info;
    // Write lines to the stream of `logger_ostream` (Seastar's name: "stdout" means the
    // program's output stream, whichever it is).
    bool stdout_enabled = true;
    // Also send lines to syslog(3).
    bool syslog_enabled = false;
    logger_timestamp_style stdout_timestamp_style = logger_timestamp_style::real;
    logger_ostream_type logger_ostream = logger_ostream_type::stderr;
};

// Applies `s`. Checks every name in s.logger_levels first: if one is unknown, throws
// std::out_of_range naming it and changes nothing.
void apply_logging_settings(const logging_settings& s);
// The settings in force now (logger_levels holds every registered logger's level).
logging_settings current_logging_settings();

namespace internal {
// The shard number printed in this thread's log lines (-1: none).
void set_log_shard_id(int id) noexcept;
int log_shard_id() noexcept;
// Parses "a=debug", "a=debug:b=trace" or "a=debug,b=trace"; throws std::invalid_argument
// naming the bad item (no '=', empty name, unknown level).
std::vector<std::pair<std::string, log_level>> parse_logger_level_assignments(std::string_view text);
// For tests of rate limits: moves the clock rate limits read forward by `d` (process-wide).
void advance_log_rate_limit_clock(std::chrono::steady_clock::duration d) noexcept;
} // namespace internal

} // namespace seastar
