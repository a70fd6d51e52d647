// fault_device: the same seed damages the same frames; shares are honoured;
// the sender's bytes are never changed; bad options are refused.
#include "seastar/net/fault-device.hh"

#include <gtest/gtest.h>

#include <stdexcept>

#include "seastar/core/coroutine.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/sleep.hh"
#include "seastar/net/net_test_util.hh"
#include "seastar/testing/seastar_test.hh"

namespace seastar::net {
namespace {

using testing::capture_device;
using testing::eth_frame;
using testing::flatten;

const ethernet_address us{{0x02, 0, 0, 0, 0, 0x01}};

std::string numbered_frame(int i) {
    return eth_frame(us, us, 0x0800, "frame-" + std::to_string(i) + std::string(40, '.'));
}

// Sends n frames through a fault device over a capture device; returns what came out.
std::vector<std::string> run_tx(fault_options o, int n, fault_stats* stats = nullptr) {
    local_scheduler sched;
    auto inner = std::make_shared<capture_device>(us);
    auto dev = make_fault_device(inner, o);
    auto q = dev->make_queue(0);
    for (int i = 0; i < n; ++i) {
        auto f = numbered_frame(i);
        q->send(frame{packet(f.data(), f.size()), {}});
        if (i % 10 == 9) {
            sched.run_until_idle(); // bursts of 10
        }
    }
    sched.run_until_idle();
    if (stats) {
        *stats = dev->tx_stats();
    }
    return inner->sent();
}

TEST(fault_device, same_seed_same_damage) {
    fault_options o{.seed = 42, .tx = {.drop = 0.1, .corrupt = 0.1, .duplicate = 0.1, .reorder = 0.1}};
    auto a = run_tx(o, 1000);
    auto b = run_tx(o, 1000);
    EXPECT_EQ(a, b);
    o.seed = 43;
    EXPECT_NE(run_tx(o, 1000), a);
}

TEST(fault_device, shares_are_honoured) {
    fault_stats s;
    fault_options o{.seed = 5, .tx = {.drop = 0.05, .corrupt = 0.05, .duplicate = 0.05, .reorder = 0.05}};
    auto out = run_tx(o, 10000, &s);
    EXPECT_EQ(s.frames, 10000u);
    for (auto v : {s.dropped, s.corrupted, s.duplicated, s.reordered}) {
        // 500 expected; a fixed seed makes this exact run to run.
        EXPECT_GT(v, 400u);
        EXPECT_LT(v, 600u);
    }
    EXPECT_EQ(out.size(), 10000u - s.dropped + s.duplicated);
    // Out of order: some frame comes after one numbered higher.
    std::size_t inversions = 0;
    for (std::size_t i = 1; i < out.size(); ++i) {
        if (out[i] < out[i - 1] && out[i].size() == out[i - 1].size()) {
            ++inversions;
        }
    }
    EXPECT_GT(inversions, 0u);
}

TEST(fault_device, clean_config_passes_everything_in_order) {
    auto out = run_tx(fault_options{}, 100);
    ASSERT_EQ(out.size(), 100u);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(out[i], numbered_frame(i));
    }
}

TEST(fault_device, corruption_copies_and_flips_one_bit_after_the_ethernet_header) {
    local_scheduler sched;
    auto inner = std::make_shared<capture_device>(us);
    auto dev = make_fault_device(inner, fault_options{.seed = 1, .tx = {.corrupt = 1}});
    auto q = dev->make_queue(0);
    std::string original = numbered_frame(1);
    std::string arp = eth_frame(us, us, 0x0806, std::string(28, 'a'));
    std::string bytes = original;
    q->send(frame{packet::from_static_data(bytes.data(), bytes.size()), {}});
    q->send(frame{packet(arp.data(), arp.size()), {}});
    sched.run_until_idle();
    EXPECT_EQ(bytes, original); // the sender's buffer is untouched
    ASSERT_EQ(inner->sent().size(), 2u);
    auto& got = inner->sent()[0];
    ASSERT_EQ(got.size(), original.size());
    EXPECT_EQ(got.substr(0, 14), original.substr(0, 14));
    int bits = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        bits += __builtin_popcount(uint8_t(got[i] ^ original[i]));
    }
    EXPECT_EQ(bits, 1);
    EXPECT_EQ(inner->sent()[1], arp); // not IPv4: left alone
    EXPECT_EQ(dev->tx_stats().corrupted, 1u);
}

TEST(fault_device, receive_direction_has_its_own_faults) {
    local_scheduler sched;
    auto inner = std::make_shared<capture_device>(us);
    auto dev = make_fault_device(inner, fault_options{.seed = 9, .rx = {.drop = 0.5}});
    auto q = dev->make_queue(0);
    int got = 0;
    q->receive([&](frame) { ++got; });
    for (int i = 0; i < 200; ++i) {
        inner->inject(numbered_frame(i));
    }
    sched.run_until_idle();
    EXPECT_EQ(uint64_t(got), 200u - dev->rx_stats().dropped);
    EXPECT_GT(dev->rx_stats().dropped, 60u);
    EXPECT_LT(dev->rx_stats().dropped, 140u);
    EXPECT_EQ(dev->tx_stats().frames, 0u);
}

TEST(fault_device, bad_shares_are_refused) {
    auto inner = std::make_shared<capture_device>(us);
    EXPECT_THROW(make_fault_device(inner, fault_options{.tx = {.drop = -0.1}}), std::invalid_argument);
    EXPECT_THROW(make_fault_device(inner, fault_options{.rx = {.corrupt = 1.5}}), std::invalid_argument);
    EXPECT_THROW(make_fault_device(inner, fault_options{.tx = {.drop = 0.6, .delay = 0.6}}), std::invalid_argument);
}

SEASTAR_TEST_CASE(fault_device_timer, delayed_frames_arrive_later_in_order) {
    auto inner = std::make_shared<capture_device>(us);
    auto dev = make_fault_device(
        inner, fault_options{.seed = 3, .tx = {.delay = 1, .delay_time = std::chrono::milliseconds(2)}});
    auto q = dev->make_queue(0);
    for (int i = 0; i < 5; ++i) {
        auto f = numbered_frame(i);
        q->send(frame{packet(f.data(), f.size()), {}});
    }
    co_await seastar::sleep(std::chrono::milliseconds(0));
    EXPECT_EQ(dev->tx_stats().delayed, 5u);
    for (int i = 0; i < 1000 && inner->sent().size() < 5; ++i) {
        co_await seastar::sleep(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(inner->sent().size(), 5u);
    for (std::size_t i = 0; i < inner->sent().size(); ++i) {
        EXPECT_EQ(inner->sent()[i], numbered_frame(int(i)));
    }
}

} // namespace
} // namespace seastar::net
