#include "seastar/util/backtrace.hh"

#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "gtest/gtest.h"

namespace seastar {
namespace {

[[gnu::noinline]] saved_backtrace capture_in_named_function() {
    auto bt = current_backtrace();
    asm volatile("" ::: "memory"); // keep the call from becoming a tail call
    return bt;
}

[[gnu::noinline]] saved_backtrace capture_a(int i) {
    auto bt = current_backtrace();
    asm volatile("" ::: "memory");
    return bt;
}

[[gnu::noinline]] saved_backtrace capture_b() {
    auto bt = current_backtrace();
    asm volatile("" ::: "memory");
    return bt;
}

TEST(backtrace, names_the_calling_function) {
    auto bt = capture_in_named_function();
    ASSERT_FALSE(bt.empty());
    EXPECT_LE(bt.size(), saved_backtrace::max_frames);
    auto text = fmt::format("{}", bt);
    EXPECT_NE(text.find("capture_in_named_function"), std::string::npos) << text;
    std::ostringstream os;
    os << bt;
    EXPECT_EQ(os.str(), text);
    // The first frame is the caller of current_backtrace, in this executable.
    ASSERT_NE(bt.begin()->so, nullptr);
    EXPECT_GE(bt.begin()->addr, bt.begin()->so->begin);
    EXPECT_LT(bt.begin()->addr, bt.begin()->so->end);
}

TEST(backtrace, equal_for_the_same_stack_and_hashable) {
    std::vector<saved_backtrace> v;
    for (int i = 0; i < 3; ++i) {
        v.push_back(capture_a(i)); // one call site: the same stack each time
    }
    EXPECT_EQ(v[0], v[1]);
    EXPECT_EQ(v[1], v[2]);
    EXPECT_EQ(v[0].hash(), v[2].hash());
    std::unordered_set<saved_backtrace> seen(v.begin(), v.end());
    EXPECT_EQ(seen.size(), 1u);
    auto b = capture_b();
    EXPECT_FALSE(v[0] == b);
    seen.insert(b);
    EXPECT_EQ(seen.size(), 2u);
    int frames = 0;
    backtrace([&](frame f) noexcept { ++frames; });
    EXPECT_GT(frames, 0);
}

TEST(backtrace, exceptions_carry_the_throw_site) {
    try {
        throw_with_backtrace<std::runtime_error>("bad state");
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        EXPECT_EQ(what.rfind("bad state Backtrace:", 0), 0u) << what;
        EXPECT_NE(what.find("exceptions_carry_the_throw_site"), std::string::npos) << what;
    }
    auto ep = make_backtraced_exception_ptr<std::invalid_argument>("arg");
    EXPECT_THROW(std::rethrow_exception(ep), std::invalid_argument);
}

} // namespace
} // namespace seastar
