// Google Benchmark: a benchmark can be registered and run programmatically.
#include <benchmark/benchmark.h>

#include "gtest/gtest.h"

namespace {
int runs = 0;
void BM_smoke(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(++runs);
    }
}
} // namespace

TEST(BenchmarkSmoke, RegistersAndRuns) {
    benchmark::RegisterBenchmark("smoke", BM_smoke)->Iterations(10);
    int argc = 1;
    char arg0[] = "smoke";
    char* argv[] = {arg0, nullptr};
    benchmark::Initialize(&argc, argv);
    EXPECT_EQ(benchmark::RunSpecifiedBenchmarks(), 1u);
    EXPECT_GE(runs, 10);
}
