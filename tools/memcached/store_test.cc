// The per-shard store: storage modes, cas, incr/decr, expiration on a manual
// clock, delayed flush_all, LRU eviction within the byte limit, size limits.
#include "tools/memcached/store.hh"

#include <gtest/gtest.h>

#include <string>

using namespace seastar::memcache;

namespace {

std::string value_of(store& s, std::string_view key) {
    auto* it = s.find(key);
    return it ? std::string(it->value()) : std::string("<miss>");
}

} // namespace

TEST(store, modes) {
    manual_clock_source clk;
    store s({}, clk);
    EXPECT_EQ(s.store_item(store_mode::add, "k", "1", 5, 0, 0), store_result::stored);
    EXPECT_EQ(s.store_item(store_mode::add, "k", "2", 0, 0, 0), store_result::not_stored);
    EXPECT_EQ(s.store_item(store_mode::replace, "x", "2", 0, 0, 0), store_result::not_stored);
    EXPECT_EQ(s.store_item(store_mode::replace, "k", "2", 7, 0, 0), store_result::stored);
    EXPECT_EQ(s.store_item(store_mode::append, "k", "3", 0, 0, 0), store_result::stored);
    EXPECT_EQ(s.store_item(store_mode::prepend, "k", "1", 0, 0, 0), store_result::stored);
    EXPECT_EQ(value_of(s, "k"), "123");
    EXPECT_EQ(s.find("k")->flags(), 7u); // append/prepend keep the flags
    EXPECT_EQ(s.store_item(store_mode::append, "nope", "3", 0, 0, 0), store_result::not_stored);
    uint64_t cas = s.find("k")->cas();
    EXPECT_EQ(s.erase("k", cas + 1), erase_result::exists);
    EXPECT_EQ(s.erase("k", cas), erase_result::deleted);
    EXPECT_EQ(s.erase("k", 0), erase_result::not_found);
    s.store_item(store_mode::set, "k", "v", 0, 0, 0);
    EXPECT_TRUE(s.erase("k"));
    EXPECT_FALSE(s.erase("k"));
    EXPECT_EQ(value_of(s, "k"), "<miss>");
    EXPECT_EQ(s.stats().curr_items, 0u);
    EXPECT_EQ(s.stats().bytes, 0u);
}

TEST(store, cas_uniques) {
    manual_clock_source clk;
    store s({}, clk, uint64_t(3) << 56);
    uint64_t c1 = 0, c2 = 0;
    EXPECT_EQ(s.store_item(store_mode::set, "k", "a", 0, 0, 0, &c1), store_result::stored);
    EXPECT_GT(c1, uint64_t(3) << 56);
    EXPECT_EQ(s.find("k")->cas(), c1);
    EXPECT_EQ(s.store_item(store_mode::cas, "k", "b", 0, 0, c1 + 100), store_result::exists);
    EXPECT_EQ(s.store_item(store_mode::cas, "k", "b", 0, 0, c1, &c2), store_result::stored);
    EXPECT_NE(c1, c2);
    EXPECT_EQ(s.store_item(store_mode::cas, "k", "c", 0, 0, c1), store_result::exists);
    EXPECT_EQ(s.store_item(store_mode::cas, "none", "c", 0, 0, c1), store_result::not_found);
    EXPECT_EQ(value_of(s, "k"), "b");
    EXPECT_EQ(s.stats().cas_hits, 1u);
    EXPECT_EQ(s.stats().cas_badval, 2u);
    EXPECT_EQ(s.stats().cas_misses, 1u);
}

TEST(store, incr_decr) {
    manual_clock_source clk;
    store s({}, clk);
    uint64_t r = 0;
    EXPECT_EQ(s.apply_delta("n", true, 1, r), delta_result::not_found);
    s.store_item(store_mode::set, "n", "18446744073709551614", 0, 0, 0);
    EXPECT_EQ(s.apply_delta("n", true, 3, r), delta_result::ok);
    EXPECT_EQ(r, 1u); // wraps at 2^64
    EXPECT_EQ(s.apply_delta("n", false, 5, r), delta_result::ok);
    EXPECT_EQ(r, 0u); // decr stops at 0
    EXPECT_EQ(value_of(s, "n"), "0");
    s.store_item(store_mode::set, "t", "12abc", 0, 0, 0);
    EXPECT_EQ(s.apply_delta("t", true, 1, r), delta_result::non_numeric);
    s.store_item(store_mode::set, "e", "", 0, 0, 0);
    EXPECT_EQ(s.apply_delta("e", true, 1, r), delta_result::non_numeric);
    auto before = s.find("n")->cas();
    s.apply_delta("n", true, 10, r);
    EXPECT_NE(s.find("n")->cas(), before);
    EXPECT_EQ(value_of(s, "n"), "10");
}

