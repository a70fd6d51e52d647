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

TEST(io_properties_options, help_lists_them) {
    args ar({"--help"});
    app_template app;
    ::testing::internal::CaptureStdout();
    app.run(ar.ac(), ar.av(), [] { return make_ready_future<int>(0); });
    auto out = ::testing::internal::GetCapturedStdout();
    EXPECT_NE(out.find("--io-properties-file"), std::string::npos) << out;
    EXPECT_NE(out.find("--io-properties arg"), std::string::npos) << out;
}

} // namespace
} // namespace seastar
