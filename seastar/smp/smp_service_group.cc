// smp_service_group: group numbers (process-wide) and each shard's semaphores per group and
// destination shard.
//
// A group's number is taken from a process-wide table under a mutex (groups are created and
// destroyed rarely); its semaphores live on each calling shard, in a shard-local table
// indexed by the number, so the call path touches no shared state.
#include <algorithm>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "seastar/core/coroutine.hh"
#include "seastar/core/smp.hh"

namespace seastar {

namespace {

// Number 0 is the default group; true marks a number in use.
std::mutex g_ids_mutex;
std::vector<bool> g_ids_used{true};

unsigned allocate_id() {
    std::lock_guard lock(g_ids_mutex);
    auto it = std::find(g_ids_used.begin(), g_ids_used.end(), false);
    if (it != g_ids_used.end()) {
        *it = true;
        return unsigned(it - g_ids_used.begin());
    }
    g_ids_used.push_back(true);
    return unsigned(g_ids_used.size() - 1);
}

void free_id(unsigned id) noexcept {
    std::lock_guard lock(g_ids_mutex);
    g_ids_used[id] = false;
}

// One calling shard's view of a group: a semaphore per destination shard (none for itself).
struct local_group {
    size_t units = 0;
    std::vector<std::unique_ptr<smp_service_group_semaphore>> to;
};

thread_local std::vector<std::unique_ptr<local_group>> t_groups;

std::unique_ptr<local_group> make_local_group(unsigned id, const smp_service_group_config& cfg) {
    auto g = std::make_unique<local_group>();
    auto others = smp::count > 1 ? smp::count - 1 : 1;
    g->units = std::max<size_t>(cfg.max_nonlocal_requests / others, 1);
    auto me = this_shard_id();
    g->to.resize(smp::count);
    for (shard_id s = 0; s < smp::count; ++s) {
        if (s == me) {
            continue;
        }
        auto name = cfg.group_name ? fmt::format("smp_service_group {} {}->{}", *cfg.group_name, me, s)
                                   : fmt::format("smp_service_group #{} {}->{}", id, me, s);
        g->to[s] = std::make_unique<smp_service_group_semaphore>(g->units, named_semaphore_exception_factory{name});
    }
    return g;
}

} // namespace

namespace internal {

smp_service_group_semaphore* smp_service_group_semaphore_for(unsigned id, shard_id to) noexcept {
    if (id >= t_groups.size() || !t_groups[id] || to >= t_groups[id]->to.size()) {
        return nullptr;
    }
    return t_groups[id]->to[to].get();
}

} // namespace internal

future<smp_service_group> create_smp_service_group(smp_service_group_config ssgc) noexcept {
    unsigned id;
    try {
        id = allocate_id();
    } catch (...) {
        return make_exception_future<smp_service_group>(std::current_exception());
    }
    return smp::invoke_on_all([id, ssgc] {
               if (t_groups.size() <= id) {
                   t_groups.resize(id + 1);
               }
               t_groups[id] = make_local_group(id, ssgc);
           })
        .then_wrapped([id](future<> f) -> future<smp_service_group> {
            if (!f.failed()) {
                return make_ready_future<smp_service_group>(smp_service_group(id));
            }
            auto ex = f.get_exception();
            return destroy_smp_service_group(smp_service_group(id)).then_wrapped([ex](future<> d) mutable {
                d.ignore_ready_future();
                return make_exception_future<smp_service_group>(std::move(ex));
            });
        });
}

future<> destroy_smp_service_group(smp_service_group ssg) noexcept {
    auto id = internal::smp_service_group_id(ssg);
    if (id == 0) {
        return make_ready_future<>();
    }
    return smp::invoke_on_all([id]() -> future<> {
               if (id >= t_groups.size() || !t_groups[id]) {
                   co_return;
               }
               // Every unit back means no call of the group is waiting or in flight from here.
               auto* g = t_groups[id].get();
               for (auto& sem : g->to) {
                   if (sem) {
                       co_await sem->wait(g->units);
                   }
               }
               t_groups[id].reset();
           })
        .finally([id] { free_id(id); });
}

} // namespace seastar
