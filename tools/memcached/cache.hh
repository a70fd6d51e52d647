// cache: the sharded cache. Every shard owns a `store` holding the keys whose
// hash picks it; `cache` is the front the protocol handlers use on any shard:
// it runs each operation on the key's owner, locally when the caller is the
// owner and through submit_to (sharded<>::invoke_on) otherwise.
//
// Contract:
//   * `cache` objects live one per shard (see server); `sharded<cache_shard>`
//     must be started before and stopped after every use.
//   * Operations return futures; results are copies (values travel between
//     shards by value). std::bad_alloc fails the future.
//   * Keys are validated by the caller (valid_key()).
//
//     seastar::sharded<cache_shard> shards;
//     co_await shards.start(store_config{}, &clock);
//     cache c(shards);
//     co_await c.store(store_mode::set, "k", "v", 0, 0, 0);
//     auto r = co_await c.get("k");   // r.found, r.value == "v"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/sharded.hh"
#include "tools/memcached/store.hh"

namespace seastar::memcache {

// Counters of the server's own (connections and traffic), per shard.
struct server_counters {
    uint64_t curr_connections = 0;
    uint64_t total_connections = 0;
    uint64_t rejected_connections = 0;
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;

    server_counters& operator+=(const server_counters& o) noexcept;
};

class cache_shard {
    store _store;

public:
    server_counters counters;

    cache_shard(store_config cfg, const clock_source* clock);
    store& local_store() noexcept { return _store; }
    future<> stop() { return make_ready_future<>(); }
};

struct lookup_result {
    bool found = false;
    std::string value;
    uint32_t flags = 0;
    uint64_t cas = 0;
};

struct store_outcome {
    store_result result = store_result::not_stored;
    uint64_t cas = 0;
};

struct delta_outcome {
    delta_result result = delta_result::not_found;
    uint64_t value = 0;
    uint64_t cas = 0;
};

struct cache_stats {
    store_stats store;
    server_counters server;
    unsigned shards = 0;
};

class cache {
    sharded<cache_shard>& _shards;

public:
    explicit cache(sharded<cache_shard>& shards) noexcept : _shards(shards) {}

    // The shard that owns `key`.
    static unsigned owner_of(std::string_view key) noexcept;
    // True when this shard owns `key`, so the *_local calls may serve it.
    static bool owns(std::string_view key) noexcept { return owner_of(key) == this_shard_id(); }
    cache_shard& local() noexcept { return _shards.local(); }

    // get() on this shard's store, for a key it owns: the item, valid until
    // the store changes, or nullptr.
    const item* get_local(std::string_view key, std::optional<int64_t> touch_exptime = std::nullopt);
    // store() on this shard's store, for a key it owns.
    store_outcome store_local(store_mode mode, std::string_view key, std::string_view value, uint32_t flags,
                              int64_t exptime, uint64_t cas);

    // get/gets (count the get); with `touch_exptime`, gat/gats.
    future<lookup_result> get(std::string key, std::optional<int64_t> touch_exptime = std::nullopt);
    future<store_outcome> store(store_mode mode, std::string key, std::string value, uint32_t flags, int64_t exptime,
                                uint64_t cas);
    future<bool> erase(std::string key);
    future<erase_result> erase(std::string key, uint64_t cas);
    future<delta_outcome> delta(std::string key, bool incr, uint64_t amount);
    // The binary protocol's incr/decr: a missing key is created with `initial`
    // (unless exptime is 0xffffffff).
    future<delta_outcome> delta_or_create(std::string key, bool incr, uint64_t amount, uint64_t initial,
                                          uint32_t exptime);
    future<bool> touch(std::string key, int64_t exptime);
    // A set that was refused before its data arrived (too large) drops the old value.
    future<> drop(std::string key);
    future<> flush_all(int64_t delay);
    future<cache_stats> stats();
    future<> reset_stats();

private:
    // Runs func(shard, key) on the shard that owns `key`. The owner is
    // decided before the key moves into a cross-shard call.
    template <typename Func>
    auto on_owner(std::string key, Func func) {
        auto owner = owner_of(key);
        using R = std::invoke_result_t<Func&, cache_shard&, std::string_view>;
        if (owner == this_shard_id()) {
            return futurize<R>::invoke(func, _shards.local(), std::string_view(key));
        }
        return _shards.invoke_on(owner, [key = std::move(key), func = std::move(func)](cache_shard& s) mutable {
            return func(s, std::string_view(key));
        });
    }
};

} // namespace seastar::memcache
