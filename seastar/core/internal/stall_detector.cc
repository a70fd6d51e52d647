#include "seastar/core/internal/stall_detector.hh"

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/debugging/stacktrace.h"
#include "absl/debugging/symbolize.h"

namespace seastar::internal {

// The watchdog's view of a detector's private state.
struct stall_detector_access {
    static void check(cpu_stall_detector& d, std::int64_t now_ns, pid_t pid) noexcept;
    static void report_from_signal(cpu_stall_detector& d, const ucontext_t* uc) noexcept;
};

namespace {

constexpr std::size_t report_buffer_size = 16 * 1024;

[[gnu::tls_model("initial-exec")]] thread_local cpu_stall_detector* this_thread_detector = nullptr;
[[gnu::tls_model("initial-exec")]] thread_local char* this_thread_report_buffer = nullptr;

std::int64_t steady_now_ns() noexcept {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts); // steady_clock's clock; async-signal-safe
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Async-signal-safe formatting into a fixed buffer (no snprintf, no allocation).
class text {
    char* _buf;
    std::size_t _cap;
    std::size_t _len = 0;

public:
    text(char* buf, std::size_t cap) noexcept : _buf(buf), _cap(cap) {}
    text& str(const char* s) noexcept {
        while (*s && _len < _cap) {
            _buf[_len++] = *s++;
        }
        return *this;
    }
    text& dec(std::uint64_t v) noexcept {
        char tmp[24];
        int n = 0;
        do {
            tmp[n++] = char('0' + v % 10);
            v /= 10;
        } while (v);
        while (n && _len < _cap) {
            _buf[_len++] = tmp[--n];
        }
        return *this;
    }
    text& hex(std::uint64_t v) noexcept {
        str("0x");
        for (int shift = 60; shift >= 0; shift -= 4) {
            if (_len < _cap) {
                _buf[_len++] = "0123456789abcdef"[(v >> shift) & 0xf];
            }
        }
        return *this;
    }
    // Milliseconds with one decimal.
    text& ms(std::int64_t ns) noexcept {
        if (ns < 0) {
            ns = 0;
        }
        auto tenths = std::uint64_t(ns) / 100'000;
        return dec(tenths / 10).str(".").dec(tenths % 10).str(" ms");
    }
    std::size_t size() const noexcept { return _len; }
    // Leaves room for a final newline.
    bool full() const noexcept { return _len + 1 >= _cap; }
    void end_line() noexcept {
        if (_len == _cap) {
            --_len;
        }
        _buf[_len++] = '\n';
    }
};

// Serializes reports between threads: their text does not interleave, and the
// symbolizer's arena (whose own lock sanitizers cannot see in an uninstrumented
// Abseil) is used by one handler at a time. Taken only inside the handler,
// which cannot nest on one thread (the signal is blocked while it runs), so
// waiting on it always ends.
std::atomic<bool> report_lock{false};

struct report_lock_guard {
    report_lock_guard() noexcept {
        while (report_lock.exchange(true, std::memory_order_acquire)) {
            while (report_lock.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            }
        }
    }
    ~report_lock_guard() { report_lock.store(false, std::memory_order_release); }
};

void write_to_stderr(const char* text, std::size_t len, void*) noexcept {
    while (len) {
        auto n = ::write(2, text, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        text += n;
        len -= std::size_t(n);
    }
}

// Where the signal interrupted the thread.
void* interrupted_pc(const ucontext_t* uc) noexcept {
#if defined(__x86_64__)
    return reinterpret_cast<void*>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
    return reinterpret_cast<void*>(uc->uc_mcontext.pc);
#else
    return nullptr;
#endif
}

void signal_handler(int, siginfo_t*, void* uc) noexcept {
    int saved_errno = errno;
    if (auto d = this_thread_detector) {
        stall_detector_access::report_from_signal(*d, static_cast<const ucontext_t*>(uc));
    }
    errno = saved_errno;
}

// The watchdog thread and the detectors it watches.
class watchdog {
    std::mutex _mutex;
    std::condition_variable _cv;
    std::vector<cpu_stall_detector*> _detectors;
    std::thread _thread;
    bool _stop = false;
    const pid_t _pid = ::getpid();

    std::chrono::nanoseconds period() const {
        auto p = std::chrono::nanoseconds(std::chrono::milliseconds(100));
        for (auto d : _detectors) {
            p = std::min(p, d->threshold() / 4);
        }
        return std::max(p, std::chrono::nanoseconds(std::chrono::milliseconds(1)));
    }

    void run() {
        std::unique_lock<std::mutex> lock(_mutex);
        while (!_stop) {
            auto now = steady_now_ns();
            for (auto d : _detectors) {
                stall_detector_access::check(*d, now, _pid);
            }
            _cv.wait_for(lock, period());
        }
    }

public:
    void add(cpu_stall_detector* d) {
        std::lock_guard<std::mutex> lock(_mutex);
        _detectors.push_back(d);
        if (!_thread.joinable()) {
            _stop = false;
            _thread = std::thread([this] { run(); });
        }
    }
    void remove(cpu_stall_detector* d) {
        std::thread stopped;
        {
            std::lock_guard<std::mutex> lock(_mutex);
            _detectors.erase(std::find(_detectors.begin(), _detectors.end(), d));
            if (_detectors.empty()) {
                _stop = true;
                stopped = std::move(_thread);
            }
        }
        if (stopped.joinable()) {
            _cv.notify_all();
            stopped.join();
        }
    }
};

watchdog& the_watchdog() {
    static watchdog* w = new watchdog(); // never destroyed: detectors may outlive static destructors
    return *w;
}

void install_handler_once() {
    static const int err = [] {
        struct sigaction sa;
        std::memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = &signal_handler;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        return ::sigaction(stall_signal(), &sa, nullptr) == 0 ? 0 : errno;
    }();
    if (err) {
        throw std::system_error(err, std::system_category(), "cpu_stall_detector: sigaction");
    }
}

// Runs once, outside any signal handler, what the symbolizer and the unwinder
// would otherwise set up lazily inside one (arenas, caches, lazy binding).
void warm_up_symbolizer() {
    static const bool done = [] {
        void* frames[4];
        int n = absl::GetStackTrace(frames, 4, 0);
        char name[256];
        if (n > 0) {
            (void)absl::Symbolize(frames[0], name, sizeof(name));
        }
        (void)absl::Symbolize(reinterpret_cast<const void*>(&warm_up_symbolizer), name, sizeof(name));
        return true;
    }();
    (void)done;
}

} // namespace

int stall_signal() noexcept {
    return SIGRTMIN + 1;
}

cpu_stall_detector::cpu_stall_detector(const cpu_stall_detector_config& cfg) : _cfg(cfg) {
    if (_cfg.threshold <= std::chrono::nanoseconds(0)) {
        throw std::invalid_argument("cpu_stall_detector: the threshold must be positive");
    }
    if (_cfg.max_reports_per_window == 0 || _cfg.report_window <= std::chrono::nanoseconds(0)) {
        throw std::invalid_argument("cpu_stall_detector: the rate limit must allow at least one report per window");
    }
    if (this_thread_detector) {
        throw std::logic_error("cpu_stall_detector: this thread already has a stall detector");
    }
    if (!_cfg.sink) {
        _cfg.sink = &write_to_stderr;
    }
    _cfg.max_frames = std::clamp(_cfg.max_frames, 1u, 128u);
    std::size_t n = 0;
    for (const char* s = _cfg.name ? _cfg.name : ""; *s && n + 1 < sizeof(_name); ++s) {
        _name[n++] = *s;
    }
    _name[n] = '\0';
    _cfg.name = _name;
    _tid = int(::syscall(SYS_gettid));
    _window_start_ns = steady_now_ns();

    warm_up_symbolizer();
    install_handler_once();
    this_thread_report_buffer = new char[report_buffer_size];
    this_thread_detector = this;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    try {
        the_watchdog().add(this);
    } catch (...) {
        this_thread_detector = nullptr;
        delete[] this_thread_report_buffer;
        this_thread_report_buffer = nullptr;
        throw;
    }
}

cpu_stall_detector::~cpu_stall_detector() {
    // A signal already on its way finds no detector and does nothing.
    this_thread_detector = nullptr;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    the_watchdog().remove(this);
    delete[] this_thread_report_buffer;
    this_thread_report_buffer = nullptr;
}

void stall_detector_access::check(cpu_stall_detector& d, std::int64_t now_ns, pid_t pid) noexcept {
    auto seq = d._seq.load(std::memory_order_acquire);
    if (seq % 2 == 0) {
        return; // idle
    }
    auto started = d._run_started_ns.load(std::memory_order_acquire);
    if (d._seq.load(std::memory_order_relaxed) != seq) {
        return; // that run just ended; the start time may belong to the next one
    }
    const std::int64_t threshold = d._cfg.threshold.count();
    if (seq != d._watched_seq) {
        d._watched_seq = seq;
        d._next_report_ns = threshold;
    }
    const std::int64_t elapsed = now_ns - started;
    if (elapsed < d._next_report_ns) {
        return;
    }
    // Next report at the next power-of-two multiple of the threshold (a late
    // watchdog skips the points it missed rather than reporting in a burst).
    while (d._next_report_ns <= elapsed) {
        d._next_report_ns *= 2;
    }
    if (now_ns - d._window_start_ns >= d._cfg.report_window.count()) {
        d._window_start_ns = now_ns;
        d._reports_in_window = 0;
    }
    if (d._reports_in_window >= d._cfg.max_reports_per_window) {
        d._suppressed_pending.fetch_add(1, std::memory_order_relaxed);
        d._suppressed_total.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    ++d._reports_in_window;
    d._signalled_started_ns.store(started, std::memory_order_relaxed);
    d._signalled_seq.store(seq, std::memory_order_release);
    ::syscall(SYS_tgkill, pid, d._tid, stall_signal());
}

void stall_detector_access::report_from_signal(cpu_stall_detector& d, const ucontext_t* uc) noexcept {
    auto seq = d._signalled_seq.load(std::memory_order_acquire);
    if (seq != d._seq.load(std::memory_order_relaxed)) {
        return; // the stalled run ended before the signal arrived
    }
    const std::int64_t elapsed = steady_now_ns() - d._signalled_started_ns.load(std::memory_order_relaxed);

    // Frame 0 is where the signal interrupted the code; the unwinder then walks
    // from this handler through the signal frame into the stalled code's
    // callers. Skipped: this function and the kernel's signal trampoline.
    constexpr int max_frames = 128;
    void* frames[max_frames + 1];
    int n = 0;
    const bool have_pc = uc && interrupted_pc(uc);
    if (have_pc) {
        frames[n++] = interrupted_pc(uc);
    }
    n += absl::GetStackTrace(frames + n, int(d._cfg.max_frames) - n + 1, 2);
    n = std::min(n, int(d._cfg.max_frames));

    char* buf = this_thread_report_buffer;
    if (!buf) {
        return;
    }
    report_lock_guard guard;
    text out(buf, report_buffer_size);
    out.str("Reactor stalled for ").ms(elapsed).str(" on ").str(d._name).str(" (thread ").dec(std::uint64_t(d._tid));
    out.str("), threshold ").ms(d._cfg.threshold.count());
    auto suppressed = d._suppressed_pending.exchange(0, std::memory_order_relaxed);
    if (suppressed) {
        out.str("; ")
            .dec(suppressed)
            .str(suppressed == 1 ? " report" : " reports")
            .str(" suppressed since the last one");
    }
    out.str(". Backtrace:");
    out.end_line();
    for (int i = 0; i < n && !out.full(); ++i) {
        auto pc = reinterpret_cast<std::uintptr_t>(frames[i]);
        char name[1024];
        // Return addresses point after the call: look up the call itself.
        const void* lookup = reinterpret_cast<const void*>(i == 0 && have_pc ? pc : pc - 1);
        out.str("  #").dec(std::uint64_t(i)).str(i < 10 ? "  " : " ").hex(pc);
        if (absl::Symbolize(lookup, name, sizeof(name))) {
            out.str(" in ").str(name);
        } else {
            out.str(" in ??");
        }
        out.end_line();
    }
    d._cfg.sink(buf, out.size(), d._cfg.sink_arg);
    d._reports.fetch_add(1, std::memory_order_relaxed);
}

} // namespace seastar::internal
