#include "seastar/core/queue.hh"

#include "seastar/core/local_scheduler.hh"
#include "seastar/testing/future_checks.hh"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace seastar {
namespace {

using custom_error = testing::test_error;
using testing::failed_with;

class queue_test : public ::testing::Test {
protected:
    local_scheduler sched;
};

TEST_F(queue_test, push_pop_fifo_and_bound) {
    queue<int> q(3);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.max_size(), 3u);
    EXPECT_TRUE(q.push(1));
    EXPECT_TRUE(q.push(2));
    EXPECT_TRUE(q.push(3));
    EXPECT_TRUE(q.full());
    EXPECT_FALSE(q.push(4));
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.front(), 1);
    EXPECT_EQ(q.pop(), 1);
    EXPECT_EQ(q.pop(), 2);
    EXPECT_EQ(q.pop(), 3);
    EXPECT_TRUE(q.empty());
}

TEST_F(queue_test, push_failure_leaves_item_untouched) {
    queue<std::unique_ptr<int>> q(0);
    auto p = std::make_unique<int>(5);
    EXPECT_FALSE(q.push(std::move(p)));
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, 5);
}

TEST_F(queue_test, pop_eventually_waits_and_gets_items_in_order) {
    queue<int> q(2);
    auto a = q.pop_eventually();
    auto b = q.pop_eventually();
    EXPECT_FALSE(a.available());
    EXPECT_TRUE(q.has_blocked_consumer());
    EXPECT_TRUE(q.push(10));
    EXPECT_TRUE(q.push(20));
    EXPECT_TRUE(q.empty()); // handed straight to the waiting consumers
    EXPECT_EQ(sched.wait(std::move(a)), 10);
    EXPECT_EQ(sched.wait(std::move(b)), 20);
    EXPECT_FALSE(q.has_blocked_consumer());
}

TEST_F(queue_test, push_eventually_waits_for_room_in_order) {
    queue<int> q(1);
    auto p1 = q.push_eventually(1);
    EXPECT_TRUE(p1.available());
    p1.get();
    auto p2 = q.push_eventually(2);
    auto p3 = q.push_eventually(3);
    EXPECT_FALSE(p2.available());
    EXPECT_EQ(q.pop(), 1);
    EXPECT_TRUE(p2.available());
    EXPECT_FALSE(p3.available());
    EXPECT_EQ(q.pop(), 2);
    EXPECT_TRUE(p3.available());
    EXPECT_EQ(sched.wait(q.pop_eventually()), 3);
    p2.get();
    p3.get();
}

TEST_F(queue_test, zero_sized_queue_is_a_rendezvous) {
    queue<int> q(0);
    auto p = q.push_eventually(7);
    EXPECT_FALSE(p.available());
    EXPECT_EQ(sched.wait(q.pop_eventually()), 7);
    EXPECT_TRUE(p.available());
    p.get();
    auto c = q.pop_eventually();
    auto p2 = q.push_eventually(8);
    EXPECT_TRUE(p2.available());
    EXPECT_EQ(sched.wait(std::move(c)), 8);
    p2.get();
}

TEST_F(queue_test, not_empty_and_not_full) {
    queue<int> q(1);
    auto ne1 = q.not_empty();
    auto ne2 = q.not_empty();
    EXPECT_FALSE(ne1.available());
    EXPECT_TRUE(q.push(1));
    EXPECT_TRUE(ne1.available());
    EXPECT_TRUE(ne2.available());
    ne1.get();
    ne2.get();
    auto nf = q.not_full();
    EXPECT_FALSE(nf.available());
    EXPECT_EQ(q.pop(), 1);
    EXPECT_TRUE(nf.available());
    nf.get();
    auto nf2 = q.not_full();
    EXPECT_TRUE(nf2.available());
    nf2.get();
}

TEST_F(queue_test, set_max_size_admits_waiting_producers) {
    queue<int> q(1);
    EXPECT_TRUE(q.push(1));
    auto p = q.push_eventually(2);
    auto nf = q.not_full();
    EXPECT_FALSE(p.available());
    q.set_max_size(3);
    EXPECT_TRUE(p.available());
    EXPECT_TRUE(nf.available());
    EXPECT_EQ(q.size(), 2u);
    q.set_max_size(1); // shrinking keeps what is queued
    EXPECT_EQ(q.size(), 2u);
    EXPECT_FALSE(q.push(3));
    p.get();
    nf.get();
}

