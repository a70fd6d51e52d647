#include "seastar/core/deleter.hh"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace seastar {
namespace {

TEST(deleter, empty_does_nothing) {
    deleter d;
    EXPECT_FALSE(d);
    deleter s = d.share();
    EXPECT_FALSE(s);
}

TEST(deleter, lambda_runs_once_on_destruction) {
    int runs = 0;
    {
        deleter d = make_deleter([&] { ++runs; });
        EXPECT_TRUE(d);
        deleter moved = std::move(d);
        EXPECT_FALSE(d);
        EXPECT_EQ(runs, 0);
    }
    EXPECT_EQ(runs, 1);
}

TEST(deleter, shared_runs_when_last_reference_goes) {
    int runs = 0;
    auto d1 = std::make_unique<deleter>(make_deleter([&] { ++runs; }));
    auto d2 = std::make_unique<deleter>(d1->share());
    auto d3 = std::make_unique<deleter>(d2->share());
    d1.reset();
    d3.reset();
    EXPECT_EQ(runs, 0);
    d2.reset();
    EXPECT_EQ(runs, 1);
}

TEST(deleter, chain_runs_outer_first_then_next) {
    std::vector<int> order;
    {
        deleter inner = make_deleter([&] { order.push_back(2); });
        deleter outer = make_deleter(std::move(inner), [&] { order.push_back(1); });
    }
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(deleter, append_runs_after_existing_actions) {
    std::vector<int> order;
    {
        deleter d = make_deleter([&] { order.push_back(1); });
        d.append(make_deleter([&] { order.push_back(2); }));
        d.append(make_deleter([&] { order.push_back(3); }));
        d.append(deleter());
    }
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(deleter, append_to_empty_takes_it) {
    int runs = 0;
    {
        deleter d;
        d.append(make_deleter([&] { ++runs; }));
        EXPECT_TRUE(d);
    }
    EXPECT_EQ(runs, 1);
}

TEST(deleter, append_to_shared_chain_does_not_affect_other_holders) {
    int shared_runs = 0;
    int appended_runs = 0;
    deleter a = make_deleter([&] { ++shared_runs; });
    auto b = std::make_unique<deleter>(a.share());
    a.append(make_deleter([&] { ++appended_runs; }));
    a = deleter();
    // a's own reference is gone: the appended action ran, the shared one waits for b.
    EXPECT_EQ(appended_runs, 1);
    EXPECT_EQ(shared_runs, 0);
    b.reset();
    EXPECT_EQ(shared_runs, 1);
    EXPECT_EQ(appended_runs, 1);
}

TEST(deleter, append_same_chain_twice_is_ignored) {
    int runs = 0;
    deleter a = make_deleter([&] { ++runs; });
    deleter b = make_deleter([] {});
    // b's chain now contains a's link; appending it again must not double-release.
    deleter shared = a.share();
    b.append(std::move(a));
    b.append(std::move(shared));
    b = deleter();
    EXPECT_EQ(runs, 1);
}

TEST(deleter, object_deleter_keeps_object_alive) {
    auto obj = std::make_shared<int>(7);
    std::weak_ptr<int> w = obj;
    {
        deleter d = make_object_deleter(std::move(obj));
        EXPECT_FALSE(w.expired());
    }
    EXPECT_TRUE(w.expired());
}

TEST(deleter, object_deleter_with_next) {
    int runs = 0;
    auto obj = std::make_shared<int>(7);
    std::weak_ptr<int> w = obj;
    {
        deleter d = make_object_deleter(make_deleter([&] { ++runs; }), std::move(obj));
    }
    EXPECT_TRUE(w.expired());
    EXPECT_EQ(runs, 1);
}

TEST(deleter, free_deleter_frees_once_even_when_shared_and_appended) {
    // Leaks or double frees are caught by the asan config.
    void* p = std::malloc(100);
    deleter d = make_free_deleter(p);
    deleter s1 = d.share();
    deleter s2 = s1.share();
    int runs = 0;
    d.append(make_deleter([&] { ++runs; }));
    d = deleter();
    s1 = deleter();
    EXPECT_EQ(runs, 1);
    s2 = deleter();
}

TEST(deleter, free_deleter_with_next) {
    int runs = 0;
    {
        deleter d = make_free_deleter(make_deleter([&] { ++runs; }), std::malloc(10));
    }
    EXPECT_EQ(runs, 1);
    deleter n = make_free_deleter(nullptr);
    EXPECT_FALSE(n);
}

TEST(deleter, long_chain_releases_everything_once) {
    int runs = 0;
    deleter d;
    for (int i = 0; i < 1000; ++i) {
        d = make_deleter(std::move(d), [&] { ++runs; });
    }
    deleter s = d.share();
    d = deleter();
    EXPECT_EQ(runs, 0);
    s = deleter();
    EXPECT_EQ(runs, 1000);
}

} // namespace
} // namespace seastar
