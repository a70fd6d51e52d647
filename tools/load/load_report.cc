#include "tools/load/load_report.hh"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <iostream>
#include <utility>

#include <fmt/format.h>

#include "seastar/core/coroutine.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"

namespace seastar::load {

app_template::config app_config(std::string name, std::string description) {
    app_template::config cfg;
    cfg.name = std::move(name);
    cfg.description = std::move(description);
    cfg.default_smp = 1;
    cfg.default_overprovisioned = true;
    return cfg;
}

unsigned latency_histogram::bucket(uint64_t v) noexcept {
    if (v < sub) {
        return unsigned(v);
    }
    unsigned e = 63 - unsigned(std::countl_zero(v)); // >= sub_bits
    unsigned m = unsigned(v >> (e - sub_bits)) & (sub - 1);
    return (e - sub_bits + 1) * sub + m;
}

uint64_t latency_histogram::bucket_floor(unsigned i) noexcept {
    if (i < sub) {
        return i;
    }
    unsigned e = i / sub + sub_bits - 1;
    uint64_t m = i % sub;
    return (uint64_t(sub) | m) << (e - sub_bits);
}

void latency_histogram::add(uint64_t ns, uint64_t n) noexcept {
    _b[bucket(ns)] += n;
    _count += n;
    _max = std::max(_max, ns);
}

void latency_histogram::merge(const latency_histogram& o) noexcept {
    for (size_t i = 0; i < _b.size(); ++i) {
        _b[i] += o._b[i];
    }
    _count += o._count;
    _max = std::max(_max, o._max);
}

double latency_histogram::percentile_us(double p) const noexcept {
    if (!_count) {
        return 0;
    }
    auto want = std::max<uint64_t>(1, uint64_t(std::ceil(std::clamp(p, 0.0, 1.0) * double(_count))));
    uint64_t seen = 0;
    for (size_t i = 0; i < _b.size(); ++i) {
        seen += _b[i];
        if (seen >= want && _b[i]) {
            return double(std::min(bucket_floor(unsigned(i)), _max)) / 1e3;
        }
    }
    return double(_max) / 1e3;
}

namespace {
thread_local uint64_t answered = 0;
thread_local bool stop_now = false;
std::atomic<uint64_t> answered_total{0};
} // namespace

bool count_answered(uint64_t n, uint64_t max_requests) noexcept {
    answered += n;
    if (max_requests && answered_total.fetch_add(n, std::memory_order_relaxed) + n >= max_requests) {
        stop_now = true;
    }
    return stop_now;
}

bool stopping_here() noexcept {
    return stop_now;
}

future<> report_progress(const bool& running, clock::time_point start, std::string name, std::string unit,
                         std::string what) {
    uint64_t last = 0;
    auto last_t = start;
    while (running) {
        co_await seastar::sleep(std::chrono::seconds(1));
        if (!running) {
            break;
        }
        uint64_t total = 0;
        for (unsigned s = 0; s < smp::count; ++s) {
            total += co_await smp::submit_to(s, [] { return answered; });
        }
        auto t = clock::now();
        double secs = std::chrono::duration<double>(t - last_t).count();
        std::cerr << fmt::format("{}: {:.0f}s {:.0f} {}/s ({} {})\n", name,
                                 std::chrono::duration<double>(t - start).count(), double(total - last) / secs, unit,
                                 total, what);
        last = total;
        last_t = t;
    }
}

unsigned connections_here(unsigned total) noexcept {
    unsigned me = this_shard_id();
    return total / smp::count + (me < total % smp::count ? 1 : 0);
}

} // namespace seastar::load