TEST_F(queue_test, consume_stops_when_func_says_so) {
    queue<int> q(5);
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(q.push(int(i)));
    }
    auto nf = q.not_full();
    std::vector<int> seen;
    EXPECT_FALSE(q.consume([&](int v) {
        seen.push_back(v);
        return v < 2;
    }));
    EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
    EXPECT_TRUE(nf.available());
    EXPECT_TRUE(q.consume([&](int v) {
        seen.push_back(v);
        return true;
    }));
    EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(q.empty());
    nf.get();
}

TEST_F(queue_test, abort_fails_waiters_and_later_operations) {
    queue<int> q(1);
    auto pop = q.pop_eventually();
    auto ne = q.not_empty();
    q.abort(std::make_exception_ptr(custom_error()));
    EXPECT_TRUE(failed_with<custom_error>(pop));
    EXPECT_TRUE(failed_with<custom_error>(ne));
    auto later_pop = q.pop_eventually();
    EXPECT_TRUE(failed_with<custom_error>(later_pop));
    auto later_push = q.push_eventually(1);
    EXPECT_TRUE(failed_with<custom_error>(later_push));
    auto nf = q.not_full();
    EXPECT_TRUE(failed_with<custom_error>(nf));
    EXPECT_THROW(q.consume([](int) { return true; }), custom_error);

    queue<std::shared_ptr<int>> q2(1);
    auto item = std::make_shared<int>(1);
    EXPECT_TRUE(q2.push(std::shared_ptr<int>(item)));
    auto blocked_push = q2.push_eventually(std::shared_ptr<int>(item));
    auto blocked_nf = q2.not_full();
    EXPECT_EQ(item.use_count(), 3);
    q2.abort(std::make_exception_ptr(custom_error()));
    EXPECT_TRUE(q2.empty());
    EXPECT_EQ(item.use_count(), 1); // queued and waiting items were destroyed
    EXPECT_TRUE(failed_with<custom_error>(blocked_push));
    EXPECT_TRUE(failed_with<custom_error>(blocked_nf));
}

TEST_F(queue_test, aborting_one_consumer_leaves_others) {
    queue<int> q(4);
    abort_source as;
    auto a = q.pop_eventually();
    auto b = q.pop_eventually(as);
    auto c = q.pop_eventually();
    as.request_abort();
    EXPECT_TRUE(failed_with<abort_requested_exception>(b));
    EXPECT_TRUE(q.push(1));
    EXPECT_TRUE(q.push(2));
    EXPECT_EQ(sched.wait(std::move(a)), 1);
    EXPECT_EQ(sched.wait(std::move(c)), 2); // no item went to the aborted consumer
    EXPECT_TRUE(q.empty());
}

TEST_F(queue_test, aborting_a_producer_drops_its_item_only) {
    queue<int> q(1);
    abort_source as;
    EXPECT_TRUE(q.push(1));
    auto p2 = q.push_eventually(2, as);
    auto p3 = q.push_eventually(3);
    as.request_abort_ex(custom_error());
    EXPECT_TRUE(failed_with<custom_error>(p2));
    EXPECT_EQ(q.pop(), 1);
    EXPECT_EQ(q.pop(), 3);
    p3.get();
    abort_source already;
    already.request_abort();
    auto c = q.pop_eventually(already);
    EXPECT_TRUE(failed_with<abort_requested_exception>(c));
}

TEST_F(queue_test, move_only_items) {
    queue<std::unique_ptr<int>> q(2);
    auto f = q.pop_eventually();
    EXPECT_TRUE(q.push(std::make_unique<int>(42)));
    auto v = sched.wait(std::move(f));
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 42);
}

TEST_F(queue_test, destroying_queue_breaks_waiters) {
    auto q = std::make_unique<queue<int>>(1);
    auto f = q->pop_eventually();
    q.reset();
    EXPECT_TRUE(failed_with<broken_promise>(f));
}

} // namespace
} // namespace seastar
