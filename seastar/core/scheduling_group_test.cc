// Scheduling groups in the reactor: CPU divided by shares, groups kept across
// continuations, coroutines and threads, the group limit, destruction and
// per-group values on every shard.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/scheduling_specific.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/thread.hh"
#include "seastar/core/with_scheduling_group.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/later.hh"

namespace seastar {
namespace {

using namespace std::chrono_literals;

// A fixed amount of CPU work that the sanitizers do not instrument.
void spin(unsigned iterations) {
    uint64_t x = 1;
    for (unsigned i = 0; i < iterations; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        asm volatile("" : "+r"(x));
    }
}

// `workers` loops in `sg`, each doing equal tasks of CPU work until `stop`.
future<> busy(scheduling_group sg, int workers, const bool& stop) {
    std::vector<future<>> fs;
    for (int i = 0; i < workers; ++i) {
        fs.push_back(with_scheduling_group(sg, [&stop]() -> future<> {
            while (!stop) {
                spin(2000);
                co_await yield();
            }
        }));
    }
    for (auto& f : fs) {
        co_await std::move(f);
    }
}

SEASTAR_TEST_CASE(scheduling_groups, cpu_divided_by_shares) {
    auto a = co_await create_scheduling_group("a100", 100);
    auto b = co_await create_scheduling_group("b200", 200);
    EXPECT_EQ(a.name(), "a100");
    EXPECT_FLOAT_EQ(b.get_shares(), 200);
    auto a0 = engine().get_scheduling_group_stats(a);
    auto b0 = engine().get_scheduling_group_stats(b);
    bool stop = false;
    auto fa = busy(a, 4, stop);
    auto fb = busy(b, 4, stop);
    co_await sleep(400ms);
    stop = true;
    co_await std::move(fa);
    co_await std::move(fb);
    auto a1 = engine().get_scheduling_group_stats(a);
    auto b1 = engine().get_scheduling_group_stats(b);
    double ta = double(a1.tasks_processed - a0.tasks_processed);
    double tb = double(b1.tasks_processed - b0.tasks_processed);
    EXPECT_GT(ta, 0);
    EXPECT_GE(tb / ta, 1.6) << "tasks a=" << ta << " b=" << tb;
    EXPECT_LE(tb / ta, 2.4) << "tasks a=" << ta << " b=" << tb;
    double ra = double((a1.runtime - a0.runtime).count());
    double rb = double((b1.runtime - b0.runtime).count());
    EXPECT_GE(rb / ra, 1.6) << "runtime a=" << ra << " b=" << rb;
    EXPECT_LE(rb / ra, 2.4) << "runtime a=" << ra << " b=" << rb;
    // Both were runnable while the other ran.
    EXPECT_GT(a1.starve_time, a0.starve_time);
    EXPECT_EQ(a1.queue_length, 0u);
    co_await destroy_scheduling_group(a);
    co_await destroy_scheduling_group(b);
}

SEASTAR_TEST_CASE(scheduling_groups, woken_idle_group_does_not_monopolise) {
    auto a = co_await create_scheduling_group("busy", 100);
    auto b = co_await create_scheduling_group("sleeper", 100);
    bool stop_a = false, stop_b = false;
    auto fa = busy(a, 2, stop_a);
    // a has the shard to itself for a while: b is idle and must not bank it.
    co_await sleep(200ms);
    auto a0 = engine().get_scheduling_group_stats(a);
    auto b0 = engine().get_scheduling_group_stats(b);
    auto fb = busy(b, 2, stop_b);
    co_await sleep(150ms);
    auto a1 = engine().get_scheduling_group_stats(a);
    auto b1 = engine().get_scheduling_group_stats(b);
    stop_a = stop_b = true;
    co_await std::move(fa);
    co_await std::move(fb);
    double ta = double(a1.tasks_processed - a0.tasks_processed);
    double tb = double(b1.tasks_processed - b0.tasks_processed);
    // Equal shares: roughly equal work from the moment b woke. Had b banked
    // a's 200 ms alone, a would have got (almost) nothing in this window.
    EXPECT_GT(tb, 0) << "the woken group never ran";
    EXPECT_GE(ta / tb, 0.5) << "tasks a=" << ta << " b=" << tb;
    EXPECT_LE(ta / tb, 2.0) << "tasks a=" << ta << " b=" << tb;
    co_await destroy_scheduling_group(a);
    co_await destroy_scheduling_group(b);
}

SEASTAR_TEST_CASE(scheduling_groups, work_stays_in_its_group) {
    auto sg = co_await create_scheduling_group("stay", 300);
    auto other = co_await create_scheduling_group("other", 100);
    std::vector<scheduling_group> seen;
    co_await with_scheduling_group(sg, [&]() -> future<> {
        seen.push_back(current_scheduling_group());
        // A future made and fulfilled in `other`, continued from sg: the
        // continuation is sg's.
        promise<int> p;
        std::optional<future<int>> made_in_other;
        co_await with_scheduling_group(other, [&] { made_in_other.emplace(p.get_future()); });
        auto f = with_scheduling_group(other, [&p] { p.set_value(1); });
        co_await std::move(*made_in_other).then([&](int) { seen.push_back(current_scheduling_group()); });
        co_await std::move(f);
        seen.push_back(current_scheduling_group()); // after co_await
        co_await yield();
        seen.push_back(current_scheduling_group());
        // A thread started here runs in sg; one given `other` runs there.
        co_await async([&] {
            seen.push_back(current_scheduling_group());
            yield().get();
            seen.push_back(current_scheduling_group());
        });
        thread_attributes attr;
        attr.sched_group = other;
        co_await async(attr, [&] {
            seen.push_back(current_scheduling_group());
            yield().get();
            seen.push_back(current_scheduling_group());
        });
        seen.push_back(current_scheduling_group());
    });
    EXPECT_EQ(current_scheduling_group(), default_scheduling_group());
    std::vector<scheduling_group> expected{sg, sg, sg, sg, sg, sg, other, other, sg};
    EXPECT_EQ(seen, expected);
    co_await destroy_scheduling_group(sg);
    co_await destroy_scheduling_group(other);
}

SEASTAR_TEST_CASE(scheduling_groups, limit_is_enforced_clearly) {
    std::vector<scheduling_group> groups;
    for (unsigned i = 1; i < max_scheduling_groups(); ++i) {
        groups.push_back(co_await create_scheduling_group("g" + std::to_string(i), 100));
    }
    bool failed = false;
    try {
        (void)co_await create_scheduling_group("overflow", 100);
    } catch (const std::runtime_error& e) {
        failed = true;
        EXPECT_NE(std::string(e.what()).find("overflow"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(failed);
    // Freeing one makes room again.
    co_await destroy_scheduling_group(groups.back());
    groups.back() = co_await create_scheduling_group("fits", 100);
    EXPECT_EQ(groups.back().name(), "fits");
    for (auto g : groups) {
        co_await destroy_scheduling_group(g);
    }
}

SEASTAR_TEST_CASE(scheduling_groups, destroy_rules) {
    auto sg = co_await create_scheduling_group("doomed", 100);
    // A queued task of the group: destruction is refused, the group stays.
    auto pending = with_scheduling_group(sg, [] {});
    EXPECT_EQ(engine().scheduling_group_queue_length(sg), 1u);
    bool refused = false;
    try {
        co_await destroy_scheduling_group(sg);
    } catch (const std::logic_error& e) {
        refused = std::string(e.what()).find("doomed") != std::string::npos;
    }
    EXPECT_TRUE(refused);
    EXPECT_EQ(sg.name(), "doomed");
    co_await std::move(pending);
    // From inside the group: refused.
    bool from_inside = false;
    co_await with_scheduling_group(sg, [&]() -> future<> {
        try {
            co_await destroy_scheduling_group(sg);
        } catch (const std::invalid_argument&) {
            from_inside = true;
        }
    });
    EXPECT_TRUE(from_inside);
    co_await destroy_scheduling_group(sg);
    bool twice = false, main_group = false;
    try {
        co_await destroy_scheduling_group(sg);
    } catch (const std::invalid_argument&) {
        twice = true;
    }
    try {
        co_await destroy_scheduling_group(default_scheduling_group());
    } catch (const std::invalid_argument&) {
        main_group = true;
    }
    EXPECT_TRUE(twice);
    EXPECT_TRUE(main_group);
    // A task still naming the destroyed group runs (in the default queue).
    bool ran = false;
    co_await with_scheduling_group(sg, [&] { ran = true; });
    EXPECT_TRUE(ran);
}

SEASTAR_TEST_CASE(scheduling_groups, rename_and_set_shares) {
    auto sg = co_await create_scheduling_group("old", 100);
    co_await rename_scheduling_group(sg, "new");
    EXPECT_EQ(sg.name(), "new");
    sg.set_shares(500);
    EXPECT_FLOAT_EQ(sg.get_shares(), 500);
    EXPECT_FLOAT_EQ(engine().get_scheduling_group_stats(sg).shares, 500);
    co_await destroy_scheduling_group(sg);
    bool bad = false;
    try {
        co_await rename_scheduling_group(sg, "gone");
    } catch (const std::invalid_argument&) {
        bad = true;
    }
    EXPECT_TRUE(bad);
}

struct tracked {
    static inline std::atomic<int> live{0};
    static inline std::atomic<int> renames{0};
    scheduling_group made_in;
    std::thread::id shard;
    uint64_t uses = 0;
    tracked() : made_in(current_scheduling_group()), shard(std::this_thread::get_id()) { ++live; }
    ~tracked() { --live; }
    void rename() { ++renames; }
};

SEASTAR_TEST_CASE(scheduling_groups, per_group_values) {
    int base = tracked::live;
    auto early = co_await create_scheduling_group("early", 100);
    auto key = co_await scheduling_group_key_create(make_scheduling_group_key_config<tracked>());
    // Made for every existing group (default and early), in that group.
    EXPECT_GE(tracked::live, base + 2);
    EXPECT_EQ(early.get_specific<tracked>(key).made_in, early);
    EXPECT_EQ(scheduling_group_get_specific<tracked>(default_scheduling_group(), key).made_in,
              default_scheduling_group());
    int with_early = tracked::live;
    auto late = co_await create_scheduling_group("late", 100);
    EXPECT_EQ(tracked::live, with_early + 1); // made when the group was created
    EXPECT_EQ(late.get_specific<tracked>(key).made_in, late);
    co_await with_scheduling_group(late, [key] { scheduling_group_get_specific<tracked>(key).uses++; });
    EXPECT_EQ(late.get_specific<tracked>(key).uses, 1u);
    int renames = tracked::renames;
    co_await rename_scheduling_group(late, "later");
    EXPECT_EQ(tracked::renames, renames + 1);
    co_await destroy_scheduling_group(late);
    EXPECT_EQ(tracked::live, with_early);
    co_await destroy_scheduling_group(early);
    EXPECT_EQ(tracked::live, with_early - 1);
}

// Several shards (reactors on their own threads) see the same groups: same
// index, name and shares; each has its own queue, statistics and values.
TEST(scheduling_groups_shards, same_identity_on_every_shard) {
    scheduling_group sg;
    std::optional<scheduling_group_key> key;
    int base = tracked::live;
    testing::run_in_reactor([&]() -> future<> {
        sg = co_await create_scheduling_group("shared", 250);
        key = co_await scheduling_group_key_create(make_scheduling_group_key_config<tracked>());
    });
    EXPECT_EQ(tracked::live, base); // the shard stopped: its values went with it
    constexpr int shards = 2;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < shards; ++i) {
        threads.emplace_back([&] {
            testing::run_in_reactor([&]() -> future<> {
                EXPECT_EQ(sg.name(), "shared");
                EXPECT_FLOAT_EQ(sg.get_shares(), 250);
                auto before = engine().get_scheduling_group_stats(sg).tasks_processed;
                co_await with_scheduling_group(sg, [&]() -> future<> {
                    co_await yield();
                    auto& v = scheduling_group_get_specific<tracked>(*key);
                    EXPECT_EQ(v.made_in, sg);
                    EXPECT_EQ(v.shard, std::this_thread::get_id());
                    ++v.uses;
                });
                EXPECT_GE(engine().get_scheduling_group_stats(sg).tasks_processed, before + 2);
                EXPECT_EQ(sg.get_specific<tracked>(*key).uses, 1u);
                ++ok;
            });
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(ok, shards);
    EXPECT_EQ(tracked::live, base);
    testing::run_in_reactor([&]() -> future<> { co_await destroy_scheduling_group(sg); });
    EXPECT_FALSE(internal::scheduling_group_live(internal::scheduling_group_index(sg)));
}

} // namespace
} // namespace seastar
