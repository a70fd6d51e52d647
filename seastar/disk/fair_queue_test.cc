// fair_queue: dispatch proportions counted (no timing), idle classes banking
// no credit, cancellation and misuse.
#include "seastar/core/fair_queue.hh"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

namespace {

using seastar::fair_queue;
using seastar::fair_queue_entry;

struct entry : fair_queue_entry {
    unsigned cls;
    int seq;
    entry(unsigned cls, double cost, int seq) : fair_queue_entry(cost), cls(cls), seq(seq) {}
};

struct harness {
    fair_queue fq;
    std::deque<std::unique_ptr<entry>> owned;
    std::map<unsigned, int> dispatched;
    std::map<unsigned, double> cost;
    std::vector<entry*> order;

    void fill(unsigned cls, int n, double c = 1) {
        for (int i = 0; i < n; ++i) {
            owned.push_back(std::make_unique<entry>(cls, c, i));
            fq.queue(cls, *owned.back());
        }
    }
    size_t dispatch(size_t n) {
        size_t left = n;
        return fq.dispatch_requests([&](fair_queue_entry&) { return left > 0; },
                                    [&](fair_queue_entry& e) {
                                        auto& en = static_cast<entry&>(e);
                                        --left;
                                        dispatched[en.cls]++;
                                        cost[en.cls] += en.cost();
                                        order.push_back(&en);
                                    });
    }
};

TEST(fair_queue, saturating_classes_get_dispatches_in_proportion_to_shares) {
    harness h;
    h.fq.register_priority_class(0, 100);
    h.fq.register_priority_class(1, 400);
    h.fill(0, 1000);
    h.fill(1, 1000);
    EXPECT_EQ(h.dispatch(500), 500u);
    EXPECT_NEAR(h.dispatched[0], 100, 1);
    EXPECT_NEAR(h.dispatched[1], 400, 1);
    EXPECT_EQ(h.fq.waiters(), 1500u);
}

TEST(fair_queue, cost_not_count_is_divided) {
    harness h;
    h.fq.register_priority_class(0, 100);
    h.fq.register_priority_class(1, 100);
    h.fill(0, 1000, 4); // e.g. 16 KiB requests
    h.fill(1, 1000, 1); // 4 KiB requests
    h.dispatch(500);
    EXPECT_NEAR(h.cost[0], h.cost[1], 4);
    EXPECT_NEAR(h.dispatched[1], 4 * h.dispatched[0], 5);
}

TEST(fair_queue, idle_class_banks_no_credit) {
    harness h;
    h.fq.register_priority_class(0, 100);
    h.fq.register_priority_class(1, 100);
    h.fill(0, 1000);
    h.dispatch(300); // class 1 idle all along
    EXPECT_EQ(h.dispatched[0], 300);
    h.fill(1, 1000);
    h.dispatched.clear();
    h.dispatch(100);
    // Equal shares from here on, not 300 dispatches of catching up.
    EXPECT_NEAR(h.dispatched[0], 50, 1);
    EXPECT_NEAR(h.dispatched[1], 50, 1);
}

TEST(fair_queue, shares_can_change) {
    harness h;
    h.fq.register_priority_class(0, 100);
    h.fq.register_priority_class(1, 100);
    h.fill(0, 1000);
    h.fill(1, 1000);
    h.dispatch(100);
    h.fq.update_shares_for_class(1, 300);
    h.dispatched.clear();
    h.dispatch(400);
    EXPECT_NEAR(h.dispatched[1], 300, 2);
    EXPECT_NEAR(h.dispatched[0], 100, 2);
}

TEST(fair_queue, fifo_within_a_class_and_cancellation) {
    harness h;
    h.fq.register_priority_class(3, 10);
    h.fill(3, 4);
    auto& second = *h.owned[1];
    h.fq.notify_request_cancelled(second);
    EXPECT_FALSE(second.queued());
    EXPECT_EQ(h.fq.waiters(), 3u);
    h.fq.notify_request_cancelled(second); // not queued: no effect
    EXPECT_EQ(h.fq.waiters(), 3u);
    EXPECT_EQ(h.dispatch(10), 3u);
    ASSERT_EQ(h.order.size(), 3u);
    EXPECT_EQ(h.order[0]->seq, 0);
    EXPECT_EQ(h.order[1]->seq, 2);
    EXPECT_EQ(h.order[2]->seq, 3);
    EXPECT_EQ(h.fq.waiters(), 0u);
    EXPECT_EQ(h.fq.get_class_stats(3).dispatched, 3u);
}

TEST(fair_queue, dispatch_stops_when_there_is_no_room) {
    harness h;
    h.fq.register_priority_class(0, 1);
    h.fill(0, 5);
    int calls = 0;
    auto n = h.fq.dispatch_requests([&](fair_queue_entry&) { return ++calls <= 2; }, [](fair_queue_entry&) {});
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(h.fq.waiters(), 3u);
}

TEST(fair_queue, misuse_is_reported) {
    fair_queue fq;
    entry e(0, 1, 0);
    EXPECT_THROW(fq.queue(0, e), std::logic_error);
    EXPECT_THROW(fq.register_priority_class(fair_queue::max_classes, 1), std::invalid_argument);
    fq.register_priority_class(0, 0); // raised to 1 share
    EXPECT_EQ(fq.shares(0), 1);
    EXPECT_THROW(fq.register_priority_class(0, 1), std::logic_error);
    fq.queue(0, e);
    EXPECT_THROW(fq.unregister_priority_class(0), std::logic_error);
    fq.notify_request_cancelled(e);
    fq.unregister_priority_class(0);
    EXPECT_FALSE(fq.is_registered(0));
}

} // namespace
