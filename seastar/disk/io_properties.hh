// The disk model that the I/O scheduler uses: what a device can do, read
// from Seastar's io_properties YAML format (written by tools/iotune):
//
//     disks:
//       - mountpoint: /var/lib/data
//         read_iops: 95000
//         read_bandwidth: 545291264      # bytes per second
//         write_iops: 85000
//         write_bandwidth: 510027366
//
// Contract:
//   * parse_io_properties() and load_io_properties_file() throw
//     std::invalid_argument naming what is wrong (not YAML, no `disks` list,
//     a missing or non-positive number, an unknown key) and, for the file, the
//     path; nothing is half-applied.
//   * configure_io_properties() sets the process-wide model: call it before
//     the first file I/O (app_template does, from --io-properties-file or
//     --io-properties, in programs that link :io_properties_options, which
//     :disk includes); I/O queues made before keep their model. Any thread.
//   * A device with no entry is not throttled (as in Seastar): its I/O
//     queue orders requests by shares with default_disk_model()'s costs and
//     logs once per device that no model was given.
//   * The latency goal (how much device time the scheduler lets the kernel
//     hold) is Seastar's --io-latency-goal-ms, by default 1.5 x the task
//     quota (0.75 ms); a disk's `latency_goal_us` key overrides it for that
//     disk. configure_io_latency_goal() sets it before the first file I/O.
//
//     seastar::configure_io_properties(seastar::load_io_properties_file("/etc/io.yaml"));
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seastar {

struct disk_model {
    std::string mountpoint;
    uint64_t read_iops = 0;
    uint64_t read_bandwidth = 0; // bytes/s
    uint64_t write_iops = 0;
    uint64_t write_bandwidth = 0; // bytes/s
    // How long the scheduler lets the device's queue be (the burst the
    // shared token bucket allows; the kernel holds at most half of it).
    // Zero: the process-wide goal, io_latency_goal().
    std::chrono::microseconds latency_goal{0};
};

struct io_properties {
    std::vector<disk_model> disks;
};

// The costs a device without a configured model is ordered by (100k IOPS,
// 1 GB/s each way; the latency goal is io_latency_goal()); they weigh
// requests against each other, they do not limit the device.
disk_model default_disk_model();

// The latency goal of disks whose model names none. Throws
// std::invalid_argument unless it is positive. Any thread; I/O queues made
// before keep their goal.
void configure_io_latency_goal(std::chrono::microseconds goal);
std::chrono::microseconds io_latency_goal() noexcept;
// Seastar's default: 1.5 x the reactor's task quota (0.5 ms by default).
inline constexpr std::chrono::microseconds default_io_latency_goal{750};

io_properties parse_io_properties(std::string_view yaml);
io_properties load_io_properties_file(const std::string& path);

// Sets the process-wide model (replacing the previous one).
void configure_io_properties(io_properties props);
// Parses `yaml` (the --io-properties text) or the file at `path`
// (--io-properties-file) and configures it.
void configure_io_properties_from_string(std::string_view yaml);
void configure_io_properties_from_file(const std::string& path);

namespace internal {

// The configured model for the device `dev` (matched through each
// mountpoint's st_dev); `found` tells whether one was configured.
disk_model io_properties_for_device(dev_t dev, bool& found);

} // namespace internal

} // namespace seastar
