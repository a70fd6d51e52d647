#include "seastar/core/do_with.hh"

#include <memory>
#include <stdexcept>
#include <string>

#include "gtest/gtest.h"
#include "seastar/core/local_scheduler.hh"

namespace seastar {
namespace {

struct tracked {
    static inline int live = 0;
    int value;
    explicit tracked(int v) : value(v) { ++live; }
    tracked(tracked&& o) noexcept : value(o.value) { ++live; }
    ~tracked() { --live; }
};

TEST(do_with, values_live_until_the_future_resolves) {
    local_scheduler sched;
    promise<> gate;
    tracked* seen = nullptr;
    auto f = do_with(tracked(5), std::string("s"), [&](tracked& t, std::string& s) {
        seen = &t;
        return gate.get_future().then([&t, &s] {
            EXPECT_EQ(t.value, 5);   // still alive (asan would catch a use after free)
            EXPECT_EQ(s, "s");
            return t.value + 1;
        });
    });
    EXPECT_EQ(tracked::live, 1);
    sched.run_until_idle();
    EXPECT_EQ(tracked::live, 1);
    gate.set_value();
    EXPECT_EQ(sched.wait(std::move(f)), 6);
    EXPECT_EQ(tracked::live, 0);
}

TEST(do_with, ready_result_frees_at_once) {
    auto f = do_with(tracked(1), [](tracked& t) { return t.value; });
    EXPECT_EQ(tracked::live, 0);
    ASSERT_TRUE(f.available());
    EXPECT_EQ(f.get(), 1);
}

TEST(do_with, exceptions_fail_the_result_and_free_the_values) {
    local_scheduler sched;
    auto f = do_with(tracked(1), [](tracked&) -> future<int> { throw std::runtime_error("x"); });
    EXPECT_THROW(sched.wait(std::move(f)), std::runtime_error);
    promise<> gate;
    auto g = do_with(tracked(2), [&](tracked&) { return gate.get_future(); });
    gate.set_exception(std::runtime_error("y"));
    EXPECT_THROW(sched.wait(std::move(g)), std::runtime_error);
    EXPECT_EQ(tracked::live, 0);
}

TEST(do_with, move_only_values_and_void_result) {
    local_scheduler sched;
    promise<> gate;
    int out = 0;
    auto f = do_with(std::make_unique<int>(7), [&](std::unique_ptr<int>& p) {
        return gate.get_future().then([&] { out = *p; });
    });
    gate.set_value();
    sched.wait(std::move(f));
    EXPECT_EQ(out, 7);
}

} // namespace
} // namespace seastar
