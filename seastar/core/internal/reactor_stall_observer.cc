#include "seastar/core/internal/reactor_stall_observer.hh"

#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace seastar::internal {

namespace {

// Longest report the detector writes (its buffer), plus room for the prefix.
constexpr std::size_t max_prefix = 96;
constexpr std::size_t max_line = 16 * 1024 + max_prefix;

// Async-signal-safe appending to a fixed buffer.
struct out {
    char* buf;
    std::size_t cap;
    std::size_t len = 0;

    void put(char c) noexcept {
        if (len < cap) {
            buf[len++] = c;
        }
    }
    void str(const char* s) noexcept {
        while (*s) {
            put(*s++);
        }
    }
    // `v` in decimal, zero-padded to at least `width` digits.
    void num(std::uint64_t v, int width = 1) noexcept {
        char tmp[24];
        int n = 0;
        do {
            tmp[n++] = char('0' + v % 10);
            v /= 10;
        } while (v);
        while (n < width) {
            tmp[n++] = '0';
        }
        while (n) {
            put(tmp[--n]);
        }
    }
};

// Proleptic Gregorian date of a day count since 1970-01-01 (days may be negative).
void civil_from_days(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d) noexcept {
    // Shift the epoch to 0000-03-01 so that the leap day ends each 400-year era's years.
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = unsigned(days - era * 146097);                             // day of era [0, 146096]
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // year of era [0, 399]
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               // day of March-based year
    const unsigned mp = (5 * doy + 2) / 153;                                    // March = 0
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = std::int64_t(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

std::int64_t local_utc_offset_s() noexcept {
    time_t now = ::time(nullptr);
    struct tm lt;
    if (!::localtime_r(&now, &lt)) {
        return 0;
    }
    return lt.tm_gmtoff;
}

void write_all_to_stderr(iovec* iov, int n) noexcept {
    while (n > 0) {
        auto w = ::writev(2, iov, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        auto done = std::size_t(w);
        while (n > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            ++iov;
            --n;
        }
        if (n > 0) {
            iov->iov_base = static_cast<char*>(iov->iov_base) + done;
            iov->iov_len -= done;
        }
    }
}

} // namespace

std::size_t format_stall_line_prefix(char* buf, std::size_t cap, std::int64_t epoch_ns, std::int64_t utc_offset_s,
                                     unsigned shard) noexcept {
    std::int64_t secs = epoch_ns / 1'000'000'000;
    std::int64_t ns = epoch_ns % 1'000'000'000;
    if (ns < 0) {
        ns += 1'000'000'000;
        --secs;
    }
    secs += utc_offset_s;
    std::int64_t days = secs / 86400;
    std::int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        --days;
    }
    std::int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    out o{buf, cap};
    // The logger's layout: level padded to 5, date, time with milliseconds, shard, logger.
    o.str("WARN  ");
    if (y < 0) {
        o.put('-');
        y = -y;
    }
    o.num(std::uint64_t(y), 4);
    o.put('-');
    o.num(m, 2);
    o.put('-');
    o.num(d, 2);
    o.put(' ');
    o.num(std::uint64_t(sod / 3600), 2);
    o.put(':');
    o.num(std::uint64_t(sod / 60 % 60), 2);
    o.put(':');
    o.num(std::uint64_t(sod % 60), 2);
    o.put(',');
    o.num(std::uint64_t(ns / 1'000'000), 3);
    o.str(" [shard ");
    o.num(shard);
    o.str("] reactor - ");
    return o.len;
}

cpu_stall_detector_config reactor_stall_observer::detector_config(const reactor_config& cfg) noexcept {
    out o{_name, sizeof(_name) - 1};
    o.str("shard ");
    o.num(_shard);
    _name[o.len] = '\0';
    cpu_stall_detector_config c;
    c.threshold = cfg.blocked_reactor_notify;
    c.max_reports_per_window = cfg.blocked_reactor_reports_per_minute;
    c.report_window = std::chrono::minutes(1);
    c.name = _name;
    c.sink = &reactor_stall_observer::write_report;
    c.sink_arg = this;
    return c;
}

reactor_stall_observer::reactor_stall_observer(reactor& r, stall_report_sink sink, void* sink_arg)
    : _reactor(r), _sink(sink), _sink_arg(sink_arg), _shard(r.id()), _utc_offset_s(local_utc_offset_s()),
      _line(sink ? new char[max_line] : nullptr), _name{}, _detector(detector_config(r.config())) {
    _reactor.set_task_run_observer(this);
}

reactor_stall_observer::~reactor_stall_observer() {
    _reactor.set_task_run_observer(nullptr);
}

void reactor_stall_observer::write_report(const char* text, std::size_t len, void* arg) noexcept {
    auto self = static_cast<reactor_stall_observer*>(arg);
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    const std::int64_t now_ns = std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    if (self->_sink) {
        char* line = self->_line.get();
        auto n = format_stall_line_prefix(line, max_prefix, now_ns, self->_utc_offset_s, self->_shard);
        len = std::min(len, max_line - n);
        std::memcpy(line + n, text, len);
        self->_sink(line, n + len, self->_sink_arg);
        return;
    }
    char prefix[max_prefix];
    auto n = format_stall_line_prefix(prefix, sizeof(prefix), now_ns, self->_utc_offset_s, self->_shard);
    iovec iov[2] = {{prefix, n}, {const_cast<char*>(text), len}};
    write_all_to_stderr(iov, 2);
}

} // namespace seastar::internal
