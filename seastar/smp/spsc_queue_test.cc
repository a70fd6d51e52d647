#include "seastar/smp/spsc_queue.hh"

#include <cstdint>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(SpscQueue, RejectsCapacityThatIsNotAPowerOfTwo) {
    EXPECT_THROW(spsc_queue<int>(0), std::invalid_argument);
    EXPECT_THROW(spsc_queue<int>(3), std::invalid_argument);
    EXPECT_THROW(spsc_queue<int>(100), std::invalid_argument);
    EXPECT_EQ(spsc_queue<int>(1).capacity(), 1u);
    EXPECT_EQ(spsc_queue<int>(64).capacity(), 64u);
}

TEST(SpscQueue, SideIndicesDoNotShareACacheLine) {
    // The layout promise: a queue is at least three false-sharing ranges (shared constants,
    // producer index, consumer index), each starting on its own boundary.
    EXPECT_GE(sizeof(spsc_queue<int>), 3 * internal::spsc_false_sharing_range);
    EXPECT_EQ(alignof(spsc_queue<int>), internal::spsc_false_sharing_range);
}

TEST(SpscQueue, FullAndEmpty) {
    spsc_queue<int> q(4);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.pop(), std::nullopt);
    EXPECT_EQ(q.front(), nullptr);
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(q.push(i));
    }
    EXPECT_FALSE(q.push(99));
    EXPECT_EQ(q.size(), 4u);
    ASSERT_NE(q.front(), nullptr);
    EXPECT_EQ(*q.front(), 0);
    int out = -1;
    EXPECT_TRUE(q.pop(out));
    EXPECT_EQ(out, 0);
    EXPECT_TRUE(q.push(4));
    EXPECT_FALSE(q.push(5));
    for (int i = 1; i <= 4; ++i) {
        EXPECT_EQ(q.pop(), i);
    }
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.pop(out));
    EXPECT_EQ(out, 0); // left alone when empty
}

TEST(SpscQueue, CapacityOne) {
    spsc_queue<int> q(1);
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(q.push(i));
        EXPECT_FALSE(q.push(i));
        EXPECT_EQ(q.pop(), i);
        EXPECT_EQ(q.pop(), std::nullopt);
    }
}

TEST(SpscQueue, WrapsAroundManyTimesInOrder) {
    spsc_queue<std::uint64_t> q(8);
    std::uint64_t next_in = 0, next_out = 0;
    // Uneven push/pop counts move the indices through every slot offset many times.
    for (int round = 0; round < 1000; ++round) {
        for (int i = 0; i < 1 + round % 7; ++i) {
            if (q.push(next_in)) {
                ++next_in;
            }
        }
        for (int i = 0; i < 1 + round % 5; ++i) {
            auto v = q.pop();
            if (!v) {
                break;
            }
            EXPECT_EQ(*v, next_out++);
        }
    }
    while (auto v = q.pop()) {
        EXPECT_EQ(*v, next_out++);
    }
    EXPECT_EQ(next_in, next_out);
    EXPECT_GT(next_in, 8u * 100);
}

TEST(SpscQueue, MoveOnlyItems) {
    spsc_queue<std::unique_ptr<int>> q(4);
    auto p = std::make_unique<int>(7);
    EXPECT_TRUE(q.push(std::move(p)));
    EXPECT_EQ(p, nullptr);
    EXPECT_TRUE(q.emplace(new int(8)));
    std::unique_ptr<int> out;
    EXPECT_TRUE(q.pop(out));
    EXPECT_EQ(*out, 7);
    auto second = q.pop();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(**second, 8);
}

TEST(SpscQueue, FailedPushLeavesItemWithCaller) {
    spsc_queue<std::unique_ptr<int>> q(1);
    EXPECT_TRUE(q.push(std::make_unique<int>(1)));
    auto p = std::make_unique<int>(2);
    EXPECT_FALSE(q.push(std::move(p)));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, 2);
}

