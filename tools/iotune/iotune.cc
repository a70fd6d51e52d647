// iotune: measures a directory's device (sequential write and read
// bandwidth, random 4 KiB write and read IOPS) with DMA files and writes the
// result as an io_properties YAML file that --io-properties-file reads.
// Progress goes to the terminal (stderr) as each phase ends.
//
//     bazel run --config=opt //tools/iotune -- --evaluation-directory /mnt/data \
//         --properties-file /etc/io_properties.yaml --duration 5
//
// It runs on shard 0 only (the model describes the device, which the shards
// share through the token bucket). The test file (--file-size, default 1 GiB)
// is laid out in full before anything is measured, so every phase (the
// sequential write included) works on allocated blocks, as programs and fio
// do: writes into a fresh file allocate as they go, and on a thin-provisioned
// or virtual disk they run at another speed than overwrites. Each phase
// counts only what completes after a ramp (a fifth of the phase, at most a
// second): a device often starts fast (an empty write cache, burst credits)
// and the model is meant to describe what it sustains. The file is removed
// at the end.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "seastar/core/aligned_buffer.hh"
#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/file.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/seastar.hh"
#include "seastar/core/when_all.hh"
#include "seastar/disk/io_properties.hh"

using namespace seastar;
using clk = std::chrono::steady_clock;

namespace {

struct phase_result {
    double iops = 0;
    double bandwidth = 0;
};

// `parallelism` loops issuing `reqsize` requests for `ramp + duration`;
// sequential loops take consecutive blocks, random ones uniform blocks of the
// file. Only requests that complete after the ramp are counted.
future<phase_result> run_phase(file& f, uint64_t file_size, bool write, bool sequential, size_t reqsize,
                               unsigned parallelism, std::chrono::duration<double> duration,
                               std::chrono::duration<double> ramp) {
    uint64_t blocks = file_size / reqsize;
    uint64_t next = 0;
    uint64_t requests = 0;
    uint64_t bytes = 0;
    auto begin = clk::now();
    auto start = begin + std::chrono::duration_cast<clk::duration>(ramp);
    auto deadline = start + std::chrono::duration_cast<clk::duration>(duration);
    auto loop = [&](unsigned id) -> future<> {
        std::mt19937_64 rng(id + 1);
        auto buf = allocate_aligned_buffer<char>(reqsize, f.memory_dma_alignment());
        std::memset(buf.get(), 'i', reqsize);
        // At least one request per loop: a phase that started late (a loaded
        // machine, a stalled shard) still measures something instead of
        // reporting zero, which no io_properties consumer accepts.
        do {
            auto pos = (sequential ? next++ % blocks : rng() % blocks) * reqsize;
            auto n =
                write ? co_await f.dma_write(pos, buf.get(), reqsize) : co_await f.dma_read(pos, buf.get(), reqsize);
            if (clk::now() >= start) {
                ++requests;
                bytes += n;
            }
        } while (clk::now() < deadline);
    };
    std::vector<future<>> loops;
    for (unsigned i = 0; i < parallelism; ++i) {
        loops.push_back(loop(i));
    }
    co_await when_all_succeed(loops.begin(), loops.end());
    auto secs = std::chrono::duration<double>(clk::now() - start).count();
    if (requests == 0) {
        // Nothing completed after the ramp (a stalled device): count the
        // one request each loop made, over the whole phase.
        requests = parallelism;
        bytes = uint64_t(parallelism) * reqsize;
        secs = std::chrono::duration<double>(clk::now() - begin).count();
    }
    secs = std::max(secs, 1e-6);
    co_return phase_result{double(requests) / secs, double(bytes) / secs};
}

// Writes `chunk` bytes from `buf` at first, first + stride, ... below `size`.
future<> lay_out(file& f, const char* buf, size_t chunk, uint64_t first, uint64_t stride, uint64_t size) {
    for (uint64_t pos = first; pos < size; pos += stride) {
        co_await f.dma_write(pos, buf, chunk);
    }
}

} // namespace

