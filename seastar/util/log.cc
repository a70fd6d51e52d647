#include "seastar/util/log.hh"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <ostream>
#include <stdexcept>

namespace seastar {

namespace {

constinit thread_local int shard_id = -1;

struct registry {
    std::mutex mutex;
    std::multimap<std::string, logger*, std::less<>> loggers;
    std::ostream* out = nullptr;  // guarded by mutex; nullptr: stderr
};

registry& get_registry() {
    static registry r;
    return r;
}

void write_line(const std::string& line) noexcept {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    if (r.out) {
        r.out->write(line.data(), std::streamsize(line.size()));
        r.out->flush();
        return;
    }
    const char* p = line.data();
    size_t left = line.size();
    while (left) {
        auto n = ::write(STDERR_FILENO, p, left);
        if (n <= 0) {
            return;  // nowhere left to report a failing stderr
        }
        p += n;
        left -= size_t(n);
    }
}

} // namespace

std::string_view to_string(log_level level) noexcept {
    switch (level) {
    case log_level::error: return "error";
    case log_level::warn: return "warn";
    case log_level::info: return "info";
    case log_level::debug: return "debug";
    case log_level::trace: return "trace";
    }
    return "unknown";
}

log_level parse_log_level(std::string_view name) {
    for (auto l : {log_level::error, log_level::warn, log_level::info, log_level::debug, log_level::trace}) {
        if (name == to_string(l)) {
            return l;
        }
    }
    throw std::invalid_argument(fmt::format("unknown log level '{}'", name));
}

logger::logger(std::string name) : _name(std::move(name)) {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    r.loggers.emplace(_name, this);
}

logger::~logger() {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    auto [b, e] = r.loggers.equal_range(_name);
    for (auto it = b; it != e; ++it) {
        if (it->second == this) {
            r.loggers.erase(it);
            break;
        }
    }
}

void logger::set_ostream(std::ostream* out) noexcept {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    r.out = out;
}

void logger::do_log(log_level level, fmt::string_view fmt, fmt::format_args args) const noexcept {
    try {
        static constexpr const char* names[] = {"ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"};
        auto now = std::chrono::system_clock::now();
        auto secs = std::chrono::system_clock::to_time_t(now);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
        struct tm tm;
        ::localtime_r(&secs, &tm);
        char stamp[32];
        ::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
        fmt::memory_buffer buf;
        auto it = std::back_inserter(buf);
        fmt::format_to(it, "{} {},{:03d} ", names[int(level)], stamp, ms);
        if (shard_id >= 0) {
            fmt::format_to(it, "[shard {}] ", shard_id);
        }
        fmt::format_to(it, "{} - ", _name);
        try {
            fmt::vformat_to(it, fmt, args);
        } catch (const std::exception& e) {
            fmt::format_to(it, "<log formatting error: {}; format: {}>", e.what(), std::string_view(fmt.data(), fmt.size()));
        }
        buf.push_back('\n');
        write_line(std::string(buf.data(), buf.size()));
    } catch (...) {
        // Out of memory while logging: dropping the line is all that is left.
    }
}

namespace logger_registry {

bool set_logger_level(std::string_view name, log_level level) {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    auto [b, e] = r.loggers.equal_range(name);
    for (auto it = b; it != e; ++it) {
        it->second->set_level(level);
    }
    return b != e;
}

void set_all_loggers_level(log_level level) {
    auto& r = get_registry();
    std::lock_guard lock(r.mutex);
    for (auto& [name, l] : r.loggers) {
        l->set_level(level);
    }
}

std::vector<std::string> get_all_logger_names() {
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

} // namespace logger_registry

namespace internal {

void set_log_shard_id(int id) noexcept {
    shard_id = id;
}

int log_shard_id() noexcept {
    return shard_id;
}

} // namespace internal

} // namespace seastar
