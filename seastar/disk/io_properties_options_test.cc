// --io-properties-file and --io-properties: any app_template program that
// links the disk layer takes Seastar's disk-model options, and a bad model
// stops it before its function runs.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "seastar/core/app-template.hh"
#include "seastar/disk/io_properties.hh"
#include "seastar/testing/program_args.hh"

namespace seastar {
namespace {

// The command line of a test program named after the test.
struct args : testing::program_args {
    explicit args(std::vector<std::string> a) : program_args("io_properties_options_test", std::move(a)) {}
};

struct outcome {
    int code;
    bool ran;
    std::string err;
};

// Runs a one-shard program with `a`; its function records the configured
// model of the test's temporary directory in `model`/`found`.
outcome run_with(std::vector<std::string> a, disk_model* model = nullptr, bool* found = nullptr) {
    args ar(std::move(a));
    app_template app;
    bool ran = false;
    ::testing::internal::CaptureStderr();
    int code = app.run(ar.ac(), ar.av(), [&]() -> future<int> {
        ran = true;
        struct ::stat st{};
        if (::stat(::testing::TempDir().c_str(), &st) != 0) {
            return make_ready_future<int>(3);
        }
        bool f = false;
        auto m = internal::io_properties_for_device(st.st_dev, f);
        if (model) {
            *model = m;
        }
        if (found) {
            *found = f;
        }
        return make_ready_future<int>(0);
    });
    return {code, ran, ::testing::internal::GetCapturedStderr()};
}

std::string model_yaml(uint64_t read_iops) {
    return "disks:\n  - mountpoint: " + ::testing::TempDir() + "\n    read_iops: " + std::to_string(read_iops) +
           "\n    read_bandwidth: 500000000\n    write_iops: 4321\n    write_bandwidth: 250000000\n";
}

TEST(io_properties_options, a_file_sets_the_model_of_its_mountpoint) {
    std::string path = ::testing::TempDir() + "/io_properties_options_test.yaml";
    std::ofstream(path) << model_yaml(1234);
    disk_model m;
    bool found = false;
    auto r = run_with({"--smp=1", "--overprovisioned", "--io-properties-file=" + path}, &m, &found);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(found);
    EXPECT_EQ(m.read_iops, 1234u);
    EXPECT_EQ(m.write_iops, 4321u);
    EXPECT_EQ(m.read_bandwidth, 500000000u);
}

TEST(io_properties_options, inline_yaml_sets_the_model) {
    disk_model m;
    bool found = false;
    auto r = run_with({"--smp=1", "--overprovisioned", "--io-properties", model_yaml(777)}, &m, &found);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(found);
    EXPECT_EQ(m.read_iops, 777u);
}

TEST(io_properties_options, a_bad_model_stops_the_program_before_it_runs) {
    std::string path = ::testing::TempDir() + "/io_properties_options_both.yaml";
    std::ofstream(path) << model_yaml(1);
    struct bad_case {
        std::vector<std::string> args;
        std::string says;
    };
    std::vector<bad_case> cases = {
        {{"--io-properties", "disks: [{mountpoint: /, read_iops: -5}]"}, "must be a positive number"},
        {{"--io-properties", "{not yaml"}, "not valid YAML"},
        {{"--io-properties-file=" + ::testing::TempDir() + "/no_such_file.yaml"}, "cannot read"},
        {{"--io-properties-file=" + path, "--io-properties", model_yaml(2)}, "mutually exclusive"},
        {{"--io-latency-goal-ms=0"}, "--io-latency-goal-ms must be in (0, 60000]"},
        {{"--io-latency-goal-ms=-1"}, "--io-latency-goal-ms must be in (0, 60000]"},
    };
    for (auto& c : cases) {
        auto a = c.args;
        a.insert(a.begin(), {"--smp=1", "--overprovisioned"});
        auto r = run_with(a);
        EXPECT_EQ(r.code, 1) << c.says;
        EXPECT_FALSE(r.ran) << c.says;
        EXPECT_NE(r.err.find("could not start"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    }
}

// Seastar's --io-latency-goal-ms: by default 1.5 x the task quota; given,
// it applies to every disk whose model names no goal of its own.
TEST(io_properties_options, the_latency_goal_follows_the_task_quota_unless_given) {
    disk_model m;
    bool found = false;
    auto r = run_with({"--smp=1", "--overprovisioned", "--io-properties", model_yaml(5)}, &m, &found);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(m.latency_goal, std::chrono::microseconds(750));
    r = run_with({"--smp=1", "--overprovisioned", "--task-quota-ms=2", "--io-properties", model_yaml(5)}, &m, &found);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(m.latency_goal, std::chrono::microseconds(3000));
    r = run_with({"--smp=1", "--overprovisioned", "--io-latency-goal-ms=2.5", "--io-properties", model_yaml(5)}, &m,
                 &found);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(m.latency_goal, std::chrono::microseconds(2500));
    // A disk's own latency_goal_us wins.
    r = run_with({"--smp=1", "--overprovisioned", "--io-latency-goal-ms=2.5", "--io-properties",
                  model_yaml(5) + "    latency_goal_us: 400\n"},
                 &m, &found);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(m.latency_goal, std::chrono::microseconds(400));
    configure_io_latency_goal(default_io_latency_goal); // as the other tests expect it
}

TEST(io_properties_options, help_lists_them) {
    args ar({"--help"});
    app_template app;
    ::testing::internal::CaptureStdout();
    app.run(ar.ac(), ar.av(), [] { return make_ready_future<int>(0); });
    auto out = ::testing::internal::GetCapturedStdout();
    EXPECT_NE(out.find("--io-properties-file"), std::string::npos) << out;
    EXPECT_NE(out.find("--io-properties arg"), std::string::npos) << out;
    EXPECT_NE(out.find("--io-latency-goal-ms"), std::string::npos) << out;
}

} // namespace
} // namespace seastar
