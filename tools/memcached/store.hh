// store: one shard's slice of the cache. An open-addressing hash table of
// items with an intrusive LRU list, a byte budget (least recently used items are evicted to make room),
// expiration, 64-bit cas uniques and memcached's per-shard counters.
//
// Contract:
//   * Single-threaded: a store belongs to one shard and is used only there
//     (the sharded cache routes every key to its owner). Nothing here blocks
//     or returns futures.
//   * Time comes from a `clock_source` (unix seconds) so tests can move it by
//     hand (`manual_clock_source`). Expiration follows memcached: 0 never
//     expires, a negative value is already expired, up to 30 days is relative
//     to now, anything larger is an absolute unix time.
//   * Memory: every item is charged its key, value and a fixed overhead
//     (item_overhead). An item larger than `max_item_size` is refused
//     (too_large); an item that cannot fit even in an empty store is refused
//     (no_memory); otherwise older items are evicted. Allocation failure
//     throws std::bad_alloc.
//   * Keys are validated by the protocol layer (valid_key()).
//
//     seastar::memcache::system_clock_source clk;
//     seastar::memcache::store s({.max_bytes = 64 << 20}, clk);
//     s.store_item(store_mode::set, "k", "v", 0, 0, 0);
//     auto* it = s.find("k");   // it->value() == "v"
#pragma once

#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

#include <boost/intrusive/list.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seastar::memcache {

// Unix time in seconds, for expiration.
class clock_source {
public:
    virtual ~clock_source() = default;
    virtual int64_t now() const = 0;
};

class system_clock_source final : public clock_source {
public:
    int64_t now() const override;
};

// Time that moves only through advance(): for tests.
// Any shard may read it while one advances it.
class manual_clock_source final : public clock_source {
    std::atomic<int64_t> _now;

public:
    explicit manual_clock_source(int64_t start = 1'700'000'000) noexcept : _now(start) {}
    int64_t now() const override { return _now.load(std::memory_order_relaxed); }
    void advance(int64_t seconds) noexcept { _now.fetch_add(seconds, std::memory_order_relaxed); }
};

constexpr size_t max_key_length = 250;
// Relative expiration times are at most this many seconds (30 days).
constexpr int64_t max_relative_exptime = 60 * 60 * 24 * 30;
// Bytes charged per item beyond its key and value.
constexpr size_t item_overhead = 64;

// A key memcached accepts: 1..250 bytes, no space or control character.
bool valid_key(std::string_view key) noexcept;

struct store_config {
    size_t max_bytes = size_t(64) << 20;
    size_t max_item_size = size_t(1) << 20;
};

// One cached item: a header followed in the same allocation by its key and
// then its value, so a lookup that hits reads one or two cache lines.
class item {
    friend class store;
    boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>> _lru_link;
    uint64_t _cas = 0;
    int64_t _exptime = 0; // absolute unix seconds; 0: never
    int64_t _stored = 0;  // when it was stored (for delayed flush_all)
    uint32_t _flags = 0;
    uint32_t _value_size = 0;
    uint8_t _key_size = 0; // keys are at most 250 bytes

    item() = default;
    char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
    const char* data() const noexcept { return reinterpret_cast<const char*>(this + 1); }
    char* value_data() noexcept { return data() + _key_size; }

public:
    item(const item&) = delete;
    item& operator=(const item&) = delete;

    std::string_view key() const noexcept { return {data(), _key_size}; }
    std::string_view value() const noexcept { return {data() + _key_size, _value_size}; }
    uint32_t flags() const noexcept { return _flags; }
    uint64_t cas() const noexcept { return _cas; }
    int64_t exptime() const noexcept { return _exptime; }
    size_t footprint() const noexcept { return size_t(_key_size) + _value_size + item_overhead; }

private:
    // A new item for `key` with room for `value_size` bytes of value (unset).
    static item* create(std::string_view key, size_t value_size);
    static void destroy(item* it) noexcept;
};

enum class store_mode { set, add, replace, append, prepend, cas };

enum class store_result { stored, not_stored, exists, not_found, too_large, no_memory };

// no_memory: the new value did not fit even after evicting everything else
// (the item is gone then).
enum class delta_result { ok, not_found, non_numeric, no_memory };

enum class erase_result { deleted, not_found, exists };

struct store_stats {
    uint64_t curr_items = 0;
    uint64_t total_items = 0;
    uint64_t bytes = 0;
    uint64_t evictions = 0;
    uint64_t reclaimed = 0;
    uint64_t cmd_get = 0;
    uint64_t get_hits = 0;
    uint64_t get_misses = 0;
    uint64_t get_expired = 0;
    uint64_t get_flushed = 0;
    uint64_t cmd_set = 0;
    uint64_t cmd_touch = 0;
    uint64_t touch_hits = 0;
    uint64_t touch_misses = 0;
    uint64_t cmd_flush = 0;
    uint64_t delete_hits = 0;
    uint64_t delete_misses = 0;
    uint64_t incr_hits = 0;
    uint64_t incr_misses = 0;
    uint64_t decr_hits = 0;
    uint64_t decr_misses = 0;
    uint64_t cas_hits = 0;
    uint64_t cas_misses = 0;
    uint64_t cas_badval = 0;