TEST(store, expiration) {
    manual_clock_source clk;
    store s({}, clk);
    s.store_item(store_mode::set, "rel", "v", 0, 10, 0);
    s.store_item(store_mode::set, "abs", "v", 0, clk.now() + 100, 0); // > 30 days: absolute
    s.store_item(store_mode::set, "never", "v", 0, 0, 0);
    EXPECT_EQ(s.store_item(store_mode::set, "neg", "v", 0, -1, 0), store_result::stored);
    EXPECT_EQ(value_of(s, "neg"), "<miss>");
    EXPECT_EQ(s.store_item(store_mode::set, "past", "v", 0, clk.now() - 5, 0), store_result::stored);
    EXPECT_EQ(value_of(s, "past"), "<miss>");
    clk.advance(9);
    EXPECT_EQ(value_of(s, "rel"), "v");
    clk.advance(1);
    EXPECT_EQ(value_of(s, "rel"), "<miss>");
    EXPECT_EQ(value_of(s, "abs"), "v");
    clk.advance(90);
    EXPECT_EQ(value_of(s, "abs"), "<miss>");
    EXPECT_EQ(value_of(s, "never"), "v");
    // touch moves the deadline.
    s.store_item(store_mode::set, "t", "v", 0, 5, 0);
    EXPECT_NE(s.touch("t", 100, false), nullptr);
    clk.advance(50);
    EXPECT_EQ(value_of(s, "t"), "v");
    EXPECT_EQ(s.touch("missing", 1, false), nullptr);
    EXPECT_EQ(s.stats().touch_hits, 1u);
    EXPECT_EQ(s.stats().touch_misses, 1u);
    EXPECT_EQ(s.stats().get_expired, 2u);
}

TEST(store, delayed_flush) {
    manual_clock_source clk;
    store s({}, clk);
    s.store_item(store_mode::set, "a", "v", 0, 0, 0);
    s.flush_all(10);
    clk.advance(5);
    EXPECT_EQ(value_of(s, "a"), "v");
    clk.advance(5);
    EXPECT_EQ(value_of(s, "a"), "<miss>");
    clk.advance(1);
    s.store_item(store_mode::set, "b", "v", 0, 0, 0); // after the flush: stays
    EXPECT_EQ(value_of(s, "b"), "v");
    s.flush_all(0);
    EXPECT_EQ(value_of(s, "b"), "<miss>");
    EXPECT_EQ(s.item_count(), 0u);
}

TEST(store, lru_eviction_within_limit) {
    manual_clock_source clk;
    const size_t per_item = 2 + 100 + item_overhead;
    store s({.max_bytes = per_item * 10, .max_item_size = 1 << 20}, clk);
    std::string v(100, 'x');
    for (int i = 0; i < 10; ++i) {
        ASSERT_EQ(s.store_item(store_mode::set, "k" + std::to_string(i), v, 0, 0, 0), store_result::stored);
    }
    EXPECT_EQ(s.bytes(), per_item * 10);
    EXPECT_NE(s.find("k0"), nullptr); // k0 becomes the most recently used
    ASSERT_EQ(s.store_item(store_mode::set, "ka", v, 0, 0, 0), store_result::stored);
    EXPECT_EQ(s.stats().evictions, 1u);
    EXPECT_EQ(s.find("k1"), nullptr); // the least recently used went
    EXPECT_NE(s.find("k0"), nullptr);
    EXPECT_LE(s.bytes(), per_item * 10);
    // Under steady overwrites the budget holds.
    for (int i = 0; i < 100; ++i) {
        s.store_item(store_mode::set, "m" + std::to_string(i % 10), v, 0, 0, 0);
        EXPECT_LE(s.bytes(), per_item * 10);
    }
    // An item bigger than the whole cache is refused, not stored by evicting everything.
    store tiny({.max_bytes = 100, .max_item_size = 1 << 20}, clk);
    EXPECT_EQ(tiny.store_item(store_mode::set, "big", std::string(200, 'x'), 0, 0, 0), store_result::no_memory);
}

