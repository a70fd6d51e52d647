#include "tools/memcached/cache.hh"

#include <functional>

#include "seastar/core/coroutine.hh"
#include "seastar/core/smp.hh"

namespace seastar::memcache {

server_counters& server_counters::operator+=(const server_counters& o) noexcept {
    curr_connections += o.curr_connections;
    total_connections += o.total_connections;
    rejected_connections += o.rejected_connections;
    bytes_read += o.bytes_read;
    bytes_written += o.bytes_written;
    return *this;
}

// Each shard's cas uniques carry its id in the top bits, so they never collide.
cache_shard::cache_shard(store_config cfg, const clock_source* clock)
    : _store(cfg, *clock, uint64_t(this_shard_id()) << 48) {}

unsigned cache::owner_of(std::string_view key) noexcept {
    if (smp::count == 1) {
        return 0;
    }
    // FNV-1a: stable, cheap, and independent of the standard library's hash.
    // Its last step leaves the middle bits nearly alike for keys that differ
    // only in their last byte, so a finalizer (MurmurHash3's) mixes them
    // before the shard is picked from the high bits.
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : key) {
        h = (h ^ c) * 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return unsigned((h >> 32) * smp::count >> 32);
}

namespace {

const item* lookup(store& st, std::string_view key, std::optional<int64_t> touch_exptime) {
    return touch_exptime ? st.touch(key, *touch_exptime, true) : st.find(key);
}

store_outcome store_into(store& st, store_mode mode, std::string_view key, std::string_view value, uint32_t flags,
                         int64_t exptime, uint64_t cas) {
    store_outcome o;
    o.result = st.store_item(mode, key, value, flags, exptime, cas, &o.cas);
    return o;
}

} // namespace

const item* cache::get_local(std::string_view key, std::optional<int64_t> touch_exptime) {
    return lookup(local().local_store(), key, touch_exptime);
}

store_outcome cache::store_local(store_mode mode, std::string_view key, std::string_view value, uint32_t flags,
                                 int64_t exptime, uint64_t cas) {
    return store_into(local().local_store(), mode, key, value, flags, exptime, cas);
}

future<lookup_result> cache::get(std::string key, std::optional<int64_t> touch_exptime) {
    return on_owner(std::move(key), [touch_exptime](cache_shard& s, std::string_view key) {
        const item* it = lookup(s.local_store(), key, touch_exptime);
        lookup_result r;
        if (it) {
            r.found = true;
            r.value = it->value();
            r.flags = it->flags();
            r.cas = it->cas();
        }
        return r;
    });
}

future<store_outcome> cache::store(store_mode mode, std::string key, std::string value, uint32_t flags, int64_t exptime,
                                   uint64_t cas) {
    return on_owner(std::move(key), [=, value = std::move(value)](cache_shard& s, std::string_view key) {
        return store_into(s.local_store(), mode, key, value, flags, exptime, cas);
    });
}

future<bool> cache::erase(std::string key) {
    return on_owner(std::move(key), [](cache_shard& s, std::string_view key) { return s.local_store().erase(key); });
}

future<erase_result> cache::erase(std::string key, uint64_t cas) {
    return on_owner(std::move(key),
                    [cas](cache_shard& s, std::string_view key) { return s.local_store().erase(key, cas); });
}

future<delta_outcome> cache::delta(std::string key, bool incr, uint64_t amount) {
    return on_owner(std::move(key), [=](cache_shard& s, std::string_view key) {
        delta_outcome o;
        o.result = s.local_store().apply_delta(key, incr, amount, o.value);
        if (o.result == delta_result::ok) {
            o.cas = s.local_store().find(key, false)->cas();
        }
        return o;
    });
}

future<delta_outcome> cache::delta_or_create(std::string key, bool incr, uint64_t amount, uint64_t initial,
                                             uint32_t exptime) {
    return on_owner(std::move(key), [=](cache_shard& s, std::string_view key) {
        auto& st = s.local_store();
        delta_outcome o;
        o.result = st.apply_delta(key, incr, amount, o.value);
        if (o.result == delta_result::not_found && exptime != 0xffffffffu) {
            auto r = st.store_item(store_mode::add, key, std::to_string(initial), 0, exptime, 0, &o.cas);
            if (r == store_result::stored) {
                o.result = delta_result::ok;
                o.value = initial;
            }
            return o;
        }
        if (o.result == delta_result::ok) {
            o.cas = st.find(key, false)->cas();
        }
        return o;
    });
}

future<bool> cache::touch(std::string key, int64_t exptime) {
    return on_owner(std::move(key), [=](cache_shard& s, std::string_view key) {
        return s.local_store().touch(key, exptime, false) != nullptr;
    });
}

future<> cache::drop(std::string key) {
    return on_owner(std::move(key), [](cache_shard& s, std::string_view key) {
        ++s.local_store().stats().cmd_set;
        s.local_store().remove(key);
    });
}

future<> cache::flush_all(int64_t delay) {
    return _shards.invoke_on_all([delay](cache_shard& s) { s.local_store().flush_all(delay); });
}

future<cache_stats> cache::stats() {
    cache_stats r;
    r.shards = smp::count;
    for (unsigned s = 0; s < smp::count; ++s) {
        auto [st, sc] = co_await _shards.invoke_on(
            s, [](cache_shard& c) { return std::make_pair(c.local_store().stats(), c.counters); });
        r.store += st;
        r.server += sc;
    }
    co_return r;
}

future<> cache::reset_stats() {
    return _shards.invoke_on_all([](cache_shard& c) {
        auto& st = c.local_store().stats();
        store_stats fresh;
        fresh.curr_items = st.curr_items;
        fresh.bytes = st.bytes;
        st = fresh;
        c.counters.total_connections = 0;
        c.counters.rejected_connections = 0;
        c.counters.bytes_read = 0;
        c.counters.bytes_written = 0;
    });
}

} // namespace seastar::memcache
