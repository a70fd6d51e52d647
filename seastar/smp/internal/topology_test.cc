#include "seastar/smp/internal/topology.hh"

#include <sched.h>
#include <unistd.h>

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seastar::internal {
namespace {

using ::testing::HasSubstr;

cpuset parse_ok(std::string_view text) {
    auto r = parse_cpuset(text);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : cpuset{};
}

TEST(ParseCpuset, AcceptsNumbersAndRanges) {
    EXPECT_EQ(parse_ok("0"), (cpuset{0}));
    EXPECT_EQ(parse_ok("0-3,5,7-8"), (cpuset{0, 1, 2, 3, 5, 7, 8}));
    EXPECT_EQ(parse_ok("4-4"), (cpuset{4}));
    EXPECT_EQ(parse_ok("3,1,2,1"), (cpuset{1, 2, 3})); // order and repeats do not matter
    EXPECT_EQ(parse_ok("0-2,1-3"), (cpuset{0, 1, 2, 3}));
    EXPECT_EQ(parse_ok("65535"), (cpuset{65535}));
}

TEST(ParseCpuset, RejectsBadInputQuotingIt) {
    struct bad_case {
        const char* text;
        const char* offending;
    };
    for (auto [text, offending] : {
             bad_case{"0-3,x", "\"x\""},
             bad_case{"0,,2", "\"\""},
             bad_case{"1,", "\"\""},
             bad_case{",1", "\"\""},
             bad_case{"3-1", "\"3-1\""},
             bad_case{"-1", "\"-1\""},
             bad_case{"1-", "\"1-\""},
             bad_case{"1-2-3", "\"1-2-3\""},
             bad_case{" 1", "\" 1\""},
             bad_case{"+1", "\"+1\""},
             bad_case{"0x1", "\"0x1\""},
             bad_case{"65536", "\"65536\""},
             bad_case{"0-4000000000", "\"0-4000000000\""},
             bad_case{"99999999999999999999", "\"99999999999999999999\""},
         }) {
        auto r = parse_cpuset(text);
        ASSERT_FALSE(r.ok()) << "accepted \"" << text << "\"";
        EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
        EXPECT_THAT(std::string(r.status().message()), HasSubstr(std::string("\"") + text + "\"")) << text;
        EXPECT_THAT(std::string(r.status().message()), HasSubstr(std::string("bad item ") + offending)) << text;
    }
    auto empty = parse_cpuset("");
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FormatCpuset, CollapsesRangesAndRoundTrips) {
    EXPECT_EQ(format_cpuset({}), "");
    EXPECT_EQ(format_cpuset({0, 1, 2, 3, 5, 7, 8}), "0-3,5,7-8");
    EXPECT_EQ(format_cpuset({9}), "9");
    EXPECT_EQ(parse_ok(format_cpuset({0, 2, 3, 4, 10})), (cpuset{0, 2, 3, 4, 10}));
}

// An imaginary machine: 2 NUMA nodes x 2 cores x 2 hardware threads. CPU numbering as Linux
// often does it: first threads of all cores (0-3), then their siblings (4-7).
topology two_node_smt_machine() {
    return topology({
        {0, 0, 0},
        {1, 1, 0},
        {2, 2, 1},
        {3, 3, 1},
        {4, 0, 0},
        {5, 1, 0},
        {6, 2, 1},
        {7, 3, 1},
    });
}

std::vector<unsigned> cpus_of(const std::vector<shard_placement>& shards) {
    std::vector<unsigned> out;
    for (auto& s : shards) {
        out.push_back(s.cpu);
    }
    return out;
}

TEST(AllocateCpus, DefaultsToEveryAllowedCpu) {
    auto topo = two_node_smt_machine();
    EXPECT_EQ(topo.nr_cores(), 4u);
    EXPECT_EQ(topo.nr_numa_nodes(), 2u);
    auto r = allocate_cpus(topo, parse_ok("0-7"), std::nullopt, false);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->size(), 8u);
    for (unsigned i = 0; i < 8; ++i) {
        EXPECT_EQ((*r)[i].shard, i);
        EXPECT_EQ((*r)[i].numa_node, topo.find((*r)[i].cpu)->numa_node);
    }
    auto cpus = cpus_of(*r);
    EXPECT_EQ(cpuset(cpus.begin(), cpus.end()), parse_ok("0-7"));
}

TEST(AllocateCpus, SpreadsOverNodesAndCoresBeforeSiblings) {
    auto topo = two_node_smt_machine();
    auto two = allocate_cpus(topo, parse_ok("0-7"), 2, false);
    ASSERT_TRUE(two.ok()) << two.status();
    // One shard per NUMA node.
    EXPECT_EQ(two->at(0), (shard_placement{0, 0, 0}));
    EXPECT_EQ(two->at(1), (shard_placement{1, 2, 1}));
    auto four = allocate_cpus(topo, parse_ok("0-7"), 4, false);
    ASSERT_TRUE(four.ok()) << four.status();
    // Four distinct cores: no two shards on hyperthread siblings.
    EXPECT_EQ(cpus_of(*four), (std::vector<unsigned>{0, 2, 1, 3}));
}

TEST(AllocateCpus, UsesOnlyTheCpuset) {
    auto topo = two_node_smt_machine();
    auto r = allocate_cpus(topo, parse_ok("4-5"), std::nullopt, false);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(cpus_of(*r), (std::vector<unsigned>{4, 5}));
    EXPECT_EQ(r->at(0).numa_node, 0u);
}

TEST(AllocateCpus, TooManyShardsIsAnErrorUnlessOverprovisioned) {
    auto topo = two_node_smt_machine();
    auto r = allocate_cpus(topo, parse_ok("0-2"), 4, false);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("--smp 4"));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("\"0-2\""));

    auto over = allocate_cpus(topo, parse_ok("0-2"), 5, true);
    ASSERT_TRUE(over.ok()) << over.status();
    ASSERT_EQ(over->size(), 5u);
    for (auto& s : *over) {
        EXPECT_LE(s.cpu, 2u);
    }
    EXPECT_EQ(over->at(3).cpu, over->at(0).cpu); // shared round-robin
}

