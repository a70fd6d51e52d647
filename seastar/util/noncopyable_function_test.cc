#include "seastar/util/noncopyable_function.hh"

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(noncopyable_function, holds_move_only_captures) {
    noncopyable_function<int(int)> f = [p = std::make_unique<int>(2)](int x) { return x * *p; };
    EXPECT_EQ(f(21), 42);
    auto g = std::move(f);
    EXPECT_FALSE(f);
    EXPECT_TRUE(g);
    EXPECT_EQ(g(5), 10);
    static_assert(!std::is_copy_constructible_v<noncopyable_function<void()>>);
    static_assert(std::is_nothrow_move_constructible_v<noncopyable_function<void()>>);
}

// Whether the callable's state lives inside the function object (no allocation).
template <typename Sig>
bool inside(const noncopyable_function<Sig>& f, const void* p) {
    auto b = reinterpret_cast<const char*>(&f);
    auto q = static_cast<const char*>(p);
    return q >= b && q < b + sizeof(f);
}

TEST(noncopyable_function, small_callables_are_stored_inline) {
    std::array<char, 32> small{};
    noncopyable_function<const void*()> s = [small] { return static_cast<const void*>(small.data()); };
    EXPECT_TRUE(inside(s, s()));
    std::array<char, 33> big{};
    noncopyable_function<const void*()> l = [big] { return static_cast<const void*>(big.data()); };
    EXPECT_FALSE(inside(l, l()));
    // Both survive moves with their state.
    auto s2 = std::move(s);
    EXPECT_TRUE(inside(s2, s2()));
    auto l2 = std::move(l);
    EXPECT_FALSE(inside(l2, l2()));
}

struct counted {
    static inline int alive = 0;
    std::array<char, 64> pad{};
    counted() { ++alive; }
    counted(const counted&) { ++alive; }
    counted(counted&&) noexcept { ++alive; }
    ~counted() { --alive; }
    int operator()() const { return 1; }
};

TEST(noncopyable_function, destroys_what_it_holds_exactly_once) {
    {
        noncopyable_function<int()> a = counted();
        noncopyable_function<int()> b = [c = counted()] { return c() + 1; };
        EXPECT_EQ(counted::alive, 2);
        a = std::move(b);
        EXPECT_EQ(counted::alive, 1);
        EXPECT_EQ(a(), 2);
        a = nullptr;
        EXPECT_EQ(counted::alive, 0);
        noncopyable_function<int()> small = [x = std::make_shared<counted>()] { return (*x)(); };
        EXPECT_EQ(counted::alive, 1);
    }
    EXPECT_EQ(counted::alive, 0);
}

int twice(int x) {
    return 2 * x;
}

TEST(noncopyable_function, empty_and_plain_functions) {
    noncopyable_function<void()> empty;
    EXPECT_FALSE(empty);
    EXPECT_THROW(empty(), std::bad_function_call);
    int (*null_fn)(int) = nullptr;
    noncopyable_function<int(int)> from_null = null_fn;
    EXPECT_FALSE(from_null);
    noncopyable_function<int(int)> fp = twice;
    EXPECT_EQ(fp(4), 8);
    noncopyable_function<long(int)> converting = [](int x) { return x + 1; };
    EXPECT_EQ(converting(1), 2L);
}

TEST(noncopyable_function, passes_arguments_by_their_declared_kind) {
    noncopyable_function<void(std::unique_ptr<int>, std::string&)> f = [](std::unique_ptr<int> p, std::string& out) {
        out = std::to_string(*p);
    };
    std::string out;
    f(std::make_unique<int>(9), out);
    EXPECT_EQ(out, "9");
}

TEST(noncopyable_function, noexcept_signature) {
    noncopyable_function<int() noexcept> f = []() noexcept { return 3; };
    static_assert(noexcept(f()));
    EXPECT_EQ(f(), 3);
    static_assert(!std::is_constructible_v<noncopyable_function<int() noexcept>, int (*)()>);
    std::vector<noncopyable_function<void() noexcept>> v;
    int n = 0;
    for (int i = 0; i < 100; ++i) {
        v.emplace_back([&n]() noexcept { ++n; });
    }
    for (auto& g : v) {
        g();
    }
    EXPECT_EQ(n, 100);
}

} // namespace
} // namespace seastar