TEST(SpscQueue, BatchPushIsPartialWhenNearlyFull) {
    spsc_queue<std::unique_ptr<int>> q(8);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(q.push(std::make_unique<int>(i)));
    }
    std::vector<std::unique_ptr<int>> batch;
    for (int i = 5; i < 10; ++i) {
        batch.push_back(std::make_unique<int>(i));
    }
    // Only three slots are free: exactly the first three are moved in, the rest stay.
    EXPECT_EQ(q.push(std::make_move_iterator(batch.begin()), batch.size()), 3u);
    EXPECT_EQ(batch[0], nullptr);
    EXPECT_EQ(batch[2], nullptr);
    ASSERT_NE(batch[3], nullptr);
    EXPECT_EQ(*batch[3], 8);
    EXPECT_EQ(q.push(std::make_move_iterator(batch.begin() + 3), 2), 0u);

    std::vector<std::unique_ptr<int>> out;
    EXPECT_EQ(q.pop(std::back_inserter(out), 6), 6u);
    ASSERT_EQ(out.size(), 6u);
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(*out[i], i);
    }
    // The remaining two now fit, across the wrap-around point.
    EXPECT_EQ(q.push(std::make_move_iterator(batch.begin() + 3), 2), 2u);
    std::vector<int> seen;
    EXPECT_EQ(q.consume([&](std::unique_ptr<int>&& p) noexcept { seen.push_back(*p); }), 4u);
    EXPECT_EQ(seen, (std::vector<int>{6, 7, 8, 9}));
    EXPECT_TRUE(q.empty());
}

TEST(SpscQueue, BatchesStraddleTheEndOfTheRing) {
    spsc_queue<int> q(8);
    for (int i = 0; i < 6; ++i) {
        ASSERT_TRUE(q.push(i));
        ASSERT_EQ(q.pop(), i);
    }
    // Both indices now sit at slot 6: a batch of 5 fills slots 6, 7, 0, 1, 2.
    std::vector<int> in{10, 11, 12, 13, 14};
    EXPECT_EQ(q.push(in.begin(), in.size()), 5u);
    std::vector<int> out;
    EXPECT_EQ(q.pop(std::back_inserter(out), 8), 5u);
    EXPECT_EQ(out, in);
    // And a batch that runs into the slots of items still queued stops at the full mark.
    std::vector<int> more{20, 21, 22, 23, 24, 25, 26, 27, 28};
    EXPECT_EQ(q.push(more.begin(), more.size()), 8u);
    std::vector<int> seen;
    EXPECT_EQ(q.consume([&](int&& v) noexcept { seen.push_back(v); }), 8u);
    EXPECT_EQ(seen, std::vector<int>(more.begin(), more.begin() + 8));
}

TEST(SpscQueue, ConsumeRespectsMax) {
    spsc_queue<int> q(16);
    std::vector<int> in{1, 2, 3, 4, 5, 6};
    EXPECT_EQ(q.push(in.begin(), in.size()), 6u);
    int sum = 0;
    EXPECT_EQ(q.consume([&](int&& v) noexcept { sum += v; }, 4), 4u);
    EXPECT_EQ(sum, 10);
    EXPECT_EQ(q.size(), 2u);
    EXPECT_EQ(q.consume([&](int&&) noexcept {}, 0), 0u);
    EXPECT_EQ(q.size(), 2u);
}

// Counts live objects, so leaks and double destruction show up as a wrong count.
struct tracked {
    static inline int live = 0;
    std::string payload;
    explicit tracked(std::string s) : payload(std::move(s)) { ++live; }
    tracked(tracked&& o) noexcept : payload(std::move(o.payload)) { ++live; }
    tracked& operator=(tracked&& o) noexcept = default;
    ~tracked() { --live; }
};

TEST(SpscQueue, DestroysEveryItemExactlyOnce) {
    tracked::live = 0;
    {
        spsc_queue<tracked> q(4);
        for (int round = 0; round < 3; ++round) {
            EXPECT_TRUE(q.emplace(std::string(100, 'a' + round)));
        }
        EXPECT_EQ(tracked::live, 3);
        auto t = q.pop();
        EXPECT_EQ(t->payload, std::string(100, 'a'));
        EXPECT_EQ(tracked::live, 3); // two queued + the popped one
        t.reset();
        EXPECT_EQ(tracked::live, 2);
    }
    EXPECT_EQ(tracked::live, 0); // the destructor released what was still queued
}