TEST(AllocateCpus, RejectsCpusNotOnTheMachineAndEmptyInput) {
    auto topo = two_node_smt_machine();
    auto absent = allocate_cpus(topo, parse_ok("0,9"), std::nullopt, false);
    ASSERT_FALSE(absent.ok());
    EXPECT_EQ(absent.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(absent.status().message()), HasSubstr("CPU 9"));

    EXPECT_FALSE(allocate_cpus(topo, cpuset{}, std::nullopt, false).ok());
    auto zero = allocate_cpus(topo, parse_ok("0"), 0, false);
    ASSERT_FALSE(zero.ok());
    EXPECT_THAT(std::string(zero.status().message()), HasSubstr("--smp"));
}

TEST(Topology, DiscoversThisMachine) {
    auto topo = topology::discover();
    ASSERT_TRUE(topo.ok()) << topo.status();
    ASSERT_GE(topo->cpus().size(), 1u);
    EXPECT_GE(topo->nr_cores(), 1u);
    EXPECT_LE(topo->nr_cores(), topo->cpus().size());
    EXPECT_GE(topo->nr_numa_nodes(), 1u);
    EXPECT_LE(topo->nr_numa_nodes(), topo->cpus().size());
    // hwloc reports at most the CPUs the kernel has configured.
    EXPECT_LE(long(topo->cpus().size()), sysconf(_SC_NPROCESSORS_CONF));
    for (auto& c : topo->cpus()) {
        EXPECT_EQ(topo->find(c.cpu_id), &c);
    }
}

TEST(Topology, DefaultCpusetIsTheAffinityMaskAndAllocates) {
    auto topo = topology::discover();
    ASSERT_TRUE(topo.ok()) << topo.status();
    auto allowed = current_affinity();
    ASSERT_TRUE(allowed.ok()) << allowed.status();
    ASSERT_FALSE(allowed->empty());
    cpu_set_t mask;
    ASSERT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
    EXPECT_EQ(allowed->size(), unsigned(CPU_COUNT(&mask)));
    for (unsigned cpu : *allowed) {
        EXPECT_TRUE(CPU_ISSET(cpu, &mask)) << cpu;
    }
    auto shards = allocate_cpus(*topo, *allowed, std::nullopt, false);
    ASSERT_TRUE(shards.ok()) << shards.status();
    EXPECT_EQ(shards->size(), allowed->size());
    auto too_many = allocate_cpus(*topo, *allowed, allowed->size() + 1, false);
    EXPECT_EQ(too_many.status().code(), absl::StatusCode::kResourceExhausted);
}

// Pinning runs on a fresh thread so the test process's own affinity is left alone.
template <typename Func>
void on_new_thread(Func func) {
    std::thread t(func);
    t.join();
}

TEST(PinThisThread, PinsToAnAllowedCpu) {
    auto allowed = current_affinity();
    ASSERT_TRUE(allowed.ok()) << allowed.status();
    for (unsigned cpu : *allowed) {
        on_new_thread([cpu] {
            auto status = pin_this_thread(cpu);
            ASSERT_TRUE(status.ok()) << status;
            auto now = current_affinity();
            ASSERT_TRUE(now.ok()) << now.status();
            EXPECT_EQ(*now, (cpuset{cpu}));
            EXPECT_EQ(unsigned(sched_getcpu()), cpu);
        });
    }
}

TEST(PinThisThread, FailsClearlyForAnImpossibleCpu) {
    on_new_thread([] {
        // A CPU number no test machine has: the kernel refuses with EINVAL.
        auto status = pin_this_thread(4000);
        ASSERT_FALSE(status.ok());
        EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
        EXPECT_THAT(std::string(status.message()), HasSubstr("CPU 4000"));
        EXPECT_THAT(std::string(status.message()), HasSubstr("errno 22"));
        // Beyond what a cpuset may name: refused before asking the kernel.
        auto huge = pin_this_thread(max_cpu_id + 1);
        ASSERT_FALSE(huge.ok());
        EXPECT_EQ(huge.code(), absl::StatusCode::kInvalidArgument);
        // The failed calls left the thread's affinity alone.
        auto before = current_affinity();
        ASSERT_TRUE(before.ok());
        EXPECT_FALSE(before->empty());
    });
}

} // namespace
} // namespace seastar::internal
