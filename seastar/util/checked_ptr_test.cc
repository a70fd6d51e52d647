#include "seastar/core/checked_ptr.hh"

#include <memory>
#include <unordered_set>

#include "seastar/core/shared_ptr.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

struct item {
    int v = 4;
};

TEST(checked_ptr, dereferencing_null_throws) {
    checked_ptr<item*> p;
    EXPECT_FALSE(p);
    EXPECT_EQ(p.get(), nullptr);
    EXPECT_THROW((void)p->v, checked_ptr_is_null_exception);
    EXPECT_THROW((void)*p, checked_ptr_is_null_exception);
    item i;
    p = &i;
    EXPECT_EQ(p->v, 4);
    EXPECT_EQ((*p).v, 4);
}

TEST(checked_ptr, wraps_smart_pointers) {
    checked_ptr<lw_shared_ptr<item>> s = make_lw_shared<item>();
    EXPECT_EQ(s->v, 4);
    EXPECT_EQ(s.ptr().use_count(), 1);
    checked_ptr<std::unique_ptr<item>> u(std::make_unique<item>());
    u->v = 8;
    EXPECT_EQ(u.get()->v, 8);
    checked_ptr<std::unique_ptr<item>> empty(nullptr);
    EXPECT_THROW((void)empty->v, checked_ptr_is_null_exception);
    EXPECT_TRUE(empty == nullptr);
}

struct counting_action {
    static inline int calls = 0;
    void operator()() const {
        ++calls;
        throw std::logic_error("custom");
    }
};

TEST(checked_ptr, custom_action_and_hash) {
    checked_ptr<item*, counting_action> p;
    EXPECT_THROW((void)*p, std::logic_error);
    EXPECT_EQ(counting_action::calls, 1);
    item a, b;
    std::unordered_set<checked_ptr<item*>> set{&a, &b, &a};
    EXPECT_EQ(set.size(), 2u);
}

} // namespace
} // namespace seastar
