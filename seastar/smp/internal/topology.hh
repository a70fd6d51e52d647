// CPU topology, cpuset parsing, shard-to-CPU placement and thread pinning.
//
// Start-up uses this to decide which CPUs run shards: it discovers the machine (processing
// units, cores, NUMA nodes), takes the allowed CPUs from `--cpuset` or, by default, from the
// process's current affinity mask (as Seastar does, so `taskset` and container limits are
// respected), picks `--smp N` of them spread over NUMA nodes and cores, and pins each shard's
// thread to its CPU.
//
// Contract
// - Any thread may call any function here; none keeps global state.
// - `topology::discover()` allocates; the rest allocate only their results.
// - Nothing throws (except std::bad_alloc): environment and input errors come back as
//   absl::Status with the offending text or the errno in the message.
// - hwloc stays inside topology.cc; this header exposes plain values, so a topology can
//   also be built by hand (tests describe imaginary machines that way).
//
// Example:
//
//     auto topo = seastar::internal::topology::discover();
//     auto allowed = seastar::internal::current_affinity();
//     auto shards = seastar::internal::allocate_cpus(*topo, *allowed, /*smp=*/4, false);
//     // on shard i's thread:
//     auto status = seastar::internal::pin_this_thread((*shards)[i].cpu);
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace seastar::internal {

// A set of CPU numbers (the kernel's numbering, as in /proc/cpuinfo and taskset).
using cpuset = std::set<unsigned>;

// One processing unit (hardware thread).
struct cpu_info {
    unsigned cpu_id;    // the OS's CPU number
    unsigned core_id;   // which physical core it belongs to (PUs of one core share it)
    unsigned numa_node; // the OS's NUMA node number

    bool operator==(const cpu_info&) const = default;
};

class topology {
public:
    // Builds a topology from a list of processing units (each cpu_id once).
    explicit topology(std::vector<cpu_info> cpus);

    // Discovers this machine through hwloc. Fails with the reason if hwloc cannot load it.
    static absl::StatusOr<topology> discover();

    // Sorted by cpu_id.
    const std::vector<cpu_info>& cpus() const noexcept { return _cpus; }
    const cpu_info* find(unsigned cpu_id) const noexcept;
    unsigned nr_cores() const noexcept { return _nr_cores; }
    unsigned nr_numa_nodes() const noexcept { return _nr_numa_nodes; }

private:
    std::vector<cpu_info> _cpus;
    unsigned _nr_cores = 0;
    unsigned _nr_numa_nodes = 0;
};

// Largest CPU number accepted in a cpuset; guards against "0-4000000000" exhausting memory.
inline constexpr unsigned max_cpu_id = 65535;

// Parses a `--cpuset` list: comma-separated CPU numbers or inclusive ranges, e.g.
// "0-3,5,7-8". Empty items, reversed ranges, signs, spaces and numbers above max_cpu_id are
// errors (InvalidArgument) whose message quotes the offending item.
absl::StatusOr<cpuset> parse_cpuset(std::string_view text);

// Formats a cpuset the way parse_cpuset reads it, with ranges collapsed ("0-3,5").
std::string format_cpuset(const cpuset& cpus);

// The CPUs this process may run on now (sched_getaffinity), the default cpuset.
absl::StatusOr<cpuset> current_affinity();

// Where one shard runs.
struct shard_placement {
    unsigned shard;
    unsigned cpu;
    unsigned numa_node;

    bool operator==(const shard_placement&) const = default;
};

// Chooses a CPU for each of `smp` shards (all CPUs of `allowed` when `smp` is empty) among
// `allowed`, which must be a non-empty subset of the topology's CPUs. CPUs are taken spread
// out: first one per core, alternating NUMA nodes, then second hardware threads of cores.
// Asking for more shards than allowed CPUs fails (ResourceExhausted) unless `overprovisioned`,
// in which case shards share CPUs round-robin. Shard 0 gets the first CPU chosen.
absl::StatusOr<std::vector<shard_placement>> allocate_cpus(const topology& topo, const cpuset& allowed,
                                                           std::optional<unsigned> smp, bool overprovisioned);

// Restricts the calling thread to `cpu` (pthread_setaffinity_np). Fails with the errno text
// when the kernel refuses (a CPU that is offline, absent or outside the process's cgroup).
absl::Status pin_this_thread(unsigned cpu);

} // namespace seastar::internal
