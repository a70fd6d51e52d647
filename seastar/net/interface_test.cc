// The Ethernet layer: addresses, header parsing, and what interface drops.
#include "seastar/net/interface.hh"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "seastar/net/net_test_util.hh"

namespace seastar::net {
namespace {

using testing::capture_device;
using testing::eth_frame;
using testing::flatten;

const ethernet_address us{{0x02, 0, 0, 0, 0, 0x01}};
const ethernet_address peer{{0x02, 0, 0, 0, 0, 0x99}};

TEST(ethernet_address, parse_and_print) {
    auto a = ethernet_address::parse("02:00:5E:10:00:ff");
    EXPECT_EQ(a.to_string(), "02:00:5e:10:00:ff");
    EXPECT_FALSE(a.is_multicast());
    EXPECT_TRUE(ethernet_address::broadcast().is_broadcast());
    EXPECT_TRUE(ethernet_address::parse("01:00:5e:00:00:01").is_multicast());
    for (auto bad : {"", "02:00:5e:10:00", "02:00:5e:10:00:fg", "02-00-5e-10-00-ff", "02:00:5e:10:00:ff:"}) {
        EXPECT_THROW(ethernet_address::parse(bad), std::invalid_argument) << bad;
    }
}

struct rig {
    local_scheduler sched;
    std::shared_ptr<capture_device> dev = std::make_shared<capture_device>(us);
    interface iface{dev->make_queue(0), dev->hw_address(), dev->hw_features()};
    std::vector<std::pair<std::string, ethernet_address>> arp_got;
    std::vector<std::string> ip_got;
    rig() {
        iface.register_l3(eth_protocol_num::arp, [this](packet p, ethernet_address from, const offload_info&) {
            arp_got.emplace_back(flatten(p), from);
        });
        iface.register_l3(eth_protocol_num::ipv4,
                          [this](packet p, ethernet_address, const offload_info&) { ip_got.push_back(flatten(p)); });
    }
};

TEST(interface, dispatches_by_ethertype_and_strips_the_header) {
    rig r;
    r.dev->inject(eth_frame(us, peer, 0x0806, "arp-bytes"));
    r.dev->inject(eth_frame(ethernet_address::broadcast(), peer, 0x0800, "ip-bytes"));
    ASSERT_EQ(r.arp_got.size(), 1u);
    EXPECT_EQ(r.arp_got[0].first, "arp-bytes");
    EXPECT_EQ(r.arp_got[0].second, peer);
    ASSERT_EQ(r.ip_got.size(), 1u);
    EXPECT_EQ(r.ip_got[0], "ip-bytes");
    EXPECT_EQ(r.iface.stats().rx_frames, 2u);
}

TEST(interface, drops_and_counts_bad_frames) {
    rig r;
    // Every truncation of a header.
    std::string full = eth_frame(us, peer, 0x0800, "");
    for (std::size_t n = 0; n < 14; ++n) {
        r.dev->inject(full.substr(0, n));
    }
    EXPECT_EQ(r.iface.stats().rx_dropped_short, 14u);
    r.dev->inject(eth_frame(peer, us, 0x0800, "x"));                                           // another host's
    r.dev->inject(eth_frame(ethernet_address::parse("01:00:5e:00:00:01"), peer, 0x0800, "x")); // multicast
    EXPECT_EQ(r.iface.stats().rx_dropped_not_for_us, 2u);
    r.dev->inject(eth_frame(us, peer, 0x86dd, "x")); // IPv6: not registered
    r.dev->inject(eth_frame(us, peer, 0x1234, "x"));
    EXPECT_EQ(r.iface.stats().rx_dropped_unknown_proto, 2u);
    EXPECT_TRUE(r.ip_got.empty());
    EXPECT_TRUE(r.arp_got.empty());
}

TEST(interface, sends_with_header_in_one_batch) {
    rig r;
    r.iface.send(eth_protocol_num::ipv4, peer, packet("hello", 5));
    r.iface.send(eth_protocol_num::arp, ethernet_address::broadcast(), packet("bye", 3));
    EXPECT_TRUE(r.dev->sent().empty()); // sent after the current task
    r.sched.run_until_idle();
    ASSERT_EQ(r.dev->sent().size(), 2u);
    EXPECT_EQ(r.dev->sent()[0], eth_frame(peer, us, 0x0800, "hello"));
    EXPECT_EQ(r.dev->sent()[1], eth_frame(ethernet_address::broadcast(), us, 0x0806, "bye"));
    EXPECT_EQ(r.iface.queue().stats().tx_batches, 1u);
    EXPECT_EQ(r.iface.queue().stats().tx_frames, 2u);
}

TEST(interface, a_full_batch_is_sent_at_once) {
    rig r;
    for (std::size_t i = 0; i < qp::tx_batch; ++i) {
        r.iface.send(eth_protocol_num::ipv4, peer, packet("x", 1));
    }
    EXPECT_EQ(r.dev->sent().size(), qp::tx_batch);
    r.sched.run_until_idle();
    EXPECT_EQ(r.dev->sent().size(), qp::tx_batch);
}

// A queue whose device answers from inside send_batch(), as a peer wired
// back to back does: the answer is queued on this same queue while its
// batch is going out.
class answering_qp final : public qp {
public:
    std::vector<std::string> wire;
    bool answered = false;

protected:
    void send_batch(std::vector<frame>& batch) noexcept override {
        for (auto& f : batch) {
            wire.push_back(flatten(f.p));
            if (!answered) {
                answered = true;
                for (std::size_t i = 0; i < qp::tx_batch; ++i) {
                    send(frame{packet("late", 4), {}});
                }
            }
        }
    }
};

TEST(qp, frames_queued_while_a_batch_goes_out_follow_it) {
    local_scheduler sched;
    answering_qp q;
    for (std::size_t i = 0; i < qp::tx_batch; ++i) {
        q.send(frame{packet("early", 5), {}});
    }
    sched.run_until_idle();
    ASSERT_EQ(q.wire.size(), 2 * qp::tx_batch);
    for (std::size_t i = 0; i < q.wire.size(); ++i) {
        EXPECT_EQ(q.wire[i], i < qp::tx_batch ? "early" : "late") << i;
    }
    EXPECT_EQ(q.stats().tx_frames, 2 * qp::tx_batch);
}

TEST(interface, queue_destroyed_with_a_pending_flush) {
    local_scheduler sched;
    auto dev = std::make_shared<capture_device>(us);
    {
        interface iface(dev->make_queue(0), us, dev->hw_features());
        iface.send(eth_protocol_num::ipv4, peer, packet("x", 1));
    }
    sched.run_until_idle(); // the flush task finds no queue and does nothing
    EXPECT_TRUE(dev->sent().empty());
}

} // namespace
} // namespace seastar::net
