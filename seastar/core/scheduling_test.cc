// The futures-layer side of scheduling groups: the registry, per-group values
// and with_scheduling_group() under local_scheduler (no reactor).
#include "seastar/core/scheduling.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/scheduling_specific.hh"
#include "seastar/core/with_scheduling_group.hh"

namespace seastar {
namespace {

struct test_group {
    unsigned index;
    test_group(const char* name, float shares) : index(internal::allocate_scheduling_group(name, shares)) {}
    ~test_group() { internal::release_scheduling_group(index); }
    scheduling_group sg() const { return internal::scheduling_group_from_index(index); }
};

TEST(scheduling_group, default_group) {
    auto sg = default_scheduling_group();
    EXPECT_TRUE(sg.is_main());
    EXPECT_EQ(sg, current_scheduling_group());
    EXPECT_EQ(sg.name(), "main");
    EXPECT_FLOAT_EQ(sg.get_shares(), 1000);
    EXPECT_EQ(std::hash<scheduling_group>()(sg), 0u);
}

TEST(scheduling_group, registry_names_shares_and_limit) {
    std::vector<std::unique_ptr<test_group>> groups;
    for (unsigned i = 1; i < max_scheduling_groups(); ++i) {
        groups.push_back(std::make_unique<test_group>("g", float(i)));
    }
    EXPECT_EQ(max_scheduling_groups(), 16u);
    // The default group counts: 15 more fit, the 16th does not.
    try {
        internal::allocate_scheduling_group("one too many", 100);
        ADD_FAILURE() << "allocation beyond the limit succeeded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("one too many"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
    }
    // Shares below 1 are raised to 1.
    EXPECT_FLOAT_EQ(groups[0]->sg().get_shares(), 1);
    // A freed index is reused, and the new group has its own name and shares.
    unsigned freed = groups[3]->index;
    groups[3].reset();
    EXPECT_FALSE(internal::scheduling_group_live(freed));
    test_group again("again", 0.25f);
    EXPECT_EQ(again.index, freed);
    EXPECT_EQ(again.sg().name(), "again");
    EXPECT_FLOAT_EQ(again.sg().get_shares(), 1);
    EXPECT_THROW(internal::allocate_scheduling_group("nan", std::nanf("")), std::invalid_argument);
    EXPECT_THROW(internal::allocate_scheduling_group("inf", std::numeric_limits<float>::infinity()),
                 std::invalid_argument);
}

TEST(scheduling_group, rename_and_local_shares) {
    test_group g("before", 100);
    auto sg = g.sg();
    EXPECT_EQ(sg.name(), "before");
    internal::rename_scheduling_group_registry(g.index, "after");
    EXPECT_EQ(sg.name(), "after");
    sg.set_shares(250);
    EXPECT_FLOAT_EQ(sg.get_shares(), 250);
    sg.set_shares(-3);
    EXPECT_FLOAT_EQ(sg.get_shares(), 1);
    // set_shares() is this thread's (shard's) only.
    float other = 0;
    std::thread([&] { other = sg.get_shares(); }).join();
    EXPECT_FLOAT_EQ(other, 100);
    internal::reset_local_scheduling_group_shares(g.index);
    EXPECT_FLOAT_EQ(sg.get_shares(), 100);
}

TEST(with_scheduling_group, runs_in_the_group_and_returns_to_the_caller_group) {
    local_scheduler sched;
    test_group g("work", 100);
    scheduling_group in_func, in_continuation, in_caller_then;
    promise<int> p;
    auto f = with_scheduling_group(
                 g.sg(),
                 [&](int add) {
                     in_func = current_scheduling_group();
                     return p.get_future().then([&, add](int v) {
                         in_continuation = current_scheduling_group();
                         return v + add;
                     });
                 },
                 2)
                 .then([&](int v) {
                     in_caller_then = current_scheduling_group();
                     return v;
                 });
    // Not the current group: queued as a task, not run inline.
    EXPECT_EQ(in_func, default_scheduling_group());
    sched.run_until_idle();
    EXPECT_EQ(in_func, g.sg());
    p.set_value(40);
    EXPECT_EQ(sched.wait(std::move(f)), 42);
    EXPECT_EQ(in_continuation, g.sg());
    EXPECT_EQ(in_caller_then, default_scheduling_group());
}

TEST(with_scheduling_group, inline_in_the_current_group_and_exceptions) {
    local_scheduler sched;
    bool ran = false;
    auto f = with_scheduling_group(default_scheduling_group(), [&] { ran = true; });
    EXPECT_TRUE(ran);
    EXPECT_TRUE(f.available());
    test_group g("throws", 100);
    auto failed = with_scheduling_group(g.sg(), []() -> int { throw std::out_of_range("x"); });
    EXPECT_THROW(sched.wait(std::move(failed)), std::out_of_range);
}

TEST(with_scheduling_group, coroutine_stays_in_its_group) {
    local_scheduler sched;
    test_group g("coro", 100);
    promise<> p;
    std::vector<scheduling_group> seen;
    auto f = with_scheduling_group(g.sg(), [&]() -> future<> {
        seen.push_back(current_scheduling_group());
        co_await p.get_future();
        seen.push_back(current_scheduling_group());
    });
    sched.run_until_idle();
    p.set_value(); // fulfilled from the default group
    sched.wait(std::move(f));
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], g.sg());
    EXPECT_EQ(seen[1], g.sg());
}