int main(int ac, char** av) {
    app_template app({.name = "iotune", .description = "measures a device and writes its io_properties YAML"});
    app.add_options()("evaluation-directory", boost::program_options::value<std::string>()->default_value(""),
                      "directory on the device to measure (required)");
    app.add_options()("properties-file", boost::program_options::value<std::string>()->default_value(""),
                      "where to write the YAML (default: stdout)");
    app.add_options()("mountpoint", boost::program_options::value<std::string>()->default_value(""),
                      "mountpoint to write in the YAML (default: the evaluation directory)");
    app.add_options()("duration", boost::program_options::value<double>()->default_value(5), "seconds per phase");
    app.add_options()("file-size", boost::program_options::value<std::string>()->default_value("1G"),
                      "size of the test file");
    return app.run(ac, av, [&app]() -> future<int> {
        auto dir = app.configuration()["evaluation-directory"].as<std::string>();
        if (dir.empty()) {
            std::cerr << "iotune: --evaluation-directory is required\n";
            co_return 2;
        }
        auto mountpoint = app.configuration()["mountpoint"].as<std::string>().empty()
                              ? dir
                              : app.configuration()["mountpoint"].as<std::string>();
        uint64_t size = internal::parse_memory_size(app.configuration()["file-size"].as<std::string>());
        // Measure the device, not our own scheduler: no limit for it while we run.
        disk_model unlimited;
        unlimited.mountpoint = dir;
        unlimited.read_iops = unlimited.write_iops = 1'000'000'000;
        unlimited.read_bandwidth = unlimited.write_bandwidth = uint64_t(1) << 50;
        configure_io_properties(io_properties{{unlimited}});

        auto path = dir + "/iotune.tmp";
        auto f = co_await open_file_dma(path, open_flags::rw | open_flags::create | open_flags::truncate);
        auto duration = std::chrono::duration<double>(app.configuration()["duration"].as<double>());
        std::exception_ptr err;
        phase_result seq_write, seq_read, rand_write, rand_read;
        try {
            size = std::max<uint64_t>(size / (1 << 20), 1) * (1 << 20);
            fmt::print(stderr, "iotune: {} ({} MiB test file), {:.0f}s per phase\n", dir, size >> 20, duration.count());
            {
                auto chunk = size_t(1) << 20;
                auto buf = allocate_aligned_buffer<char>(chunk, f.memory_dma_alignment());
                std::memset(buf.get(), 'l', chunk);
                std::vector<future<>> writers;
                for (unsigned w = 0; w < 4; ++w) {
                    writers.push_back(lay_out(f, buf.get(), chunk, uint64_t(w) * chunk, 4 * chunk, size));
                }
                co_await when_all_succeed(writers.begin(), writers.end());
                co_await f.flush();
                fmt::print(stderr, "  laid out\n");
            }
            auto ramp = std::min(duration / 5, std::chrono::duration<double>(1));
            seq_write = co_await run_phase(f, size, true, true, 1 << 20, 4, duration, ramp);
            co_await f.flush();
            fmt::print(stderr, "  sequential write: {:.0f} MB/s\n", seq_write.bandwidth / 1e6);
            seq_read = co_await run_phase(f, size, false, true, 1 << 20, 4, duration, ramp);
            fmt::print(stderr, "  sequential read:  {:.0f} MB/s\n", seq_read.bandwidth / 1e6);
            rand_write = co_await run_phase(f, size, true, false, 4096, 64, duration, ramp);
            fmt::print(stderr, "  random write:     {:.0f} IOPS\n", rand_write.iops);
            rand_read = co_await run_phase(f, size, false, false, 4096, 64, duration, ramp);
            fmt::print(stderr, "  random read:      {:.0f} IOPS\n", rand_read.iops);
        } catch (...) {
            err = std::current_exception();
        }
        co_await f.close();
        co_await remove_file(path);
        if (err) {
            std::rethrow_exception(err);
        }
        auto yaml = fmt::format("disks:\n  - mountpoint: {}\n    read_iops: {:.0f}\n    read_bandwidth: {:.0f}\n"
                                "    write_iops: {:.0f}\n    write_bandwidth: {:.0f}\n",
                                mountpoint, rand_read.iops, seq_read.bandwidth, rand_write.iops, seq_write.bandwidth);
        parse_io_properties(yaml); // what we write must read back
        auto out = app.configuration()["properties-file"].as<std::string>();
        if (out.empty()) {
            std::cout << yaml;
        } else {
            std::ofstream(out) << yaml;
            fmt::print(stderr, "iotune: wrote {}\n", out);
        }
        co_return 0;
    });
}