TEST(store, a_value_that_changes_length_keeps_its_item_and_accounting) {
    manual_clock_source clk;
    store s({}, clk);
    uint64_t r = 0;
    ASSERT_EQ(s.store_item(store_mode::set, "n", "9", 7, 100, 0), store_result::stored);
    const size_t base = s.bytes();
    EXPECT_EQ(s.apply_delta("n", true, 1, r), delta_result::ok); // 9 -> 10: one byte longer
    EXPECT_EQ(value_of(s, "n"), "10");
    EXPECT_EQ(s.bytes(), base + 1);
    EXPECT_EQ(s.find("n")->flags(), 7u);
    EXPECT_EQ(s.find("n")->exptime(), clk.now() + 100);
    EXPECT_EQ(s.apply_delta("n", false, 5, r), delta_result::ok); // back to one byte
    EXPECT_EQ(value_of(s, "n"), "5");
    EXPECT_EQ(s.bytes(), base);
    EXPECT_EQ(s.item_count(), 1u);
    ASSERT_EQ(s.store_item(store_mode::append, "n", "67", 0, 0, 0), store_result::stored);
    ASSERT_EQ(s.store_item(store_mode::prepend, "n", "34", 0, 0, 0), store_result::stored);
    EXPECT_EQ(value_of(s, "n"), "34567");
    EXPECT_EQ(s.bytes(), base + 4);
    EXPECT_EQ(s.find("n")->flags(), 7u);
    // Expiry is the item's, not reset by the rewrite.
    clk.advance(101);
    EXPECT_EQ(value_of(s, "n"), "<miss>");
    EXPECT_EQ(s.bytes(), 0u);
}

TEST(store, many_keys_each_find_their_own_value) {
    manual_clock_source clk;
    store s({.max_bytes = 64 << 20, .max_item_size = 1 << 20}, clk);
    constexpr int n = 20000;
    for (int i = 0; i < n; ++i) {
        ASSERT_EQ(s.store_item(store_mode::set, "key:" + std::to_string(i), "value-" + std::to_string(i), 0, 0, 0),
                  store_result::stored);
    }
    EXPECT_EQ(s.item_count(), size_t(n));
    for (int i = 0; i < n; i += 7) {
        ASSERT_EQ(value_of(s, "key:" + std::to_string(i)), "value-" + std::to_string(i));
        ASSERT_TRUE(s.erase("key:" + std::to_string(i)));
    }
    for (int i = 0; i < n; ++i) {
        auto expect = i % 7 == 0 ? std::string("<miss>") : "value-" + std::to_string(i);
        ASSERT_EQ(value_of(s, "key:" + std::to_string(i)), expect);
    }
    EXPECT_EQ(s.item_count(), size_t(n - (n + 6) / 7));
}

TEST(store, item_size_limit) {
    manual_clock_source clk;
    store s({.max_bytes = 1 << 20, .max_item_size = 1000}, clk);
    s.store_item(store_mode::set, "k", "old", 0, 0, 0);
    EXPECT_EQ(s.store_item(store_mode::set, "k", std::string(1000, 'x'), 0, 0, 0), store_result::too_large);
    EXPECT_EQ(value_of(s, "k"), "<miss>"); // a refused set drops the old value
    s.store_item(store_mode::set, "a", std::string(900, 'x'), 0, 0, 0);
    EXPECT_EQ(s.store_item(store_mode::append, "a", std::string(100, 'x'), 0, 0, 0), store_result::too_large);
    EXPECT_EQ(value_of(s, "a").size(), 900u);
}

TEST(store, keys) {
    EXPECT_TRUE(valid_key("a"));
    EXPECT_TRUE(valid_key(std::string(250, 'k')));
    EXPECT_FALSE(valid_key(std::string(251, 'k')));
    EXPECT_FALSE(valid_key(""));
    EXPECT_FALSE(valid_key("a b"));
    EXPECT_FALSE(valid_key("a\x01"));
    EXPECT_FALSE(valid_key("a\x7f"));
    EXPECT_TRUE(valid_key("\xc3\xa9t\xc3\xa9")); // UTF-8 is fine
}
