#include "seastar/smp/internal/topology.hh"

#include <hwloc.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>

#include "fmt/format.h"

namespace seastar::internal {

namespace {

std::string errno_text(int err) {
    return fmt::format("{} (errno {})", std::strerror(err), err);
}

// Parses one decimal CPU number: digits only, no sign, no spaces, at most max_cpu_id.
std::optional<unsigned> parse_cpu_number(std::string_view s) {
    if (s.empty() || s.size() > 10) {
        return std::nullopt;
    }
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value > max_cpu_id) {
        return std::nullopt;
    }
    return unsigned(value);
}

struct hwloc_topology_deleter {
    void operator()(hwloc_topology* t) const noexcept { hwloc_topology_destroy(t); }
};

} // namespace

topology::topology(std::vector<cpu_info> cpus) : _cpus(std::move(cpus)) {
    std::sort(_cpus.begin(), _cpus.end(), [](const cpu_info& a, const cpu_info& b) { return a.cpu_id < b.cpu_id; });
    std::set<unsigned> cores, nodes;
    for (auto& c : _cpus) {
        cores.insert(c.core_id);
        nodes.insert(c.numa_node);
    }
    _nr_cores = cores.size();
    _nr_numa_nodes = nodes.size();
}

const cpu_info* topology::find(unsigned cpu_id) const noexcept {
    auto it = std::lower_bound(_cpus.begin(), _cpus.end(), cpu_id,
                               [](const cpu_info& c, unsigned id) { return c.cpu_id < id; });
    return it != _cpus.end() && it->cpu_id == cpu_id ? &*it : nullptr;
}

absl::StatusOr<topology> topology::discover() {
    hwloc_topology_t raw;
    if (hwloc_topology_init(&raw) != 0) {
        return absl::InternalError("hwloc_topology_init: " + errno_text(errno));
    }
    std::unique_ptr<hwloc_topology, hwloc_topology_deleter> topo(raw);
    if (hwloc_topology_load(raw) != 0) {
        return absl::InternalError("hwloc_topology_load: " + errno_text(errno));
    }
    // hwloc 2 keeps NUMA nodes as memory children rather than ancestors of PUs, so map PUs to
    // nodes through each node's cpuset.
    std::map<unsigned, unsigned> node_of_pu;
    int nr_nodes = hwloc_get_nbobjs_by_type(raw, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < nr_nodes; ++i) {
        hwloc_obj_t node = hwloc_get_obj_by_type(raw, HWLOC_OBJ_NUMANODE, i);
        unsigned pu;
        hwloc_bitmap_foreach_begin(pu, node->cpuset) {
            node_of_pu.emplace(pu, node->os_index);
        }
        hwloc_bitmap_foreach_end();
    }
    std::vector<cpu_info> cpus;
    int nr_pus = hwloc_get_nbobjs_by_type(raw, HWLOC_OBJ_PU);
    for (int i = 0; i < nr_pus; ++i) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(raw, HWLOC_OBJ_PU, i);
        hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(raw, HWLOC_OBJ_CORE, pu);
        // A PU without a core object (some virtual machines) is its own core; keep those ids
        // apart from real cores' logical indices.
        unsigned core_id = core ? core->logical_index : (1u << 24) + pu->logical_index;
        auto node = node_of_pu.find(pu->os_index);
        cpus.push_back({pu->os_index, core_id, node != node_of_pu.end() ? node->second : 0u});
    }
    if (cpus.empty()) {
        return absl::InternalError("hwloc found no processing units");
    }
    return topology(std::move(cpus));
}

absl::StatusOr<cpuset> parse_cpuset(std::string_view text) {
    auto error = [&](std::string_view item, std::string_view why) {
        return absl::InvalidArgumentError(fmt::format("invalid cpuset \"{}\": bad item \"{}\" ({})", text, item, why));
    };
    if (text.empty()) {
        return absl::InvalidArgumentError("invalid cpuset \"\": empty (expected e.g. \"0-3,5\")");
    }
    cpuset result;
    for (size_t start = 0; start <= text.size();) {
        auto comma = text.find(',', start);
        if (comma == std::string_view::npos) {
            comma = text.size();
        }
        std::string_view item = text.substr(start, comma - start);
        start = comma + 1;
        auto dash = item.find('-');
        if (dash == std::string_view::npos) {
            auto cpu = parse_cpu_number(item);
            if (!cpu) {
                return error(item, fmt::format("expected a CPU number from 0 to {}", max_cpu_id));
            }
            result.insert(*cpu);
            continue;
        }
        auto first = parse_cpu_number(item.substr(0, dash));
        auto last = parse_cpu_number(item.substr(dash + 1));
        if (!first || !last) {
            return error(item, fmt::format("expected a range N-M of CPU numbers from 0 to {}", max_cpu_id));
        }
        if (*first > *last) {
            return error(item, "range start is greater than its end");
        }
        for (unsigned cpu = *first; cpu <= *last; ++cpu) {
            result.insert(cpu);
        }
    }
    return result;
}

