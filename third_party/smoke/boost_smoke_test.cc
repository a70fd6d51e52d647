// Boost (a benchmark peer): lockfree SPSC queue and boost::future::then.
#include <boost/lockfree/spsc_queue.hpp>
#include <boost/thread/future.hpp>

#include "gtest/gtest.h"

TEST(BoostSmoke, SpscQueueAndFutureThen) {
    boost::lockfree::spsc_queue<int, boost::lockfree::capacity<4>> q;
    EXPECT_TRUE(q.push(1));
    int v = 0;
    EXPECT_TRUE(q.pop(v));
    EXPECT_EQ(v, 1);
    boost::promise<int> p;
    auto f = p.get_future().then(boost::launch::sync, [](boost::future<int> x) { return x.get() + 1; });
    p.set_value(41);
    EXPECT_EQ(f.get(), 42);
}
