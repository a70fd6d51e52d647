// Two TCP instances back to back through an in-memory wire that drops,
// duplicates and reorders a share of the segments (from a seed), on
// manual_clock: the bytes arrive intact and in order, both ways at once.
#include <gtest/gtest.h>

#include <cstring>

#include "seastar/net/tcp.hh"
#include "seastar/net/tcp_test_util.hh"

namespace seastar::net {
namespace {

using namespace testing;

uint64_t fnv(uint64_t h, const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        h = (h ^ uint8_t(p[i])) * 0x100000001b3ull;
    }
    return h;
}

// Deterministic content: byte i of a stream is a function of (stream, i).
char content(int stream, uint64_t i) {
    return char((i * 131 + (i >> 9) * 7 + stream * 29) & 0xff);
}

struct endpoint {
    mtcp::connection conn;
    int stream;
    uint64_t total;
    uint64_t sent = 0;
    std::optional<future<>> pending;
    bool shut = false;
    uint64_t received = 0;
    uint64_t hash_in = 0xcbf29ce484222325ull;
    bool failed = false;
    std::string error;

    void pump() {
        if (failed) {
            return;
        }
        try {
            if (pending && pending->available()) {
                std::exchange(pending, std::nullopt)->get();
            }
            while (!pending && sent < total) {
                std::size_t n = std::min<uint64_t>(total - sent, 20000);
                temporary_buffer<char> b(n);
                for (std::size_t i = 0; i < n; ++i) {
                    b.get_write()[i] = content(stream, sent + i);
                }
                sent += n;
                auto f = conn.send(packet(std::move(b)));
                if (!f.available()) {
                    pending.emplace(std::move(f));
                } else {
                    f.get();
                }
            }
            if (!pending && sent == total && !shut) {
                shut = true;
                conn.shutdown_output();
            }
            auto p = conn.read();
            for (auto f : p.fragments()) {
                hash_in = fnv(hash_in, f.base, f.size);
                received += f.size;
            }
        } catch (const std::exception& e) {
            failed = true;
            error = e.what();
        }
    }
};

uint64_t expected_hash(int stream, uint64_t total) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < total; ++i) {
        char c = content(stream, i);
        h = fnv(h, &c, 1);
    }
    return h;
}

tcp_config test_config(tcp_congestion_algorithm cc) {
    tcp_config cfg;
    cfg.congestion = cc;
    cfg.min_rto = std::chrono::milliseconds(20);
    cfg.initial_rto = std::chrono::milliseconds(100);
    cfg.time_wait = std::chrono::milliseconds(500);
    cfg.receive_buffer = 256 * 1024;
    cfg.send_buffer = 256 * 1024;
    cfg.data_retries = 30;
    return cfg;
}

struct transfer_result {
    endpoint a, b;
    tcp_stats sa, sb;
    wire* w;
};

void transfer(wire_faults faults, tcp_congestion_algorithm cc, uint64_t bytes, uint32_t tso_max = 0) {
    local_scheduler sched;
    wire w(faults);
    w.tso_max = tso_max;
    mtcp ta(w.a, test_config(cc));
    mtcp tb(w.b, test_config(cc));
    w.tcp[0] = &ta;
    w.tcp[1] = &tb;
    auto l = tb.listen(ip_b, 5000);
    auto fc = ta.connect(ip_a, ip_b, 5000);
    auto fa = l.accept();
    ASSERT_TRUE(w.run(sched, [&] { return fc.available() && fa.available(); }, 60000));
    endpoint a{fc.get(), 0, bytes};
    endpoint b{fa.get(), 1, bytes};
    // Both ends negotiated timestamps and window scaling (256 KiB buffers: shift 3).
    EXPECT_TRUE(a.conn.timestamps_enabled());
    EXPECT_EQ(a.conn.send_window_scale(), 3);
    EXPECT_EQ(b.conn.send_window_scale(), 3);
    EXPECT_EQ(a.conn.send_mss(), 1460 - 12);
    bool done = w.run(
        sched,
        [&] {
            a.pump();
            b.pump();
            return a.failed || b.failed || (a.received == bytes && b.received == bytes && a.conn.eof() && b.conn.eof());
        },
        2000000);
    ASSERT_FALSE(a.failed) << a.error << " sent " << a.sent << " received " << a.received;
    ASSERT_FALSE(b.failed) << b.error << " sent " << b.sent << " received " << b.received;
    ASSERT_TRUE(done) << "a got " << a.received << " b got " << b.received;
    EXPECT_EQ(a.hash_in, expected_hash(1, bytes));
    EXPECT_EQ(b.hash_in, expected_hash(0, bytes));
    // Both close; the active closer lingers in TIME_WAIT, then both tables empty.
    a.conn.close();
    b.conn.close();
    ASSERT_TRUE(w.run(sched, [&] { return ta.connection_count() == 0 && tb.connection_count() == 0; }, 100000));
    if (faults.loss > 0) {
        EXPECT_GT(ta.stats().retransmitted_segments + tb.stats().retransmitted_segments, 0u);
        EXPECT_GT(w.frames_lost, 0u);
    }
    if (faults.duplicate > 0 || faults.reorder > 0) {
        EXPECT_GT(w.frames_duplicated + w.frames_reordered, 0u);
    }
    EXPECT_EQ(ta.stats().drops_for(tcp_drop_reason::bad_checksum), 0u);
    if (tso_max == 0) {
        EXPECT_TRUE(w.large_segments.empty());
        return;
    }
    // Segments of several MSS went down, never above what the device takes.
    EXPECT_GT(w.large_segments.size(), 10u);
    for (auto& s : w.large_segments) {
        EXPECT_EQ(s.mss, 1460 - 12);
        EXPECT_GT(s.payload, s.mss);
        EXPECT_LE(s.payload + 32, tso_max);
    }
}

constexpr uint64_t mb = 1 << 20;

TEST(tcp_transfer, clean_wire_both_ways) {
    transfer({}, tcp_congestion_algorithm::newreno, 2 * mb);
}

// A device that cuts segments (TSO): TCP hands it up to 64 KiB at a time,
// on a clean wire and on a lossy one (retransmissions are single segments).
TEST(tcp_transfer, segmentation_offload_clean_and_lossy) {
    transfer({}, tcp_congestion_algorithm::cubic, 4 * mb, 65515);
    transfer({7, 0.02, 0.02, 0.02}, tcp_congestion_algorithm::newreno, 2 * mb, 65515);
}

class tcp_faulty : public ::testing::TestWithParam<std::tuple<uint64_t, tcp_congestion_algorithm>> {};

TEST_P(tcp_faulty, five_percent_loss_duplication_reordering) {
    auto [seed, cc] = GetParam();
    transfer({seed, 0.05, 0.05, 0.05}, cc, 2 * mb);
}

INSTANTIATE_TEST_SUITE_P(seeds, tcp_faulty,
                         ::testing::Combine(::testing::Values(1, 2, 3),
                                            ::testing::Values(tcp_congestion_algorithm::newreno,
                                                              tcp_congestion_algorithm::cubic)));

} // namespace
} // namespace seastar::net
