#include "seastar/core/abort_source.hh"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace seastar {
namespace {

struct custom_error : std::runtime_error {
    custom_error() : std::runtime_error("custom") {}
};

TEST(abort_source, callbacks_run_once_in_subscription_order) {
    abort_source as;
    std::vector<int> order;
    auto s1 = as.subscribe([&]() noexcept { order.push_back(1); });
    auto s2 = as.subscribe([&](const std::optional<std::exception_ptr>& ex) noexcept {
        EXPECT_FALSE(ex.has_value());
        order.push_back(2);
    });
    ASSERT_TRUE(s1 && *s1);
    ASSERT_TRUE(s2 && *s2);
    EXPECT_FALSE(as.abort_requested());
    as.request_abort();
    EXPECT_TRUE(as.abort_requested());
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
    EXPECT_FALSE(*s1);
    EXPECT_FALSE(*s2);
    as.request_abort(); // a second request is ignored
    EXPECT_EQ(order.size(), 2u);
}

TEST(abort_source, check_throws_default_or_given_exception) {
    abort_source as;
    EXPECT_NO_THROW(as.check());
    EXPECT_EQ(as.abort_requested_exception_ptr(), nullptr);
    as.request_abort();
    EXPECT_THROW(as.check(), abort_requested_exception);
    EXPECT_FALSE(as.abort_reason().has_value());

    abort_source as2;
    bool seen = false;
    auto sub = as2.subscribe([&](const std::optional<std::exception_ptr>& ex) noexcept {
        ASSERT_TRUE(ex.has_value());
        try {
            std::rethrow_exception(*ex);
        } catch (const custom_error&) {
            seen = true;
        } catch (...) {
        }
    });
    as2.request_abort_ex(custom_error());
    EXPECT_TRUE(seen);
    EXPECT_THROW(as2.check(), custom_error);
    EXPECT_TRUE(as2.abort_reason().has_value());
}

TEST(abort_source, subscribe_after_abort_returns_nullopt) {
    abort_source as;
    as.request_abort();
    bool called = false;
    auto sub = as.subscribe([&]() noexcept { called = true; });
    EXPECT_FALSE(sub.has_value());
    EXPECT_FALSE(called);
}

TEST(abort_source, destroyed_subscription_is_not_called) {
    abort_source as;
    int calls = 0;
    {
        auto sub = as.subscribe([&]() noexcept { ++calls; });
    }
    auto kept = as.subscribe([&]() noexcept { calls += 10; });
    as.request_abort();
    EXPECT_EQ(calls, 10);
}

TEST(abort_source, moved_subscription_keeps_its_place) {
    abort_source as;
    std::vector<int> order;
    auto a = as.subscribe([&]() noexcept { order.push_back(1); });
    auto b = as.subscribe([&]() noexcept { order.push_back(2); });
    auto c = as.subscribe([&]() noexcept { order.push_back(3); });
    abort_source::subscription moved(std::move(*b));
    EXPECT_FALSE(*b);
    EXPECT_TRUE(moved);
    abort_source::subscription assigned;
    assigned = std::move(moved);
    b.reset();
    as.request_abort();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(abort_source, move_assignment_over_a_linked_subscription_unlinks_it) {
    abort_source as;
    int calls = 0;
    auto a = as.subscribe([&]() noexcept { calls += 1; });
    auto b = as.subscribe([&]() noexcept { calls += 100; });
    *a = std::move(*b); // a's own callback is dropped
    as.request_abort();
    EXPECT_EQ(calls, 100);
}

TEST(abort_source, callback_may_destroy_own_and_other_subscriptions) {
    abort_source as;
    std::optional<abort_source::subscription> self, other;
    int calls = 0;
    self = *as.subscribe([&]() noexcept {
        ++calls;
        self.reset();
        other.reset();
    });
    other = *as.subscribe([&]() noexcept { calls += 100; });
    as.request_abort();
    EXPECT_EQ(calls, 1);
}

TEST(abort_source, large_callback_is_heap_allocated_and_freed) {
    abort_source as;
    std::array<char, 256> big{};
    big[0] = 'x';
    auto owned = std::make_shared<int>(7);
    char seen = 0;
    auto sub = as.subscribe([big, owned, &seen]() noexcept { seen = big[0]; });
    EXPECT_EQ(owned.use_count(), 2);
    auto moved = std::move(*sub);
    as.request_abort();
    EXPECT_EQ(seen, 'x');
    EXPECT_EQ(owned.use_count(), 1); // the callback's captures were destroyed after it ran
}

TEST(abort_source, destroying_source_first_detaches_subscriptions) {
    auto as = std::make_unique<abort_source>();
    bool called = false;
    auto sub = as->subscribe([&]() noexcept { called = true; });
    as.reset();
    EXPECT_FALSE(*sub);
    sub.reset(); // must not touch the freed source
    EXPECT_FALSE(called);
}

TEST(abort_source, moved_source_carries_subscriptions_and_state) {
    abort_source a;
    bool called = false;
    auto sub = a.subscribe([&]() noexcept { called = true; });
    abort_source b(std::move(a));
    EXPECT_TRUE(*sub);
    b.request_abort();
    EXPECT_TRUE(called);
    abort_source c;
    c = std::move(b);
    EXPECT_TRUE(c.abort_requested());
    EXPECT_THROW(c.check(), abort_requested_exception);
}

struct my_exception : std::exception {};
struct custom_source : abort_source {
    std::exception_ptr get_default_exception() const noexcept override {
        return std::make_exception_ptr(my_exception());
    }
};

TEST(abort_source, default_exception_is_overridable) {
    custom_source as;
    as.request_abort();
    EXPECT_THROW(as.check(), my_exception);
}

} // namespace
} // namespace seastar
