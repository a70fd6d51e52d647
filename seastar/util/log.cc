#include "seastar/util/log.hh"

#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <istream>
#include <map>
#include <mutex>
#include <ostream>
#include <stdexcept>

namespace seastar {

namespace {

constinit thread_local int shard_id = -1;

struct registry {
    std::mutex mutex;
    std::multimap<std::string, logger*, std::less<>> loggers; // guarded by mutex
    std::ostream* out = nullptr;                              // guarded by mutex; nullptr: the ostream type
    log_level default_level = log_level::info;                // guarded by mutex
    // Read by every log line without the mutex.
    std::atomic<bool> stream_enabled{true};
    std::atomic<bool> syslog_enabled{false};
    std::atomic<logger_timestamp_style> timestamps{logger_timestamp_style::real};
    std::atomic<logger_ostream_type> ostream_type{logger_ostream_type::stderr};
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

registry& get_registry() {
    static registry r;
    return r;
}

std::atomic<int64_t> rate_limit_clock_offset_ns{0};

void write_fd(int fd, const std::string& line) noexcept {
    const char* p = line.data();
    size_t left = line.size();
    while (left) {
        auto n = ::write(fd, p, left);
        if (n <= 0) {
            return; // nowhere left to report a failing stream
        }
        p += n;
        left -= size_t(n);
    }
}

void write_line(const std::string& line) noexcept {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    if (r.out) {
        r.out->write(line.data(), std::streamsize(line.size()));
        r.out->flush();
        return;
    }
    switch (r.ostream_type.load(std::memory_order_relaxed)) {
    case logger_ostream_type::none:
        return;
    case logger_ostream_type::stdout:
        write_fd(STDOUT_FILENO, line);
        return;
    case logger_ostream_type::stderr:
        write_fd(STDERR_FILENO, line);
        return;
    }
}

int syslog_priority(log_level level) noexcept {
    switch (level) {
    case log_level::error:
        return LOG_ERR;
    case log_level::warn:
        return LOG_WARNING;
    case log_level::info:
        return LOG_INFO;
    case log_level::debug:
    case log_level::trace:
        return LOG_DEBUG;
    }
    return LOG_INFO;
}

} // namespace

std::string_view to_string(log_level level) noexcept {
    switch (level) {
    case log_level::error:
        return "error";
    case log_level::warn:
        return "warn";
    case log_level::info:
        return "info";
    case log_level::debug:
        return "debug";
    case log_level::trace:
        return "trace";
    }
    return "unknown";
}

log_level parse_log_level(std::string_view name) {
    for (auto l : {log_level::error, log_level::warn, log_level::info, log_level::debug, log_level::trace}) {
        if (name == to_string(l)) {
            return l;
        }
    }
    throw std::invalid_argument(fmt::format("unknown log level '{}' (use error, warn, info, debug or trace)", name));
}

std::ostream& operator<<(std::ostream& out, log_level level) {
    return out << to_string(level);
}

std::istream& operator>>(std::istream& in, log_level& level) {
    std::string s;
    in >> s;
    try {
        level = parse_log_level(s);
    } catch (const std::invalid_argument&) {
        in.setstate(std::ios::failbit);
    }
    return in;
}

logger_timestamp_style parse_logger_timestamp_style(std::string_view name) {
    if (name == "none") {
        return logger_timestamp_style::none;
    }
    if (name == "boot") {
        return logger_timestamp_style::boot;
    }
    if (name == "real") {
        return logger_timestamp_style::real;
    }
    throw std::invalid_argument(fmt::format("unknown timestamp style '{}' (use none, boot or real)", name));
}

logger_ostream_type parse_logger_ostream_type(std::string_view name) {
    if (name == "none") {
        return logger_ostream_type::none;
    }
    if (name == "stdout") {
        return logger_ostream_type::stdout;
    }
    if (name == "stderr") {
        return logger_ostream_type::stderr;
    }
    throw std::invalid_argument(fmt::format("unknown log stream '{}' (use none, stdout or stderr)", name));
}

logger::logger(std::string name) : _name(std::move(name)) {
    global_logger_registry().register_logger(this);
}

logger::~logger() {
    global_logger_registry().unregister_logger(this);
}

void logger::set_ostream(std::ostream* out) noexcept {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    r.out = out;
}

bool logger::rate_limit::check() noexcept {
    auto now = clock::now() + std::chrono::nanoseconds(rate_limit_clock_offset_ns.load(std::memory_order_relaxed));
    if (now < _next) {
        ++_dropped_messages;
        return false;
    }
    _next = now + _interval;
    return true;
}

void logger::do_log(log_level level, fmt::string_view fmt, fmt::format_args args, uint64_t dropped) const noexcept {
    auto& r = get_registry();
    bool to_stream = r.stream_enabled.load(std::memory_order_relaxed);
    bool to_syslog = r.syslog_enabled.load(std::memory_order_relaxed);
    if (!to_stream && !to_syslog) {
        return;
    }
    try {
        static constexpr const char* names[] = {"ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"};
        // The message without level and time: what syslog gets.
        fmt::memory_buffer msg;
        auto it = std::back_inserter(msg);
        if (shard_id >= 0) {
            fmt::format_to(it, "[shard {}] ", shard_id);
        }
        fmt::format_to(it, "{} - ", _name);
        if (dropped) {
            fmt::format_to(it, "(rate limiting dropped {} similar messages) ", dropped);
        }
        try {
            fmt::vformat_to(it, fmt, args);
        } catch (const std::exception& e) {
            fmt::format_to(it, "<log formatting error: {}; format: {}>", e.what(),
                           std::string_view(fmt.data(), fmt.size()));
        }
        if (to_stream) {
            fmt::memory_buffer line;
            auto lit = std::back_inserter(line);
            fmt::format_to(lit, "{} ", names[int(level)]);
            switch (r.timestamps.load(std::memory_order_relaxed)) {
            case logger_timestamp_style::none:
                break;
            case logger_timestamp_style::boot: {
                auto since = std::chrono::steady_clock::now() - r.start;
                fmt::format_to(lit, "{:10.6f} ", std::chrono::duration<double>(since).count());
                break;
            }
            case logger_timestamp_style::real: {
                auto now = std::chrono::system_clock::now();
                auto secs = std::chrono::system_clock::to_time_t(now);
                auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
                struct tm tm;
                ::localtime_r(&secs, &tm);
                char stamp[32];
                ::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
                fmt::format_to(lit, "{},{:03d} ", stamp, ms);
                break;
            }
            }
            line.append(msg.data(), msg.data() + msg.size());
            line.push_back('\n');
            write_line(std::string(line.data(), line.size()));
        }
        if (to_syslog) {
            msg.push_back('\0');
            ::syslog(syslog_priority(level), "%s", msg.data());
        }
    } catch (...) {
        // Out of memory while logging: dropping the line is all that is left.
    }
}

// ---- the registry -------------------------------------------------------------------------

logger_registry& global_logger_registry() {
    static logger_registry r;
    return r;
}

void logger_registry::register_logger(logger* l) {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    l->set_level(r.default_level);
    r.loggers.emplace(l->name(), l);
}

void logger_registry::unregister_logger(logger* l) noexcept {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    auto [b, e] = r.loggers.equal_range(l->name());
    for (auto it = b; it != e; ++it) {
        if (it->second == l) {
            r.loggers.erase(it);
            break;
        }
    }
}

void logger_registry::set_all_loggers_level(log_level level) {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    r.default_level = level;
    for (auto& [name, l] : r.loggers) {
        l->set_level(level);
    }
}

log_level logger_registry::get_logger_level(std::string_view name) const {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    auto it = r.loggers.find(name);
    if (it == r.loggers.end()) {
        throw std::out_of_range(fmt::format("no logger named '{}'", name));
    }
    return it->second->level();
}

void logger_registry::set_logger_level(std::string_view name, log_level level) {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    auto [b, e] = r.loggers.equal_range(name);
    if (b == e) {
        throw std::out_of_range(fmt::format("no logger named '{}'", name));
    }
    for (auto it = b; it != e; ++it) {
        it->second->set_level(level);
    }
}

std::vector<std::string> logger_registry::get_all_logger_names() const {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    std::vector<std::string> names;
    for (auto& [name, l] : r.loggers) {
        if (names.empty() || names.back() != name) {
            names.push_back(name);
        }
    }
    return names;
}

// ---- settings -----------------------------------------------------------------------------

void apply_logging_settings(const logging_settings& s) {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    // Check first, so that a bad name changes nothing.
    std::vector<std::string> unknown;
    for (auto& [name, level] : s.logger_levels) {
        if (r.loggers.find(name) == r.loggers.end()) {
            unknown.push_back(name);
        }
    }
    if (!unknown.empty()) {
        std::sort(unknown.begin(), unknown.end());
        throw std::out_of_range(fmt::format("no logger named '{}' (see --help-loggers)", unknown.front()));
    }
    r.default_level = s.default_level;
    for (auto& [name, l] : r.loggers) {
        l->set_level(s.default_level);
    }
    for (auto& [name, level] : s.logger_levels) {
        auto [b, e] = r.loggers.equal_range(name);
        for (auto it = b; it != e; ++it) {
            it->second->set_level(level);
        }
    }
    r.stream_enabled.store(s.stdout_enabled, std::memory_order_relaxed);
    r.syslog_enabled.store(s.syslog_enabled, std::memory_order_relaxed);
    r.timestamps.store(s.stdout_timestamp_style, std::memory_order_relaxed);
    r.ostream_type.store(s.logger_ostream, std::memory_order_relaxed);
}

logging_settings current_logging_settings() {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    logging_settings s;
    s.default_level = r.default_level;
    for (auto& [name, l] : r.loggers) {
        s.logger_levels.emplace(name, l->level());
    }
    s.stdout_enabled = r.stream_enabled.load(std::memory_order_relaxed);
    s.syslog_enabled = r.syslog_enabled.load(std::memory_order_relaxed);
    s.stdout_timestamp_style = r.timestamps.load(std::memory_order_relaxed);
    s.logger_ostream = r.ostream_type.load(std::memory_order_relaxed);
    return s;
}

namespace internal {

void set_log_shard_id(int id) noexcept {
    shard_id = id;
}

int log_shard_id() noexcept {
    return shard_id;
}

std::vector<std::pair<std::string, log_level>> parse_logger_level_assignments(std::string_view text) {
    std::vector<std::pair<std::string, log_level>> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find_first_of(",:", pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        auto item = text.substr(pos, end - pos);
        auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            throw std::invalid_argument(fmt::format("bad logger level '{}' in '{}' (want NAME=LEVEL)", item, text));
        }
        try {
            out.emplace_back(std::string(item.substr(0, eq)), parse_log_level(item.substr(eq + 1)));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(fmt::format("bad logger level '{}': {}", item, e.what()));
        }
        pos = end + 1;
    }
    return out;
}

void advance_log_rate_limit_clock(std::chrono::steady_clock::duration d) noexcept {
    rate_limit_clock_offset_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(),
                                         std::memory_order_relaxed);
}

} // namespace internal

} // namespace seastar
