#include "seastar/core/shared_ptr.hh"

#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "gtest/gtest.h"

namespace seastar {
namespace {

struct tracked {
    static inline int alive = 0;
    int v;
    explicit tracked(int x = 0) : v(x) { ++alive; }
    tracked(const tracked& o) : v(o.v) { ++alive; }
    ~tracked() { --alive; }
};

TEST(lw_shared_ptr, counts_and_frees_once) {
    {
        auto p = make_lw_shared<tracked>(5);
        EXPECT_EQ(tracked::alive, 1);
        EXPECT_EQ(p.use_count(), 1);
        EXPECT_TRUE(p.owned());
        auto q = p;
        EXPECT_EQ(p.use_count(), 2);
        EXPECT_FALSE(p.owned());
        EXPECT_EQ(q->v, 5);
        EXPECT_EQ(p, q);
        auto r = std::move(q);
        EXPECT_FALSE(q);
        EXPECT_EQ(q, nullptr);
        EXPECT_EQ(p.use_count(), 2);
        r = nullptr;
        EXPECT_EQ(p.use_count(), 1);
        lw_shared_ptr<const tracked> c = p; // to const
        EXPECT_EQ(c->v, 5);
        EXPECT_EQ(p.use_count(), 2);
    }
    EXPECT_EQ(tracked::alive, 0);
    auto v = make_lw_shared<std::vector<int>>(3, 7);
    EXPECT_EQ(v->size(), 3u);
    EXPECT_EQ((*v)[2], 7);
    std::string s = "moved";
    auto sp = make_lw_shared(std::move(s));
    EXPECT_EQ(*sp, "moved");
    std::string copy_me = "copied";
    auto cp = make_lw_shared(copy_me);
    EXPECT_EQ(*cp, "copied");
    EXPECT_EQ(copy_me, "copied");
}

TEST(lw_shared_ptr, constructor_throwing_leaks_nothing) {
    struct thrower {
        thrower() { throw std::runtime_error("no"); }
    };
    EXPECT_THROW(make_lw_shared<thrower>(), std::runtime_error);
}

struct self_aware : enable_lw_shared_from_this<self_aware> {
    int x = 3;
    lw_shared_ptr<self_aware> me() { return shared_from_this(); }
};

TEST(lw_shared_ptr, enable_shared_from_this_keeps_the_count_inside) {
    auto p = make_lw_shared<self_aware>();
    auto q = p->me();
    EXPECT_EQ(q.get(), p.get());
    EXPECT_EQ(p.use_count(), 2);
    EXPECT_EQ(p->use_count(), 2);
    const self_aware& cr = *p;
    lw_shared_ptr<const self_aware> cq = cr.shared_from_this();
    EXPECT_EQ(p.use_count(), 3);
    p = nullptr;
    q = nullptr;
    EXPECT_EQ(cq->x, 3);
    EXPECT_EQ(cq.use_count(), 1);
}

struct base {
    static inline int destroyed = 0;
    virtual ~base() { ++destroyed; }
    virtual int id() const { return 1; }
};
struct derived : base {
    int id() const override { return 2; }
};
struct other : base {};

TEST(shared_ptr, converts_to_base_and_casts_back) {
    base::destroyed = 0;
    {
        shared_ptr<base> b = make_shared<derived>();
        EXPECT_EQ(b->id(), 2);
        EXPECT_EQ(b.use_count(), 1);
        auto d = dynamic_pointer_cast<derived>(b);
        ASSERT_TRUE(d);
        EXPECT_EQ(b.use_count(), 2);
        EXPECT_FALSE(dynamic_pointer_cast<other>(b));
        auto s = static_pointer_cast<derived>(b);
        EXPECT_EQ(s, d);
        shared_ptr<const base> cb = b;
        auto mb = const_pointer_cast<base>(cb);
        EXPECT_EQ(mb, b);
        EXPECT_EQ(b.use_count(), 5);
        b = nullptr;
        EXPECT_EQ(d.use_count(), 4); // d, s, cb, mb
        EXPECT_EQ(base::destroyed, 0);
    }
    // The derived object was destroyed through the count, exactly once.
    EXPECT_EQ(base::destroyed, 1);
}

struct esft_base : enable_shared_from_this<esft_base> {
    virtual ~esft_base() = default;
};
struct esft_derived : esft_base {
    int y = 9;
};

TEST(shared_ptr, shared_from_this_through_a_base) {
    auto d = make_shared<esft_derived>();
    shared_ptr<esft_base> b = d->shared_from_this();
    EXPECT_EQ(d.use_count(), 2);
    EXPECT_EQ(static_pointer_cast<esft_derived>(b)->y, 9);
    d = nullptr;
    EXPECT_EQ(b.use_count(), 1);
}

TEST(shared_ptr, hash_compare_print) {
    auto a = make_shared<int>(1);
    auto b = make_shared<int>(1);
    std::unordered_set<shared_ptr<int>> set{a, b, a};
    EXPECT_EQ(set.size(), 2u);
    EXPECT_NE(a, b);
    EXPECT_TRUE(shared_ptr_equal_by_value<int>()(a, b));
    EXPECT_EQ(shared_ptr_value_hash<int>()(a), std::hash<int>()(1));
    EXPECT_TRUE((a < b) != (b < a));
    std::ostringstream os;
    os << a << ' ' << shared_ptr<int>() << ' ' << make_lw_shared<int>(4);
    EXPECT_EQ(os.str(), "1 null 4");
    std::unordered_set<lw_shared_ptr<int>> lset{make_lw_shared<int>(1)};
    EXPECT_EQ(lset.size(), 1u);
}

} // namespace
} // namespace seastar
