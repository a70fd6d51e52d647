// io_properties: Seastar's YAML format, and a clear error for each kind of
// bad input.
#include "seastar/disk/io_properties.hh"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using seastar::parse_io_properties;

const char* good = R"(
disks:
  - mountpoint: /
    read_iops: 95000
    read_bandwidth: 545291264
    write_iops: 85000
    write_bandwidth: 510027366
  - mountpoint: /var/lib/data
    read_iops: 1000
    read_bandwidth: 1e8
    write_iops: 500
    write_bandwidth: 50000000
    latency_goal_us: 750
)";

TEST(io_properties, parses_seastar_format) {
    auto p = parse_io_properties(good);
    ASSERT_EQ(p.disks.size(), 2u);
    EXPECT_EQ(p.disks[0].mountpoint, "/");
    EXPECT_EQ(p.disks[0].read_iops, 95000u);
    EXPECT_EQ(p.disks[0].read_bandwidth, 545291264u);
    EXPECT_EQ(p.disks[0].write_iops, 85000u);
    EXPECT_EQ(p.disks[0].write_bandwidth, 510027366u);
    EXPECT_EQ(p.disks[0].latency_goal.count(), 0); // none given: the process-wide goal
    EXPECT_EQ(p.disks[1].read_bandwidth, 100000000u);
    EXPECT_EQ(p.disks[1].latency_goal, std::chrono::microseconds(750));
}

void expect_error(const std::string& yaml, const std::string& part) {
    try {
        parse_io_properties(yaml);
        ADD_FAILURE() << "accepted: " << yaml;
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
}

TEST(io_properties, bad_input_is_named) {
    expect_error("disks: [ {mountpoint: /", "not valid YAML");
    expect_error("- 1\n- 2\n", "'disks'");
    expect_error("other: 1\n", "'disks'");
    expect_error("disks: []\n", "non-empty");
    expect_error("disks: 5\n", "non-empty");
    expect_error("disks:\n  - 7\n", "disks[0] is not a map");
    expect_error("disks:\n  - read_iops: 1\n    read_bandwidth: 1\n    write_iops: 1\n    write_bandwidth: 1\n",
                 "no 'mountpoint'");
    expect_error("disks:\n  - mountpoint: /\n    read_bandwidth: 1\n    write_iops: 1\n    write_bandwidth: 1\n",
                 "no 'read_iops'");
    expect_error("disks:\n  - mountpoint: /\n    read_iops: -5\n    read_bandwidth: 1\n    write_iops: 1\n    "
                 "write_bandwidth: 1\n",
                 "positive");
    expect_error("disks:\n  - mountpoint: /\n    read_iops: 0\n    read_bandwidth: 1\n    write_iops: 1\n    "
                 "write_bandwidth: 1\n",
                 "positive");
    expect_error("disks:\n  - mountpoint: /\n    read_iops: fast\n    read_bandwidth: 1\n    write_iops: 1\n    "
                 "write_bandwidth: 1\n",
                 "not a number: 'fast'");
    expect_error("disks:\n  - mountpoint: /\n    read_iops: 12abc\n    read_bandwidth: 1\n    write_iops: 1\n    "
                 "write_bandwidth: 1\n",
                 "read_iops is not a number");
    expect_error("disks:\n  - mountpoint: /\n    read_iops: [1]\n    read_bandwidth: 1\n    write_iops: 1\n    "
                 "write_bandwidth: 1\n",
                 "read_iops is not a number");
    expect_error("disks:\n  - mountpoint: /\n    read_iops: 1\n    read_bandwidth: 1\n    write_iops: 1\n    "
                 "write_bandwidth: 1\n    speed: 3\n",
                 "unknown key 'speed'");
    expect_error("disks:\n  - mountpoint: /\n    read_iops: 1\n    read_bandwidth: 1\n    write_iops: 1\n", "disks[0]");
}

TEST(io_properties, file_errors_name_the_path) {
    try {
        seastar::load_io_properties_file("/nonexistent/io.yaml");
        ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/io.yaml"), std::string::npos);
    }
    auto dir = std::getenv("TEST_TMPDIR");
    ASSERT_NE(dir, nullptr);
    auto path = std::string(dir) + "/bad.yaml";
    std::ofstream(path) << "disks: {}\n";
    try {
        seastar::load_io_properties_file(path);
        ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    auto ok = std::string(dir) + "/good.yaml";
    std::ofstream(ok) << good;
    EXPECT_EQ(seastar::load_io_properties_file(ok).disks.size(), 2u);
}

TEST(io_properties, devices_match_mountpoints) {
    struct ::stat root{};
    ASSERT_EQ(::stat("/", &root), 0);
    bool found = true;
    auto m = seastar::internal::io_properties_for_device(root.st_dev, found);
    EXPECT_FALSE(found); // nothing configured yet
    EXPECT_EQ(m.read_iops, seastar::default_disk_model().read_iops);

    seastar::configure_io_properties_from_string(good);
    m = seastar::internal::io_properties_for_device(root.st_dev, found);
    EXPECT_TRUE(found);
    EXPECT_EQ(m.read_iops, 95000u);
    // The disk names no latency goal: it gets the process-wide one, as the
    // devices without a model do.
    EXPECT_EQ(m.latency_goal, seastar::io_latency_goal());
    EXPECT_EQ(seastar::default_disk_model().latency_goal, seastar::io_latency_goal());
    // A failed configuration leaves the previous one in place.
    EXPECT_THROW(seastar::configure_io_properties_from_string("disks: []"), std::invalid_argument);
    m = seastar::internal::io_properties_for_device(root.st_dev, found);
    EXPECT_TRUE(found);
    seastar::configure_io_properties({});
    seastar::internal::io_properties_for_device(root.st_dev, found);
    EXPECT_FALSE(found);
}

TEST(io_properties, the_latency_goal_is_process_wide_unless_a_disk_names_one) {
    EXPECT_EQ(seastar::io_latency_goal(), seastar::default_io_latency_goal);
    EXPECT_EQ(seastar::default_io_latency_goal, std::chrono::microseconds(750)); // Seastar's 1.5 x 0.5 ms
    seastar::configure_io_latency_goal(std::chrono::microseconds(2500));
    EXPECT_EQ(seastar::default_disk_model().latency_goal, std::chrono::microseconds(2500));
    auto p = parse_io_properties(good);
    seastar::configure_io_properties(p);
    struct ::stat root{};
    ASSERT_EQ(::stat("/", &root), 0);
    bool found = false;
    EXPECT_EQ(seastar::internal::io_properties_for_device(root.st_dev, found).latency_goal,
              std::chrono::microseconds(2500));
    // An impossible goal is refused and changes nothing.
    EXPECT_THROW(seastar::configure_io_latency_goal(std::chrono::microseconds(0)), std::invalid_argument);
    EXPECT_THROW(seastar::configure_io_latency_goal(std::chrono::microseconds(-3)), std::invalid_argument);
    EXPECT_EQ(seastar::io_latency_goal(), std::chrono::microseconds(2500));
    seastar::configure_io_properties({});
    seastar::configure_io_latency_goal(seastar::default_io_latency_goal);
}

} // namespace
