#include "seastar/core/weak_ptr.hh"

#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace seastar {
namespace {

struct object : weakly_referencable<object> {
    int value = 7;
};

TEST(weak_ptr, becomes_null_when_the_object_dies) {
    auto o = std::make_unique<object>();
    weak_ptr<object> w = o->weak_from_this();
    weak_ptr<object> copy = w;
    weak_ptr<object> moved_from = o->weak_from_this();
    weak_ptr<object> moved = std::move(moved_from);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->value, 7);
    EXPECT_EQ(copy.get(), o.get());
    EXPECT_FALSE(moved_from);
    EXPECT_TRUE(moved);
    EXPECT_TRUE(w == copy);
    o.reset();
    EXPECT_FALSE(w);
    EXPECT_FALSE(copy);
    EXPECT_FALSE(moved);
    EXPECT_EQ(w.get(), nullptr);
}

TEST(weak_ptr, weak_pointers_may_die_first_in_any_order) {
    object o;
    std::vector<weak_ptr<object>> v;
    for (int i = 0; i < 10; ++i) {
        v.push_back(o.weak_from_this());
    }
    v.erase(v.begin() + 3);
    v.erase(v.begin());
    v.pop_back();
    for (auto& w : v) {
        EXPECT_EQ(w.get(), &o);
    }
    v.clear();
    weak_ptr<object> late = o.weak_from_this();
    late = nullptr;
    EXPECT_FALSE(late);
}

TEST(weak_ptr, copying_the_object_does_not_carry_weak_pointers) {
    auto a = std::make_unique<object>();
    auto w = a->weak_from_this();
    auto b = std::make_unique<object>(*a);
    object c = std::move(*a);
    a.reset();
    EXPECT_FALSE(w);
    auto wb = b->weak_from_this();
    EXPECT_EQ(wb.get(), b.get());
}

struct base : weakly_referencable<base> {
    virtual ~base() = default;
};
struct derived : base {};

TEST(weak_ptr, const_and_base_conversions) {
    const object o;
    weak_ptr<const object> cw = o.weak_from_this();
    EXPECT_EQ(cw->value, 7);
    derived d;
    weak_ptr<base> wb = d.weak_from_this();
    EXPECT_EQ(wb.get(), static_cast<base*>(&d));
}

} // namespace
} // namespace seastar
