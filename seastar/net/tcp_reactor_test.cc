// net::tcp (steady_clock) inside a reactor: the real timers drive delayed
// ACKs, retransmission after a lost segment and TIME_WAIT. Two instances
// exchange segments through in-process queues drained by the test.
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "seastar/core/coroutine.hh"
#include "seastar/core/sleep.hh"
#include "seastar/net/tcp.hh"
#include "seastar/net/tcp_test_util.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar::net {
namespace {

struct queue_l3 final : tcp_l3 {
    struct item {
        uint32_t src, dst;
        std::string bytes;
    };
    std::deque<item> q;
    unsigned data_segments = 0;
    unsigned drop_data_segment = 0; // drop the n-th data segment (1-based; 0: none)
    void send(uint32_t local, uint32_t remote, packet p) override {
        auto b = testing::bytes_of(p);
        if (b.size() > 60 && ++data_segments == drop_data_segment) {
            return;
        }
        q.push_back({local, remote, std::move(b)});
    }
    uint16_t mtu(uint32_t) const noexcept override { return 1500; }
    void deliver(tcp& to) {
        auto items = std::move(q);
        q.clear();
        for (auto& i : items) {
            to.received(packet(i.bytes.data(), i.bytes.size()), i.src, i.dst);
        }
    }
};

SEASTAR_TEST_CASE(tcp_reactor, transfer_with_a_lost_segment_on_real_timers) {
    tcp_config cfg;
    cfg.time_wait = std::chrono::milliseconds(100);
    cfg.min_rto = std::chrono::milliseconds(50);
    queue_l3 la, lb;
    la.drop_data_segment = 3;
    tcp a(la, cfg), b(lb, cfg);
    auto l = b.listen(0, 80);
    auto fc = a.connect(testing::ip_a, testing::ip_b, 80);
    auto fa = l.accept();
    std::string msg(300000, 'q');
    for (std::size_t i = 0; i < msg.size(); ++i) {
        msg[i] = char('a' + i % 23);
    }
    std::string got;
    std::optional<tcp::connection> ca, cb;
    bool sent = false;
    for (int i = 0; i < 20000; ++i) { // bounded: at most about 20 s
        la.deliver(b);
        lb.deliver(a);
        if (!ca && fc.available()) {
            ca.emplace(fc.get());
        }
        if (!cb && fa.available()) {
            cb.emplace(fa.get());
        }
        if (ca && !sent) {
            sent = true;
            co_await ca->send(packet(msg.data(), msg.size()));
            ca->shutdown_output();
        }
        if (cb) {
            auto p = cb->read();
            got += testing::bytes_of(p);
            if (cb->eof()) {
                cb->close();
            }
        }
        if (cb && cb->eof() && a.connection_count() == 0 && b.connection_count() == 0) {
            break;
        }
        co_await sleep(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(got.size(), msg.size());
    EXPECT_TRUE(got == msg);
    EXPECT_GE(a.stats().retransmitted_segments, 1u);
    EXPECT_EQ(a.connection_count(), 0u); // TIME_WAIT expired on the real clock
    EXPECT_EQ(b.connection_count(), 0u);
}

} // namespace
} // namespace seastar::net
