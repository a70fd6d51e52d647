#include "seastar/coroutine/generator.hh"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"

namespace seastar {
namespace {

using coroutine::experimental::elements_of;
using coroutine::experimental::generator;

generator<int> fibonacci(unsigned count) {
    int a = 0, b = 1;
    for (unsigned i = 0; i < count; ++i) {
        if (std::numeric_limits<int>::max() - a < b) {
            throw std::out_of_range("fibonacci overflows int");
        }
        co_yield std::exchange(a, std::exchange(b, a + b));
    }
}

template <typename G>
future<std::vector<std::remove_cvref_t<typename G::reference>>> collect(G g) {
    std::vector<std::remove_cvref_t<typename G::reference>> out;
    for (auto it = co_await g.begin(); it != g.end(); co_await ++it) {
        out.push_back(*it);
    }
    co_return out;
}

TEST(generator, yields_in_order_and_ends) {
    local_scheduler sched;
    EXPECT_EQ(sched.wait(collect(fibonacci(10))), (std::vector<int>{0, 1, 1, 2, 3, 5, 8, 13, 21, 34}));
    EXPECT_TRUE(sched.wait(collect(fibonacci(0))).empty());
}

TEST(generator, is_lazy) {
    local_scheduler sched;
    int started = 0;
    auto make = [&]() -> generator<int> {
        ++started;
        co_yield 1;
    };
    auto g = make();
    EXPECT_EQ(started, 0);
    EXPECT_EQ(sched.wait(collect(std::move(g))), std::vector<int>{1});
    EXPECT_EQ(started, 1);
}

TEST(generator, awaits_futures_between_elements) {
    local_scheduler sched;
    auto slow = []() -> generator<std::string> {
        for (int i = 0; i < 3; ++i) {
            co_await yield(); // suspends on a future that is not ready
            std::string s = "item" + std::to_string(i);
            co_yield s; // an lvalue: copied for the consumer
        }
    };
    EXPECT_EQ(sched.wait(collect(slow())), (std::vector<std::string>{"item0", "item1", "item2"}));
}

TEST(generator, an_exception_fails_the_pending_step_and_ends_the_sequence) {
    local_scheduler sched;
    auto co = []() -> future<std::vector<int>> {
        std::vector<int> seen;
        auto g = fibonacci(100); // overflows int after 45 elements
        auto it = co_await g.begin();
        try {
            for (; it != g.end(); co_await ++it) {
                seen.push_back(*it);
            }
            ADD_FAILURE() << "the overflow was not reported";
        } catch (const std::out_of_range&) {
        }
        EXPECT_TRUE(it == g.end());
        co_return seen;
    };
    EXPECT_EQ(sched.wait(co()).size(), 45u); // F(0)..F(44); F(45) + F(46) overflows
}

generator<int> tree(int depth) {
    // A node yields its depth, then the elements of its two subtrees.
    co_yield depth;
    if (depth > 0) {
        co_yield elements_of(tree(depth - 1));
        co_yield elements_of(tree(depth - 1));
    }
}

TEST(generator, elements_of_a_generator_nests_recursively) {
    local_scheduler sched;
    EXPECT_EQ(sched.wait(collect(tree(2))), (std::vector<int>{2, 1, 0, 0, 1, 0, 0}));
    EXPECT_EQ(sched.wait(collect(tree(10))).size(), 2047u);
}

TEST(generator, elements_of_a_range) {
    local_scheduler sched;
    auto g = []() -> generator<int> {
        std::vector<int> v{1, 2, 3};
        co_yield 0;
        co_yield elements_of(v);
        co_yield elements_of(std::vector<int>{4, 5});
        co_yield elements_of(std::vector<int>{});
        co_yield 6;
    };
    EXPECT_EQ(sched.wait(collect(g())), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(generator, a_nested_exception_comes_out_of_the_co_yield) {
    local_scheduler sched;
    auto failing = []() -> generator<int> {
        co_yield 1;
        co_await yield();
        throw std::runtime_error("nested failure");
    };
    auto outer = [&]() -> generator<int> {
        bool caught = false;
        try {
            co_yield elements_of(failing());
        } catch (const std::runtime_error& e) {
            caught = std::string(e.what()) == "nested failure"; // inside the outer generator
        }
        if (caught) {
            co_yield 99;
        }
        co_yield 100;
    };
    EXPECT_EQ(sched.wait(collect(outer())), (std::vector<int>{1, 99, 100}));
}

TEST(generator, destroying_an_unfinished_generator_frees_its_frames) {
    local_scheduler sched;
    struct tracked {
        int* alive;
        explicit tracked(int* a) : alive(a) { ++*alive; }
        ~tracked() { --*alive; }
    };
    int alive = 0;
    auto nested = [&]() -> generator<int> {
        tracked t(&alive);
        co_yield 1;
        co_yield 2;
    };
    auto outer = [&]() -> generator<int> {
        tracked t(&alive);
        co_yield elements_of(nested());
    };
    auto co = [&]() -> future<> {
        auto g = outer();
        auto it = co_await g.begin();
        EXPECT_EQ(*it, 1);
        EXPECT_EQ(alive, 2);
    };
    sched.wait(co());
    EXPECT_EQ(alive, 0);
}

TEST(generator, yields_references_without_copies) {
    local_scheduler sched;
    std::vector<std::string> store{"a", "b"};
    auto refs = [&]() -> generator<const std::string&> {
        for (auto& s : store) {
            co_yield s;
        }
    };
    auto co = [&]() -> future<int> {
        int same = 0;
        auto g = refs();
        for (auto it = co_await g.begin(); it != g.end(); co_await ++it) {
            same += &*it == &store[size_t(same)] ? 1 : 0;
        }
        co_return same;
    };
    EXPECT_EQ(sched.wait(co()), 2);
}

} // namespace
} // namespace seastar