    store_stats& operator+=(const store_stats& o) noexcept;
};

class store {
    store_config _cfg;
    const clock_source& _clock;
    // The table holds pointers and hashes the items' keys; lookups take a key.
    struct key_hash {
        using is_transparent = void;
        size_t operator()(std::string_view k) const noexcept { return absl::Hash<std::string_view>{}(k); }
        size_t operator()(const item* it) const noexcept { return (*this)(it->key()); }
    };
    struct key_eq {
        using is_transparent = void;
        static std::string_view key_of(std::string_view k) noexcept { return k; }
        static std::string_view key_of(const item* it) noexcept { return it->key(); }
        bool operator()(const auto& a, const auto& b) const noexcept { return key_of(a) == key_of(b); }
    };
    using lru_list =
        boost::intrusive::list<item, boost::intrusive::member_hook<item, decltype(item::_lru_link), &item::_lru_link>,
                               boost::intrusive::constant_time_size<false>>;

    absl::flat_hash_set<item*, key_hash, key_eq> _items; // owns the items
    lru_list _lru;                                       // front: most recently used
    uint64_t _next_cas;
    int64_t _flush_at = 0; // items stored at or before this time are gone once it passed
    store_stats _stats;

public:
    // `cas_base` lets shards hand out disjoint cas uniques (shard id in the high bits).
    store(store_config cfg, const clock_source& clock, uint64_t cas_base = 0);
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    const store_config& config() const noexcept { return _cfg; }
    int64_t now() const { return _clock.now(); }
    // memcached's reading of an exptime argument: 0, absolute, or relative.
    int64_t absolute_exptime(int64_t exptime) const;

    // The live item for `key` (marked most recently used), or nullptr.
    // Counts a get hit or miss when `count_get`.
    const item* find(std::string_view key, bool count_get = true);
    // find() and set a new expiration (gat); counts touch stats.
    const item* touch(std::string_view key, int64_t exptime, bool count_get);

    // set / add / replace / append / prepend / cas. `cas_out` receives the
    // new item's cas unique when stored.
    store_result store_item(store_mode mode, std::string_view key, std::string_view value, uint32_t flags,
                            int64_t exptime, uint64_t cas_in, uint64_t* cas_out = nullptr);
    bool erase(std::string_view key);
    // The binary protocol's delete: with a non-zero `cas`, only the item with that cas unique.
    erase_result erase(std::string_view key, uint64_t cas);
    // Removes `key` without counting a delete (a refused set drops the old value).
    void remove(std::string_view key);
    // incr (wraps at 2^64) or decr (stops at 0); `result` gets the new value.
    delta_result apply_delta(std::string_view key, bool incr, uint64_t delta, uint64_t& result);
    // Everything stored so far disappears at now()+delay (now when delay <= 0).
    void flush_all(int64_t delay);

    const store_stats& stats() const noexcept { return _stats; }
    store_stats& stats() noexcept { return _stats; }
    size_t item_count() const noexcept { return _items.size(); }
    size_t bytes() const noexcept { return _stats.bytes; }

private:
    bool is_live(const item& it) const;
    void unlink(item* it);
    void touch_lru(item* it);
    // Evicts until `need` more bytes fit; false if they cannot.
    bool make_room(size_t need, const item* keep);
    item* live(std::string_view key);
    // Stores `key` with the value `head` + `tail`, replacing any item of that key.
    store_result insert(std::string_view key, std::string_view head, std::string_view tail, uint32_t flags,
                        int64_t exptime, int64_t stored, uint64_t* cas_out);
};

} // namespace seastar::memcache