std::string format_cpuset(const cpuset& cpus) {
    std::string out;
    for (auto it = cpus.begin(); it != cpus.end();) {
        unsigned first = *it, last = *it;
        for (++it; it != cpus.end() && *it == last + 1; ++it) {
            last = *it;
        }
        if (!out.empty()) {
            out += ',';
        }
        out += last == first ? fmt::format("{}", first) : fmt::format("{}-{}", first, last);
    }
    return out;
}

absl::StatusOr<cpuset> current_affinity() {
    // Size the mask for the largest CPU number we accept, not glibc's fixed 1024.
    constexpr unsigned nr_bits = max_cpu_id + 1;
    std::unique_ptr<cpu_set_t, void (*)(cpu_set_t*)> mask(CPU_ALLOC(nr_bits), [](cpu_set_t* m) { CPU_FREE(m); });
    if (!mask) {
        return absl::ResourceExhaustedError("CPU_ALLOC failed");
    }
    size_t bytes = CPU_ALLOC_SIZE(nr_bits);
    CPU_ZERO_S(bytes, mask.get());
    if (sched_getaffinity(0, bytes, mask.get()) != 0) {
        return absl::InternalError("sched_getaffinity: " + errno_text(errno));
    }
    cpuset result;
    for (unsigned cpu = 0; cpu < nr_bits; ++cpu) {
        if (CPU_ISSET_S(cpu, bytes, mask.get())) {
            result.insert(cpu);
        }
    }
    return result;
}

absl::StatusOr<std::vector<shard_placement>> allocate_cpus(const topology& topo, const cpuset& allowed,
                                                           std::optional<unsigned> smp, bool overprovisioned) {
    if (allowed.empty()) {
        return absl::InvalidArgumentError("the cpuset is empty: no CPU to run shards on");
    }
    for (unsigned cpu : allowed) {
        if (!topo.find(cpu)) {
            return absl::InvalidArgumentError(
                fmt::format("CPU {} in the cpuset \"{}\" is not present on this machine", cpu, format_cpuset(allowed)));
        }
    }
    unsigned wanted = smp.value_or(allowed.size());
    if (wanted == 0) {
        return absl::InvalidArgumentError("--smp must be at least 1");
    }
    if (wanted > allowed.size() && !overprovisioned) {
        return absl::ResourceExhaustedError(
            fmt::format("--smp {} needs more CPUs than the {} available in the cpuset \"{}\" "
                        "(use --overprovisioned to share CPUs)",
                        wanted, allowed.size(), format_cpuset(allowed)));
    }
    // Order the allowed CPUs so that a prefix is spread out: round r takes the r-th allowed PU
    // of every core, and within a round cores alternate between NUMA nodes. Without NUMA or
    // hyperthreads this is just ascending CPU order.
    std::map<unsigned, std::map<unsigned, std::vector<unsigned>>> pus_by_node_core;
    for (unsigned cpu : allowed) {
        auto* info = topo.find(cpu);
        pus_by_node_core[info->numa_node][info->core_id].push_back(cpu);
    }
    std::vector<unsigned> order;
    order.reserve(allowed.size());
    for (size_t round = 0; order.size() < allowed.size(); ++round) {
        // Per node, this round's CPUs (one per core that still has a PU left).
        std::vector<std::vector<unsigned>> per_node;
        for (auto& [node, cores] : pus_by_node_core) {
            std::vector<unsigned> cpus;
            for (auto& [core, pus] : cores) {
                if (round < pus.size()) {
                    cpus.push_back(pus[round]);
                }
            }
            per_node.push_back(std::move(cpus));
        }
        for (size_t i = 0;; ++i) {
            bool any = false;
            for (auto& cpus : per_node) {
                if (i < cpus.size()) {
                    order.push_back(cpus[i]);
                    any = true;
                }
            }
            if (!any) {
                break;
            }
        }
    }
    std::vector<shard_placement> result;
    result.reserve(wanted);
    for (unsigned shard = 0; shard < wanted; ++shard) {
        unsigned cpu = order[shard % order.size()];
        result.push_back({shard, cpu, topo.find(cpu)->numa_node});
    }
    return result;
}

absl::Status pin_this_thread(unsigned cpu) {
    if (cpu > max_cpu_id) {
        return absl::InvalidArgumentError(
            fmt::format("cannot pin to CPU {}: CPU numbers go up to {}", cpu, max_cpu_id));
    }
    std::unique_ptr<cpu_set_t, void (*)(cpu_set_t*)> mask(CPU_ALLOC(cpu + 1), [](cpu_set_t* m) { CPU_FREE(m); });
    if (!mask) {
        return absl::ResourceExhaustedError("CPU_ALLOC failed");
    }
    size_t bytes = CPU_ALLOC_SIZE(cpu + 1);
    CPU_ZERO_S(bytes, mask.get());
    CPU_SET_S(cpu, bytes, mask.get());
    // pthread functions return the error number rather than setting errno.
    int err = pthread_setaffinity_np(pthread_self(), bytes, mask.get());
    if (err != 0) {
        auto message = fmt::format("pthread_setaffinity_np(CPU {}): {}", cpu, errno_text(err));
        return err == EINVAL  ? absl::InvalidArgumentError(message)
               : err == EPERM ? absl::PermissionDeniedError(message)
                              : absl::InternalError(message);
    }
    return absl::OkStatus();
}

} // namespace seastar::internal
