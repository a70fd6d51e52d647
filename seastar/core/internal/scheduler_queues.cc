#include "seastar/core/internal/scheduler_queues.hh"

#include <algorithm>
#include <bit>
#include <utility>

namespace seastar::internal {

scheduler_queues::group_queue& scheduler_queues::queue_for(unsigned index) noexcept {
    if (index >= max_scheduling_groups()) [[unlikely]] {
        index = 0;
    }
    if (auto& g = _groups[index]) [[likely]] {
        return *g;
    }
    if (index != 0 && !scheduling_group_live(index)) {
        // A task of a destroyed group: it still runs, in the default queue.
        return queue_for(0);
    }
    init_group(index);
    return *_groups[index];
}

void scheduler_queues::init_group(unsigned index) noexcept {
    auto& g = _groups[index];
    if (g && !g->tasks.empty()) {
        return; // already in use here (made on first use before creation reached this shard)
    }
    g = std::make_unique<group_queue>(index);
    g->shares = scheduling_group_shares(index);
    // vruntime 0: when it first has tasks, make_runnable() places it like a
    // group waking from idle.
}

bool scheduler_queues::drop_group(unsigned index) noexcept {
    auto& g = _groups[index];
    if (!g) {
        return true;
    }
    if (g->running || index == 0) {
        return false;
    }
    _runnable &= ~(uint32_t(1) << index);
    auto stragglers = std::move(g->tasks);
    _tasks_queued -= stragglers.size();
    g.reset();
    for (auto t : stragglers) {
        t->set_scheduling_group(default_scheduling_group());
        push(t, false);
    }
    return true;
}

void scheduler_queues::make_runnable(group_queue& g, time_point now) noexcept {
    // Cap the lag: at most one task quota of this group's own running behind
    // the groups that kept running.
    double lag = double(_quota.count()) / g.shares;
    g.vruntime = std::max(g.vruntime, _vtime - lag);
    g.runnable = true;
    g.since = now;
    _runnable |= uint32_t(1) << g.index;
}

void scheduler_queues::push(task* t, bool urgent) noexcept {
    auto& g = queue_for(scheduling_group_index(t->group()));
    if (urgent) {
        g.tasks.push_front(t);
    } else {
        if (_rng && !g.tasks.empty()) {
            std::uniform_int_distribution<size_t> dist(0, g.tasks.size());
            size_t i = dist(*_rng);
            if (i < g.tasks.size()) {
                std::swap(g.tasks[i], t);
            }
        }
        g.tasks.push_back(t);
    }
    ++_tasks_queued;
    if (!g.runnable && !g.running) {
        make_runnable(g, _now());
    }
}

scheduler_queues::group_queue* scheduler_queues::pick(time_point now) noexcept {
    if (!_runnable) {
        return nullptr;
    }
    group_queue* best = nullptr;
    for (uint32_t bits = _runnable; bits; bits &= bits - 1) {
        auto& g = *_groups[std::countr_zero(bits)];
        if (!best || g.vruntime < best->vruntime) {
            best = &g;
        }
    }
    _runnable &= ~(uint32_t(1) << best->index);
    best->runnable = false;
    best->running = true;
    if (now > best->since) {
        best->starve_time += now - best->since;
    }
    _vtime = std::max(_vtime, best->vruntime);
    return best;
}

void scheduler_queues::finish(group_queue& g, time_point now, std::chrono::nanoseconds ran) noexcept {
    g.running = false;
    if (ran.count() > 0) {
        g.runtime += ran;
        g.shares = scheduling_group_shares(g.index);
        g.vruntime += double(ran.count()) / g.shares;
        _vtime = std::max(_vtime, g.vruntime);
    }
    if (!g.tasks.empty()) {
        g.runnable = true;
        g.since = now;
        _runnable |= uint32_t(1) << g.index;
    }
}

void scheduler_queues::stamp_runnable(time_point now) noexcept {
    for (uint32_t bits = _runnable; bits; bits &= bits - 1) {
        _groups[std::countr_zero(bits)]->since = now;
    }
}

task* scheduler_queues::pop_any() noexcept {
    if (!_tasks_queued) {
        return nullptr;
    }
    for (auto& g : _groups) {
        if (g && !g->tasks.empty()) {
            auto t = g->tasks.front();
            g->tasks.pop_front();
            --_tasks_queued;
            ++g->tasks_processed;
            if (g->tasks.empty() && g->runnable) {
                g->runnable = false;
                _runnable &= ~(uint32_t(1) << g->index);
            }
            return t;
        }
    }
    return nullptr;
}

scheduling_group_stats scheduler_queues::stats(unsigned index) const noexcept {
    scheduling_group_stats s;
    s.shares = scheduling_group_shares(index);
    if (auto& g = _groups[index]) {
        s.runtime = g->runtime;
        s.starve_time = g->starve_time;
        s.tasks_processed = g->tasks_processed;
        s.queue_length = g->tasks.size();
    }
    return s;
}

} // namespace seastar::internal
