#include "tools/memcached/store.hh"

#include <charconv>
#include <cstring>
#include <ctime>
#include <limits>
#include <new>

namespace seastar::memcache {

int64_t system_clock_source::now() const {
    return int64_t(::time(nullptr));
}

bool valid_key(std::string_view key) noexcept {
    if (key.empty() || key.size() > max_key_length) {
        return false;
    }
    for (unsigned char c : key) {
        if (c <= ' ' || c == 0x7f) {
            return false;
        }
    }
    return true;
}

store_stats& store_stats::operator+=(const store_stats& o) noexcept {
    curr_items += o.curr_items;
    total_items += o.total_items;
    bytes += o.bytes;
    evictions += o.evictions;
    reclaimed += o.reclaimed;
    cmd_get += o.cmd_get;
    get_hits += o.get_hits;
    get_misses += o.get_misses;
    get_expired += o.get_expired;
    get_flushed += o.get_flushed;
    cmd_set += o.cmd_set;
    cmd_touch += o.cmd_touch;
    touch_hits += o.touch_hits;
    touch_misses += o.touch_misses;
    cmd_flush += o.cmd_flush;
    delete_hits += o.delete_hits;
    delete_misses += o.delete_misses;
    incr_hits += o.incr_hits;
    incr_misses += o.incr_misses;
    decr_hits += o.decr_hits;
    decr_misses += o.decr_misses;
    cas_hits += o.cas_hits;
    cas_misses += o.cas_misses;
    cas_badval += o.cas_badval;
    return *this;
}

item* item::create(std::string_view key, size_t value_size) {
    void* mem = ::operator new(sizeof(item) + key.size() + value_size);
    auto* it = new (mem) item();
    it->_key_size = uint8_t(key.size());
    it->_value_size = uint32_t(value_size);
    if (!key.empty()) {
        std::memcpy(it->data(), key.data(), key.size());
    }
    return it;
}

void item::destroy(item* it) noexcept {
    it->~item();
    ::operator delete(it);
}

store::store(store_config cfg, const clock_source& clock, uint64_t cas_base)
    : _cfg(cfg), _clock(clock), _next_cas(cas_base + 1) {}

store::~store() {
    _lru.clear_and_dispose(&item::destroy);
}

int64_t store::absolute_exptime(int64_t exptime) const {
    if (exptime == 0) {
        return 0;
    }
    if (exptime < 0) {
        return -1; // already expired
    }
    if (exptime > max_relative_exptime) {
        // An absolute time in the past expires at once (memcached: "1 second ago").
        return exptime <= now() ? -1 : exptime;
    }
    return now() + exptime;
}

bool store::is_live(const item& it) const {
    auto t = now();
    if (it._exptime != 0 && it._exptime <= t) {
        return false;
    }
    if (_flush_at != 0 && _flush_at <= t && it._stored < _flush_at) {
        return false;
    }
    return true;
}

void store::unlink(item* it) {
    _stats.bytes -= it->footprint();
    _stats.curr_items -= 1;
    _lru.erase(_lru.iterator_to(*it));
    _items.erase(it->key());
    item::destroy(it);
}

void store::touch_lru(item* it) {
    if (&_lru.front() != it) {
        _lru.erase(_lru.iterator_to(*it));
        _lru.push_front(*it);
    }
}

item* store::live(std::string_view key) {
    auto i = _items.find(key);
    if (i == _items.end()) {
        return nullptr;
    }
    item* it = *i;
    if (!is_live(*it)) {
        ++_stats.reclaimed;
        unlink(it);
        return nullptr;
    }
    return it;
}

const item* store::find(std::string_view key, bool count_get) {
    if (count_get) {
        ++_stats.cmd_get;
    }
    auto i = _items.find(key);
    item* it = i == _items.end() ? nullptr : *i;
    if (it && !is_live(*it)) {
        if (count_get) {
            bool expired = it->_exptime != 0 && it->_exptime <= now();
            ++(expired ? _stats.get_expired : _stats.get_flushed);
        }
        ++_stats.reclaimed;
        unlink(it);
        it = nullptr;
    }
    if (count_get) {
        ++(it ? _stats.get_hits : _stats.get_misses);
    }
    if (it) {
        touch_lru(it);
    }
    return it;
}

const item* store::touch(std::string_view key, int64_t exptime, bool count_get) {
    ++_stats.cmd_touch;
    if (count_get) {
        ++_stats.cmd_get;
    }
    item* it = live(key);
    if (!it) {
        ++_stats.touch_misses;
        if (count_get) {
            ++_stats.get_misses;
        }
        return nullptr;
    }
    ++_stats.touch_hits;
    if (count_get) {
        ++_stats.get_hits;
    }
    it->_exptime = absolute_exptime(exptime);
    touch_lru(it);
    if (!is_live(*it)) {
        unlink(it);
        return nullptr;
    }
    return it;
}

bool store::make_room(size_t need, const item* keep) {
    if (need > _cfg.max_bytes) {
        return false;
    }
    auto i = _lru.end();
    while (_stats.bytes + need > _cfg.max_bytes && i != _lru.begin()) {
        --i;
        item* victim = &*i;
        if (victim == keep) {
            continue;
        }
        bool expired = !is_live(*victim);
        ++i;
        unlink(victim);
        ++(expired ? _stats.reclaimed : _stats.evictions);
    }
    return _stats.bytes + need <= _cfg.max_bytes;
}

store_result store::insert(std::string_view key, std::string_view head, std::string_view tail, uint32_t flags,
                           int64_t exptime, int64_t stored, uint64_t* cas_out) {
    item* it = item::create(key, head.size() + tail.size());
    // An empty view may have no data pointer, which memcpy must not see.
    if (!head.empty()) {
        std::memcpy(it->value_data(), head.data(), head.size());
    }
    if (!tail.empty()) {
        std::memcpy(it->value_data() + head.size(), tail.data(), tail.size());
    }
    it->_flags = flags;
    it->_exptime = exptime;
    it->_stored = stored;
    it->_cas = _next_cas++;
    size_t need = it->footprint();
    if (auto old = _items.find(key); old != _items.end()) {
        unlink(*old);
    }
    if (!make_room(need, nullptr)) {
        item::destroy(it);
        return store_result::no_memory;
    }
    try {
        _items.insert(it);
    } catch (...) {
        item::destroy(it);
        throw;
    }
    _lru.push_front(*it);
    _stats.bytes += need;
    ++_stats.curr_items;
    ++_stats.total_items;
    if (cas_out) {
        *cas_out = it->_cas;
    }
    return store_result::stored;
}

store_result store::store_item(store_mode mode, std::string_view key, std::string_view value, uint32_t flags,
                               int64_t exptime, uint64_t cas_in, uint64_t* cas_out) {
    ++_stats.cmd_set;
    if (key.size() + value.size() + item_overhead > _cfg.max_item_size) {
        if (mode == store_mode::set) {
            // memcached drops the old value rather than serve stale data.
            if (auto* old = live(key)) {
                unlink(old);
            }
        }
        return store_result::too_large;
    }
    int64_t abs_exp = absolute_exptime(exptime);
    item* old = live(key);
    switch (mode) {
    case store_mode::set:
        break;
    case store_mode::add:
        if (old) {
            touch_lru(old); // memcached bumps the existing item
            return store_result::not_stored;
        }
        break;
    case store_mode::replace:
        if (!old) {
            return store_result::not_stored;
        }
        break;
    case store_mode::append:
    case store_mode::prepend: {
        if (!old) {
            return store_result::not_stored;
        }
        if (old->footprint() + value.size() > _cfg.max_item_size) {
            return store_result::too_large;
        }
        // Flags and expiration stay those of the existing item. The new item
        // is built before the old one (whose value it copies) goes.
        auto existing = old->value();
        return mode == store_mode::append ? insert(key, existing, value, old->_flags, old->_exptime, now(), cas_out)
                                          : insert(key, value, existing, old->_flags, old->_exptime, now(), cas_out);
    }
    case store_mode::cas:
        if (!old) {
            ++_stats.cas_misses;
            return store_result::not_found;
        }
        if (old->_cas != cas_in) {
            ++_stats.cas_badval;
            return store_result::exists;
        }
        ++_stats.cas_hits;
        break;
    }
    if (abs_exp < 0) {
        // Stored and at once expired: memcached answers STORED and the item is gone.
        if (old) {
            unlink(old);
        }
        if (cas_out) {
            *cas_out = _next_cas++;
        }
        return store_result::stored;
    }
    return insert(key, value, {}, flags, abs_exp, now(), cas_out);
}

erase_result store::erase(std::string_view key, uint64_t cas) {
    item* it = live(key);
    if (it && cas != 0 && it->_cas != cas) {
        return erase_result::exists;
    }
    return erase(key) ? erase_result::deleted : erase_result::not_found;
}

bool store::erase(std::string_view key) {
    item* it = live(key);
    if (!it) {
        ++_stats.delete_misses;
        return false;
    }
    ++_stats.delete_hits;
    unlink(it);
    return true;
}

void store::remove(std::string_view key) {
    auto i = _items.find(key);
    if (i != _items.end()) {
        unlink(*i);
    }
}

namespace {

// memcached's strtoull check: digits only (leading spaces allowed), at most 20.
std::optional<uint64_t> parse_counter(std::string_view v) {
    size_t i = 0;
    while (i < v.size() && v[i] == ' ') {
        ++i;
    }
    v.remove_prefix(i);
    // Trailing spaces left by an earlier decr (memcached pads in place) are allowed.
    while (!v.empty() && v.back() == ' ') {
        v.remove_suffix(1);
    }
    if (v.empty()) {
        return std::nullopt;
    }
    uint64_t r = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), r);
    if (ec != std::errc() || p != v.data() + v.size()) {
        return std::nullopt;
    }
    return r;
}

} // namespace

