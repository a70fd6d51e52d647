#include "tools/load/load_report.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace seastar::load {
namespace {

TEST(latency_histogram, empty_reports_zero) {
    latency_histogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.percentile_us(0.5), 0.0);
    EXPECT_EQ(h.max_us(), 0.0);
}

TEST(latency_histogram, buckets_cover_every_value_in_order) {
    for (uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 127ull, 128ull, 1000ull, 123456789ull, ~0ull}) {
        auto b = latency_histogram::bucket(v);
        EXPECT_LE(latency_histogram::bucket_floor(b), v) << v;
        // Within 1/64 below the value.
        EXPECT_GE(double(latency_histogram::bucket_floor(b)), double(v) * (1 - 1.0 / 64)) << v;
        if (v) {
            EXPECT_LE(latency_histogram::bucket(v - 1), b);
        }
    }
}

// Percentiles of a known sample agree with the exact ones within the
// histogram's resolution, and merging two halves gives the whole.
TEST(latency_histogram, percentiles_match_the_sorted_samples) {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> d(11, 1.2); // around 60 us, long tail
    std::vector<uint64_t> v(100000);
    latency_histogram a, b, whole;
    for (size_t i = 0; i < v.size(); ++i) {
        v[i] = uint64_t(d(rng));
        (i % 2 ? a : b).add(v[i]);
        whole.add(v[i]);
    }
    a.merge(b);
    std::sort(v.begin(), v.end());
    for (double p : {0.5, 0.9, 0.99, 0.999}) {
        double exact = double(v[size_t(std::ceil(p * double(v.size()))) - 1]) / 1e3;
        EXPECT_LE(whole.percentile_us(p), exact) << p;
        EXPECT_GE(whole.percentile_us(p), exact * (1 - 1.0 / 64)) << p;
        EXPECT_EQ(a.percentile_us(p), whole.percentile_us(p)) << p;
    }
    EXPECT_EQ(a.count(), v.size());
    EXPECT_EQ(whole.max_us(), double(v.back()) / 1e3);
    EXPECT_LE(whole.percentile_us(1.0), whole.max_us());
}

TEST(latency_histogram, weighted_adds_count_each_request) {
    latency_histogram h;
    h.add(1000, 8); // a batch of 8 pipelined requests, one latency
    h.add(2000000);
    EXPECT_EQ(h.count(), 9u);
    EXPECT_NEAR(h.percentile_us(0.5), 1.0, 1.0 / 64);
    EXPECT_NEAR(h.percentile_us(1.0), 2000.0, 2000.0 / 64);
}

} // namespace
} // namespace seastar::load
