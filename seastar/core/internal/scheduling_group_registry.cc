// The process-wide registry of scheduling groups and per-group keys, and each
// thread's (shard's) own view of them: its shares, its cached names and its
// per-group values.
#include "seastar/core/internal/scheduling_group_registry.hh"

#include <array>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

namespace seastar::internal {

namespace {

constexpr float default_shares = 1000;

float clamp_shares(float shares) noexcept {
    if (std::isnan(shares) || shares < 1) {
        return 1;
    }
    return shares;
}

struct group_entry {
    // Guarded by registry::mutex; readers copy it under the mutex.
    std::shared_ptr<const std::string> name;
    std::atomic<bool> live{false};
    std::atomic<unsigned> generation{0};
    std::atomic<unsigned> name_version{0};
    std::atomic<float> shares{default_shares};
};

struct registry {
    std::mutex mutex;
    std::array<group_entry, max_scheduling_groups()> groups;
    // Configs are never freed, so a pointer taken under the mutex stays valid.
    std::vector<std::unique_ptr<const scheduling_group_key_config>> keys;
    std::atomic<unsigned> key_count{0};

    registry() {
        groups[0].name = std::make_shared<const std::string>("main");
        groups[0].live.store(true);
    }
};

registry& reg() noexcept {
    // Never destroyed: shards may still look names up while the process exits.
    static registry* r = new registry();
    return *r;
}

const scheduling_group_key_config* key_config(unsigned key) noexcept {
    auto& r = reg();
    std::lock_guard lock(r.mutex);
    return key < r.keys.size() ? r.keys[key].get() : nullptr;
}

// One thread's view of one group.
struct local_group {
    std::shared_ptr<const std::string> name;
    unsigned name_version = ~0u;
    unsigned name_generation = ~0u;
    float shares = 0; // 0: none set on this thread
    unsigned shares_generation = ~0u;
    // Per-key values, made for group generation `values_generation`.
    std::vector<void*> values;
    unsigned values_generation = ~0u;
};

void destroy_values(local_group& g) noexcept {
    for (unsigned key = 0; key < g.values.size(); ++key) {
        if (void* v = g.values[key]) {
            auto cfg = key_config(key);
            if (cfg->destructor) {
                cfg->destructor(v);
            }
            ::operator delete(v, std::align_val_t(cfg->alignment));
            g.values[key] = nullptr;
        }
    }
    g.values.clear();
}

struct local_state {
    std::array<local_group, max_scheduling_groups()> groups;
    ~local_state() {
        for (auto& g : groups) {
            destroy_values(g);
        }
    }
};

thread_local local_state local;

// Makes `g`'s values belong to the current generation of `index`.
void refresh_values(unsigned index, local_group& g) noexcept {
    auto gen = reg().groups[index].generation.load(std::memory_order_acquire);
    if (g.values_generation != gen) {
        destroy_values(g);
        g.values_generation = gen;
    }
}

// Constructs the value of `key` for group `index` on this thread; throws what
// the constructor throws.
void* construct_value(unsigned index, unsigned key) {
    auto& g = local.groups[index];
    refresh_values(index, g);
    if (g.values.size() <= key) {
        g.values.resize(key + 1, nullptr);
    }
    if (g.values[key]) {
        return g.values[key];
    }
    auto cfg = key_config(key);
    void* v = ::operator new(cfg->allocation_size ? cfg->allocation_size : 1, std::align_val_t(cfg->alignment));
    auto prev = set_current_scheduling_group(scheduling_group_from_index(index));
    try {
        if (cfg->constructor) {
            cfg->constructor(v);
        }
    } catch (...) {
        set_current_scheduling_group(prev);
        ::operator delete(v, std::align_val_t(cfg->alignment));
        throw;
    }
    set_current_scheduling_group(prev);
    g.values[key] = v;
    return v;
}

} // namespace

unsigned allocate_scheduling_group(std::string_view name, float shares) {
    if (!std::isfinite(shares)) {
        throw std::invalid_argument("create_scheduling_group: shares must be a finite number");
    }
    auto& r = reg();
    auto n = std::make_shared<const std::string>(name);
    std::lock_guard lock(r.mutex);
    for (unsigned i = 1; i < max_scheduling_groups(); ++i) {
        auto& e = r.groups[i];
        if (!e.live.load(std::memory_order_relaxed)) {
            e.name = std::move(n);
            e.name_version.fetch_add(1, std::memory_order_relaxed);
            e.shares.store(clamp_shares(shares), std::memory_order_relaxed);
            e.generation.fetch_add(1, std::memory_order_release);
            e.live.store(true, std::memory_order_release);
            return i;
        }
    }
    throw std::runtime_error("cannot create scheduling group \"" + std::string(name) + "\": all " +
                             std::to_string(max_scheduling_groups()) +
                             " scheduling groups (the default one included) are in use");
}

void release_scheduling_group(unsigned index) noexcept {
    if (index == 0 || index >= max_scheduling_groups()) {
        return;
    }
    auto& r = reg();
    std::lock_guard lock(r.mutex);
    r.groups[index].live.store(false, std::memory_order_release);
}

void rename_scheduling_group_registry(unsigned index, std::string_view name) {
    auto& r = reg();
    auto n = std::make_shared<const std::string>(name);
    std::lock_guard lock(r.mutex);
    auto& e = r.groups[index];
    e.name = std::move(n);
    e.name_version.fetch_add(1, std::memory_order_release);
}

bool scheduling_group_live(unsigned index) noexcept {
    return index < max_scheduling_groups() && reg().groups[index].live.load(std::memory_order_acquire);
}

unsigned scheduling_group_generation(unsigned index) noexcept {
    return reg().groups[index].generation.load(std::memory_order_acquire);
}

void for_each_live_scheduling_group(const std::function<void(unsigned)>& func) {
    for (unsigned i = 0; i < max_scheduling_groups(); ++i) {
        if (scheduling_group_live(i)) {
            func(i);
        }
    }
}

float scheduling_group_shares(unsigned index) noexcept {
    auto& e = reg().groups[index];
    auto& g = local.groups[index];
    if (g.shares != 0 && g.shares_generation == e.generation.load(std::memory_order_relaxed)) {
        return g.shares;
    }
    return e.shares.load(std::memory_order_relaxed);
}

void reset_local_scheduling_group_shares(unsigned index) noexcept {
    local.groups[index].shares = 0;
}

unsigned allocate_scheduling_group_key(scheduling_group_key_config cfg) {
    if (cfg.alignment == 0 || (cfg.alignment & (cfg.alignment - 1)) != 0) {
        throw std::invalid_argument("scheduling_group_key_config: alignment must be a power of two");
    }
    auto& r = reg();
    auto p = std::make_unique<const scheduling_group_key_config>(std::move(cfg));
    std::lock_guard lock(r.mutex);
    r.keys.push_back(std::move(p));
    r.key_count.store(unsigned(r.keys.size()), std::memory_order_release);
    return unsigned(r.keys.size() - 1);
}

unsigned scheduling_group_key_count() noexcept {
    return reg().key_count.load(std::memory_order_acquire);
}

void init_scheduling_group_specific(unsigned index) {
    auto n = scheduling_group_key_count();
    for (unsigned key = 0; key < n; ++key) {
        construct_value(index, key);
    }
}

void init_scheduling_group_key(unsigned key) {
    for (unsigned i = 0; i < max_scheduling_groups(); ++i) {
        if (scheduling_group_live(i)) {
            construct_value(i, key);
        }
    }
}

void destroy_scheduling_group_specific(unsigned index) noexcept {
    auto& g = local.groups[index];
    destroy_values(g);
    g.values_generation = ~0u;
    g.shares = 0;
}

void rename_scheduling_group_specific(unsigned index) noexcept {
    auto& g = local.groups[index];
    refresh_values(index, g);
    for (unsigned key = 0; key < g.values.size(); ++key) {
        if (void* v = g.values[key]) {
            auto cfg = key_config(key);
            if (cfg->rename) {
                auto prev = set_current_scheduling_group(scheduling_group_from_index(index));
                cfg->rename(v);
                set_current_scheduling_group(prev);
            }
        }
    }
}

void destroy_all_scheduling_group_specific() noexcept {
    for (unsigned i = 0; i < max_scheduling_groups(); ++i) {
        destroy_scheduling_group_specific(i);
    }
}

void* scheduling_group_specific_slow(unsigned index, unsigned key) noexcept {
    auto& g = local.groups[index];
    refresh_values(index, g);
    if (key < g.values.size() && g.values[key]) {
        return g.values[key];
    }
    try {
        return construct_value(index, key);
    } catch (...) {
        return nullptr;
    }
}

} // namespace seastar::internal

namespace seastar {

const std::string& scheduling_group::name() const noexcept {
    auto& e = internal::reg().groups[_id];
    auto& g = internal::local.groups[_id];
    auto version = e.name_version.load(std::memory_order_acquire);
    auto gen = e.generation.load(std::memory_order_acquire);
    if (!g.name || g.name_version != version || g.name_generation != gen) {
        std::lock_guard lock(internal::reg().mutex);
        g.name = e.name;
        g.name_version = version;
        g.name_generation = gen;
    }
    static const std::string none;
    return g.name ? *g.name : none;
}

float scheduling_group::get_shares() const noexcept {
    return internal::scheduling_group_shares(_id);
}

void scheduling_group::set_shares(float shares) noexcept {
    auto& g = internal::local.groups[_id];
    g.shares = internal::clamp_shares(shares);
    g.shares_generation = internal::reg().groups[_id].generation.load(std::memory_order_relaxed);
}

} // namespace seastar