struct counted {
    static inline int live = 0;
    scheduling_group made_in;
    int base;
    explicit counted(int b) : made_in(current_scheduling_group()), base(b) { ++live; }
    ~counted() { --live; }
};

TEST(scheduling_group_specific, lazy_values_per_group_and_thread) {
    unsigned key_id = internal::allocate_scheduling_group_key(make_scheduling_group_key_config<counted>(7));
    auto key = internal::scheduling_group_key_from_id(key_id);
    {
        test_group g("spec", 100);
        int before = counted::live;
        auto& v = scheduling_group_get_specific<counted>(g.sg(), key);
        EXPECT_EQ(counted::live, before + 1);
        EXPECT_EQ(v.base, 7);
        EXPECT_EQ(v.made_in, g.sg()); // constructed with its group current
        EXPECT_EQ(&g.sg().get_specific<counted>(key), &v);
        auto& d = scheduling_group_get_specific<counted>(key); // the current (default) group's
        EXPECT_NE(&d, &v);
        // Another thread (shard) has its own values, destroyed when it exits.
        const counted* there = nullptr;
        std::thread([&] { there = &scheduling_group_get_specific<counted>(g.sg(), key); }).join();
        EXPECT_NE(there, &v);
        EXPECT_EQ(counted::live, before + 2);
        internal::destroy_scheduling_group_specific(g.index);
        EXPECT_EQ(counted::live, before + 1);
    }
    internal::destroy_all_scheduling_group_specific();
    EXPECT_EQ(counted::live, 0);
}

TEST(scheduling_group_specific, map_reduce_over_groups) {
    local_scheduler sched;
    unsigned key_id = internal::allocate_scheduling_group_key(make_scheduling_group_key_config<int>(3));
    auto key = internal::scheduling_group_key_from_id(key_id);
    test_group a("a", 100), b("b", 100);
    scheduling_group_get_specific<int>(a.sg(), key) = 10;
    auto sum = sched.wait(map_reduce_scheduling_group_specific<int>([](int& v) { return v; }, 0, std::plus<>(), key));
    EXPECT_EQ(sum, 3 + 10 + 3); // default, a, b
    auto sum2 = sched.wait(reduce_scheduling_group_specific<int>(std::plus<>(), 1, key));
    EXPECT_EQ(sum2, 17);
    internal::destroy_all_scheduling_group_specific();
}

TEST(scheduling_group_specific, bad_alignment_is_rejected) {
    auto cfg = make_scheduling_group_key_config<int>();
    cfg.alignment = 3;
    EXPECT_THROW(internal::allocate_scheduling_group_key(cfg), std::invalid_argument);
}

// create/destroy/rename_scheduling_group() and scheduling_group_key_create()
// come with :scheduling itself: a futures-only program (no reactor, no smp)
// links and uses them, acting on its own thread.
TEST(scheduling_group, create_rename_and_destroy_without_a_reactor) {
    local_scheduler sched;
    auto sg = sched.wait(create_scheduling_group("no_reactor", 250));
    EXPECT_FALSE(sg.is_main());
    EXPECT_EQ(sg.name(), "no_reactor");
    EXPECT_FLOAT_EQ(sg.get_shares(), 250);
    auto key = sched.wait(scheduling_group_key_create(make_scheduling_group_key_config<counted>(3)));
    EXPECT_EQ(sg.get_specific<counted>(key).base, 3);
    sched.wait(rename_scheduling_group(sg, "renamed"));
    EXPECT_EQ(sg.name(), "renamed");
    sched.wait(destroy_scheduling_group(sg));
    EXPECT_FALSE(internal::scheduling_group_live(internal::scheduling_group_index(sg)));
    // Bad input is a failed future, not a crash.
    auto f = destroy_scheduling_group(sg);
    EXPECT_THROW(sched.wait(std::move(f)), std::invalid_argument);
    auto g = create_scheduling_group("bad_shares", std::numeric_limits<float>::quiet_NaN());
    EXPECT_THROW(sched.wait(std::move(g)), std::invalid_argument);
    internal::destroy_all_scheduling_group_specific();
}

} // namespace
} // namespace seastar
