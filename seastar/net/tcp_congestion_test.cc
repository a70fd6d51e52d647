#include "seastar/net/tcp_congestion.hh"

#include <gtest/gtest.h>

#include <cmath>

namespace seastar::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

constexpr uint32_t mss = 1000;

// Acknowledges one window's worth of segments at time `now`.
void ack_one_rtt(tcp_congestion_control& cc, nanoseconds now, nanoseconds rtt) {
    uint32_t segs = cc.cwnd() / mss;
    for (uint32_t i = 0; i < segs; ++i) {
        cc.on_ack(mss, cc.cwnd(), now, rtt);
    }
}

void grow_to(tcp_congestion_control& cc, uint32_t bytes) {
    while (cc.cwnd() < bytes) {
        cc.on_ack(mss, cc.cwnd(), nanoseconds(0), nanoseconds(0));
    }
}

TEST(tcp_congestion, initial_window_per_rfc_5681) {
    EXPECT_EQ(make_tcp_congestion_control(tcp_congestion_algorithm::newreno, 1460)->cwnd(), 4380u);
    EXPECT_EQ(make_tcp_congestion_control(tcp_congestion_algorithm::newreno, 536)->cwnd(), 4 * 536u);
    EXPECT_EQ(make_tcp_congestion_control(tcp_congestion_algorithm::cubic, 3000)->cwnd(), 6000u);
}

TEST(tcp_congestion, newreno_slow_start_then_linear_growth) {
    auto cc = make_tcp_congestion_control(tcp_congestion_algorithm::newreno, mss);
    EXPECT_TRUE(cc->in_slow_start());
    uint32_t before = cc->cwnd();
    cc->on_ack(5 * mss, before, nanoseconds(0), nanoseconds(0));
    EXPECT_EQ(cc->cwnd(), before + mss); // at most one MSS per ACK
    cc->on_congestion_event(40 * mss, nanoseconds(0));
    EXPECT_EQ(cc->ssthresh(), 20 * mss);
    cc->set_cwnd(20 * mss);
    EXPECT_FALSE(cc->in_slow_start());
    ack_one_rtt(*cc, nanoseconds(0), milliseconds(100));
    EXPECT_EQ(cc->cwnd(), 21 * mss); // one MSS per RTT
    cc->on_timeout(21 * mss, nanoseconds(0));
    EXPECT_EQ(cc->cwnd(), mss);
    EXPECT_EQ(cc->ssthresh(), 21 * mss / 2);
    cc->on_timeout(mss, nanoseconds(0));
    EXPECT_EQ(cc->ssthresh(), 2 * mss); // never below two segments
}

TEST(tcp_congestion, cubic_reduces_by_beta_and_follows_the_cubic_curve) {
    auto cc = make_tcp_congestion_control(tcp_congestion_algorithm::cubic, mss);
    grow_to(*cc, 100 * mss);
    uint32_t w_max = cc->cwnd();
    nanoseconds t0 = milliseconds(1000);
    cc->on_congestion_event(w_max, t0);
    EXPECT_NEAR(cc->ssthresh(), 0.7 * w_max, mss);               // beta_cubic = 0.7
    cc->set_cwnd(cc->ssthresh());                                // end of recovery
    const double k = std::cbrt(w_max / double(mss) * 0.3 / 0.4); // RFC 9438 (2): about 4.2 s
    const auto rtt = milliseconds(100);
    uint32_t first_growth = 0, growth_near_k = 0;
    uint32_t at_half_k = 0, at_k = 0;
    for (int i = 0; i < 80; ++i) {
        double t = i * 0.1;
        uint32_t before = cc->cwnd();
        ack_one_rtt(*cc, t0 + std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(t)), rtt);
        uint32_t growth = cc->cwnd() - before;
        EXPECT_LE(cc->cwnd(), before * 3 / 2 + mss); // at most 1.5x per RTT
        if (i == 0) {
            first_growth = growth;
        }
        if (std::abs(t - k) < 0.05) {
            growth_near_k = growth;
            at_k = cc->cwnd();
        }
        if (std::abs(t - k / 2) < 0.05) {
            at_half_k = cc->cwnd();
        }
    }
    EXPECT_GT(at_half_k, cc->ssthresh());
    EXPECT_LT(at_half_k, w_max);             // concave: still below W_max
    EXPECT_NEAR(at_k, w_max, 5 * mss);       // plateau at W_max around K
    EXPECT_LT(growth_near_k, first_growth);  // growth slows near W_max
    EXPECT_GT(cc->cwnd(), w_max + 10 * mss); // convex probing beyond K
    cc->on_timeout(cc->cwnd(), t0);
    EXPECT_EQ(cc->cwnd(), mss);
}

TEST(tcp_congestion, cubic_fast_convergence_lowers_w_max) {
    // A second loss below the previous W_max releases bandwidth: the window
    // returns to a lower plateau, so after the same time it is smaller
    // than without fast convergence (measured against a fresh controller).
    auto a = make_tcp_congestion_control(tcp_congestion_algorithm::cubic, mss);
    auto b = make_tcp_congestion_control(tcp_congestion_algorithm::cubic, mss);
    grow_to(*a, 100 * mss);
    grow_to(*b, 80 * mss);
    a->on_congestion_event(a->cwnd(), nanoseconds(0));
    a->set_cwnd(80 * mss); // a then loses again at 80 segments: below its W_max of 100
    a->on_congestion_event(a->cwnd(), nanoseconds(0));
    b->on_congestion_event(b->cwnd(), nanoseconds(0));
    EXPECT_EQ(a->ssthresh(), b->ssthresh());
    a->set_cwnd(a->ssthresh());
    b->set_cwnd(b->ssthresh());
    for (int i = 0; i < 30; ++i) {
        auto now = milliseconds(100 * i);
        ack_one_rtt(*a, now, milliseconds(100));
        ack_one_rtt(*b, now, milliseconds(100));
    }
    EXPECT_LT(a->cwnd(), b->cwnd());
}

} // namespace
} // namespace seastar::net
