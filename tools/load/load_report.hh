// What the load generators (memcached_load, seawreck, ...) share: a latency
// histogram, the per-shard count of answered requests with a progress line
// read from it, and how connections are spread over the shards.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "seastar/core/app-template.hh"
#include "seastar/core/future.hh"

namespace seastar::load {

using clock = std::chrono::steady_clock;

// app_template's configuration for a load generator: it shares the machine
// with what it measures, so by default one shard that neither pins nor spins,
// unless --smp, --cpuset or --poll-mode say otherwise.
app_template::config app_config(std::string name, std::string description);

// Latencies in nanoseconds, log-linear: 64 buckets per power of two (a value
// is reported at most 1/64 below what was recorded), from 0 to 2^64 ns.
class latency_histogram {
public:
    static constexpr unsigned sub_bits = 6;
    static constexpr unsigned sub = 1u << sub_bits;

    void add(uint64_t ns, uint64_t n = 1) noexcept;
    void merge(const latency_histogram& o) noexcept;
    uint64_t count() const noexcept { return _count; }
    // The latency at or below which a share p (0..1) of the samples fall, in
    // microseconds (0 without samples).
    double percentile_us(double p) const noexcept;
    double max_us() const noexcept { return double(_max) / 1e3; }

    // The bucket of a value and the smallest value of a bucket.
    static unsigned bucket(uint64_t ns) noexcept;
    static uint64_t bucket_floor(unsigned i) noexcept;

private:
    std::array<uint64_t, (64 - sub_bits + 1) * sub> _b{};
    uint64_t _max = 0;
    uint64_t _count = 0;
};

// Counts `n` more requests answered on this shard. With a budget
// (max_requests > 0, over all shards together) returns true once it is
// spent, and from then on stopping_here() is true on this shard.
bool count_answered(uint64_t n, uint64_t max_requests) noexcept;
bool stopping_here() noexcept;

// From shard 0: a line each second on stderr, "<name>: 3s 123456 <unit>/s
// (N <what>)", summing count_answered() over the shards, until `running`
// turns false.
future<> report_progress(const bool& running, clock::time_point start, std::string name, std::string unit,
                         std::string what);

// How many of `total` connections this shard opens (spread evenly, the
// first shards taking one more when they do not divide).
unsigned connections_here(unsigned total) noexcept;

} // namespace seastar::load