struct throws_on_copy {
    int value;
    explicit throws_on_copy(int v) : value(v) {}
    throws_on_copy(const throws_on_copy& o) : value(o.value) {
        if (value < 0) {
            throw std::runtime_error("negative");
        }
    }
    throws_on_copy(throws_on_copy&&) noexcept = default;
    throws_on_copy& operator=(throws_on_copy&&) noexcept = default;
};

TEST(SpscQueue, ThrowingBatchPublishesWhatWasBuilt) {
    spsc_queue<throws_on_copy> q(8);
    std::vector<throws_on_copy> batch;
    for (int v : {1, 2, -1, 4}) {
        batch.emplace_back(v);
    }
    EXPECT_THROW(q.push(batch.begin(), batch.size()), std::runtime_error);
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q.pop()->value, 1);
    EXPECT_EQ(q.pop()->value, 2);
    EXPECT_TRUE(q.empty());
}

TEST(SpscQueue, ThrowingConsumerConsumesTheItemItWasGiven) {
    spsc_queue<int> q(8);
    for (int i = 0; i < 5; ++i) {
        q.push(i);
    }
    int seen = 0;
    EXPECT_THROW(q.consume([&](int&& v) {
        ++seen;
        if (v == 2) {
            throw std::runtime_error("stop");
        }
    }),
                 std::runtime_error);
    EXPECT_EQ(seen, 3);
    EXPECT_EQ(q.pop(), 3);
    EXPECT_EQ(q.pop(), 4);
}

// Two threads, every item checked for order, loss and duplication. The values encode their
// sequence number, so a lost, duplicated or reordered item breaks the expected sequence.
template <bool Batched>
void stress(std::uint64_t items, std::size_t capacity) {
    spsc_queue<std::uint64_t> q(capacity);
    std::thread producer([&] {
        std::uint64_t next = 0;
        std::uint64_t batch[37];
        while (next < items) {
            if constexpr (Batched) {
                std::size_t n = 0;
                for (; n < std::size(batch) && next + n < items; ++n) {
                    batch[n] = next + n;
                }
                auto pushed = q.push(batch, n);
                next += pushed;
                if (pushed == 0) {
                    std::this_thread::yield(); // the machine may have fewer free cores than threads
                }
            } else {
                if (q.push(next)) {
                    ++next;
                } else {
                    std::this_thread::yield();
                }
            }
        }
    });
    std::uint64_t expected = 0;
    bool in_order = true;
    while (expected < items) {
        if constexpr (Batched) {
            if (q.consume(
                    [&](std::uint64_t&& v) noexcept {
                        in_order &= (v == expected);
                        ++expected;
                    },
                    29) == 0) {
                std::this_thread::yield();
            }
        } else {
            if (auto v = q.pop()) {
                in_order &= (*v == expected);
                ++expected;
            } else {
                std::this_thread::yield();
            }
        }
    }
    producer.join();
    EXPECT_TRUE(in_order);
    EXPECT_EQ(expected, items);
    EXPECT_TRUE(q.empty());
}

// Fast enough under tsan too (about a second), so every config runs the full count.
constexpr std::uint64_t stress_items = 2'000'000;

TEST(SpscQueueStress, SingleItems) {
    stress<false>(stress_items, 64);
}

TEST(SpscQueueStress, Batches) {
    stress<true>(stress_items, 128);
}

TEST(SpscQueueStress, TinyQueueForcesConstantFullAndEmpty) {
    stress<true>(stress_items / 4, 2);
}

TEST(SpscQueueStress, MoveOnlyHeapItems) {
    // Heap items let asan/tsan see the hand-over of the pointee between threads.
    constexpr int n = 100'000;
    spsc_queue<std::unique_ptr<std::uint64_t>> q(32);
    std::thread producer([&] {
        for (int i = 0; i < n;) {
            auto p = std::make_unique<std::uint64_t>(i);
            if (q.push(std::move(p))) {
                ++i;
            }
        }
    });
    std::uint64_t expected = 0, sum_ok = 0;
    while (expected < n) {
        if (auto p = q.pop()) {
            sum_ok += (**p == expected);
            ++expected;
        }
    }
    producer.join();
    EXPECT_EQ(sum_ok, std::uint64_t(n));
}

} // namespace
} // namespace seastar
