#include "seastar/core/map_reduce.hh"

#include <functional>
#include <stdexcept>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(map_reduce, with_initial_and_reduce) {
    local_scheduler sched;
    std::vector<int> input{1, 2, 3, 4};
    auto f = map_reduce(
        input.begin(), input.end(), [](int v) { return yield().then([v] { return v * v; }); }, 0, std::plus<int>());
    EXPECT_EQ(sched.wait(std::move(f)), 30);
}

TEST(map_reduce, with_reducer_object) {
    local_scheduler sched;
    struct collect {
        std::vector<int> seen;
        void operator()(int v) { seen.push_back(v); }
        std::size_t get() { return seen.size(); }
    };
    std::vector<int> input{1, 2, 3};
    auto f = map_reduce(input.begin(), input.end(), [](int v) { return make_ready_future<int>(v); }, collect{});
    EXPECT_EQ(sched.wait(std::move(f)), 3u);
}

TEST(map_reduce, failing_mapper_fails_the_result) {
    local_scheduler sched;
    std::vector<int> input{1, 2, 3};
    auto f = map_reduce(
        input.begin(), input.end(),
        [](int v) {
            if (v == 2) {
                throw std::runtime_error("mapper");
            }
            return v;
        },
        0, std::plus<int>());
    EXPECT_THROW(sched.wait(std::move(f)), std::runtime_error);
}

TEST(map_reduce, over_a_range_with_adder) {
    local_scheduler sched;
    std::vector<int> input{1, 2, 3, 4};
    auto f = map_reduce(input, [](int v) { return yield().then([v] { return size_t(v) * 10; }); }, adder<size_t>());
    EXPECT_EQ(sched.wait(std::move(f)), 100u);
    auto g = map_reduce(input, [](int v) { return v; }, 1, std::multiplies<int>());
    EXPECT_EQ(sched.wait(std::move(g)), 24);
    auto h = map_reduce(
        input,
        [](int v) {
            if (v == 3) {
                throw std::runtime_error("map");
            }
            return v;
        },
        adder<int>());
    EXPECT_THROW(sched.wait(std::move(h)), std::runtime_error);
}

} // namespace
} // namespace seastar