delta_result store::apply_delta(std::string_view key, bool incr, uint64_t delta, uint64_t& result) {
    item* it = live(key);
    auto& hits = incr ? _stats.incr_hits : _stats.decr_hits;
    auto& misses = incr ? _stats.incr_misses : _stats.decr_misses;
    if (!it) {
        ++misses;
        return delta_result::not_found;
    }
    auto v = parse_counter(it->value());
    if (!v) {
        return delta_result::non_numeric;
    }
    ++hits;
    uint64_t n = *v;
    if (incr) {
        n += delta; // wraps at 2^64
    } else {
        n = delta > n ? 0 : n - delta;
    }
    result = n;
    char text[20];
    auto len = size_t(std::to_chars(text, text + sizeof(text), n).ptr - text);
    if (len == it->_value_size) {
        std::memcpy(it->value_data(), text, len);
        it->_cas = _next_cas++;
        touch_lru(it);
        return delta_result::ok;
    }
    // Another length: a new item with the same key, flags and times. It may
    // be larger, so room is made for it as for any store.
    uint64_t unused;
    auto r = insert(it->key(), std::string_view(text, len), {}, it->_flags, it->_exptime, it->_stored, &unused);
    return r == store_result::stored ? delta_result::ok : delta_result::no_memory;
}

void store::flush_all(int64_t delay) {
    ++_stats.cmd_flush;
    if (delay <= 0) {
        while (!_lru.empty()) {
            unlink(&_lru.back());
        }
        _flush_at = 0;
        return;
    }
    _flush_at = absolute_exptime(delay);
    if (_flush_at < 0) {
        _flush_at = 0;
    }
}

} // namespace seastar::memcache
