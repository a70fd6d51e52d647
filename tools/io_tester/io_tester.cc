// io_tester: runs classes of disk I/O described by a YAML job file (Seastar's
// io_tester format) for a duration on every shard, each class in its own
// scheduling group with its shares, and prints per-class IOPS, bandwidth and
// latency percentiles; --json writes the same as JSON.
//
//     - name: latency
//       shards: all
//       type: randread            # seqread | seqwrite | randread | randwrite
//       data_size: 256MB          # per shard
//       shard_info:
//         parallelism: 1
//         reqsize: 4kB
//         shares: 1000
//         rps: 200                # per shard; absent: as fast as possible
//         think_time: 0us         # pause after each request
//
//     bazel run --config=opt //tools/io_tester -- --conf jobs.yaml --storage /mnt/data --duration 10
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "seastar/core/aligned_buffer.hh"
#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/file.hh"
#include "seastar/core/io_queue.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/seastar.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/smp.hh"
#include "seastar/core/when_all.hh"
#include "seastar/core/with_scheduling_group.hh"

using namespace seastar;
using clk = std::chrono::steady_clock;

namespace {

enum class job_type { seqread, seqwrite, randread, randwrite };

struct job {
    std::string name;
    job_type type = job_type::randread;
    bool all_shards = true;
    std::vector<unsigned> shards;
    uint64_t data_size = 256 << 20;
    unsigned parallelism = 1;
    uint64_t reqsize = 4096;
    float shares = 100;
    double rps = 0;
    std::chrono::microseconds think_time{0};
};

uint64_t parse_size(const std::string& s) {
    size_t used = 0;
    double v = std::stod(s, &used);
    auto unit = s.substr(used);
    std::transform(unit.begin(), unit.end(), unit.begin(), ::tolower);
    double mul = 1;
    if (unit == "" || unit == "b") {
        mul = 1;
    } else if (unit == "k" || unit == "kb") {
        mul = 1024;
    } else if (unit == "m" || unit == "mb") {
        mul = 1024 * 1024;
    } else if (unit == "g" || unit == "gb") {
        mul = 1024.0 * 1024 * 1024;
    } else {
        throw std::invalid_argument("bad size '" + s + "'");
    }
    if (v <= 0) {
        throw std::invalid_argument("size must be positive: '" + s + "'");
    }
    return uint64_t(v * mul);
}

std::chrono::microseconds parse_duration(const std::string& s) {
    size_t used = 0;
    double v = std::stod(s, &used);
    auto unit = s.substr(used);
    if (v < 0) {
        throw std::invalid_argument("negative duration '" + s + "'");
    }
    if (unit == "us") {
        return std::chrono::microseconds(int64_t(v));
    } else if (unit == "ms") {
        return std::chrono::microseconds(int64_t(v * 1000));
    } else if (unit == "s" || unit.empty()) {
        return std::chrono::microseconds(int64_t(v * 1e6));
    }
    throw std::invalid_argument("bad duration '" + s + "'");
}

std::vector<job> parse_jobs(const std::string& path) {
    auto root = YAML::LoadFile(path);
    if (!root.IsSequence()) {
        throw std::invalid_argument(path + ": expected a list of jobs");
    }
    std::vector<job> jobs;
    for (auto n : root) {
        job j;
        j.name = n["name"].as<std::string>();
        auto type = n["type"].as<std::string>();
        if (type == "seqread") {
            j.type = job_type::seqread;
        } else if (type == "seqwrite") {
            j.type = job_type::seqwrite;
        } else if (type == "randread") {
            j.type = job_type::randread;
        } else if (type == "randwrite") {
            j.type = job_type::randwrite;
        } else {
            throw std::invalid_argument(j.name + ": unsupported type '" + type + "'");
        }
        if (n["shards"] && n["shards"].IsSequence()) {
            j.all_shards = false;
            j.shards = n["shards"].as<std::vector<unsigned>>();
        }
        if (n["data_size"]) {
            j.data_size = parse_size(n["data_size"].as<std::string>());
        }
        auto si = n["shard_info"];
        if (si) {
            if (si["parallelism"]) {
                j.parallelism = std::max(si["parallelism"].as<unsigned>(), 1u);
            }
            if (si["reqsize"]) {
                j.reqsize = parse_size(si["reqsize"].as<std::string>());
            }
            if (si["shares"]) {
                j.shares = si["shares"].as<float>();
            }
            if (si["rps"]) {
                j.rps = si["rps"].as<double>();
            }
            if (si["think_time"]) {
                j.think_time = parse_duration(si["think_time"].as<std::string>());
            }
        }
        if (j.reqsize % 4096) {
            throw std::invalid_argument(j.name + ": reqsize must be a multiple of 4kB");
        }
        j.data_size = std::max(j.data_size / j.reqsize * j.reqsize, j.reqsize);
        jobs.push_back(std::move(j));
    }
    return jobs;
}

struct result {
    // From the I/O scheduler's per-group statistics: time in its queue and in
    // the kernel, summed over requests.
    double queue_us = 0;
    double exec_us = 0;
    uint64_t completed = 0;
    // How long the run phase lasted on this shard.
    double seconds = 0;
    uint64_t requests = 0;
    uint64_t bytes = 0;
    std::vector<uint32_t> latencies_us;
};

bool runs_here(const job& j) {
    return j.all_shards || std::find(j.shards.begin(), j.shards.end(), this_shard_id()) != j.shards.end();
}

struct prepared {
    file f;
    std::string path;
};

// One shard's file for a job, laid out in full (reads need blocks on disk,
// not holes; writes then overwrite allocated blocks, as fio's do). Done
// before any job's clock starts. With `keep`, a file a previous run left at
// least that large is used as it is (as fio reuses its file).
future<std::optional<prepared>> prepare_job(job j, std::string storage, bool keep) {
    if (!runs_here(j)) {
        co_return std::nullopt;
    }
    auto path = fmt::format("{}/io_tester.{}.{}", storage, j.name, this_shard_id());
    if (keep && co_await file_exists(path) && co_await file_size(path) >= j.data_size) {
        co_return prepared{co_await open_file_dma(path, open_flags::rw), path};
    }
    auto f = co_await open_file_dma(path, open_flags::rw | open_flags::create | open_flags::truncate);
    {
        auto chunk = uint64_t(1) << 20;
        auto buf = allocate_aligned_buffer<char>(chunk, f.memory_dma_alignment());
        std::memset(buf.get(), 'x', chunk);
        for (uint64_t pos = 0; pos < j.data_size; pos += chunk) {
            co_await f.dma_write(pos, buf.get(), std::min(chunk, j.data_size - pos));
        }
        co_await f.flush();
    }
    co_return prepared{f, path};
}

// One shard's part of a job: `parallelism` loops until the deadline.
future<result> run_job(job j, scheduling_group sg, const std::optional<prepared>& p, clk::time_point deadline) {
    result res;
    if (!p) {
        co_return res;
    }
    auto f = p->f;
    bool reads = j.type == job_type::seqread || j.type == job_type::randread;
    auto run_start = clk::now();
    uint64_t next_seq = 0;
    auto blocks = j.data_size / j.reqsize;
    auto worker = [&](unsigned id) -> future<> {
        std::mt19937_64 rng(this_shard_id() * 1000 + id);
        auto buf = allocate_aligned_buffer<char>(j.reqsize, f.memory_dma_alignment());
        std::memset(buf.get(), 'w', j.reqsize);
        auto interval =
            j.rps > 0 ? std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(j.parallelism / j.rps))
                      : clk::duration(0);
        auto next = clk::now();
        while (clk::now() < deadline) {
            uint64_t pos;
            if (j.type == job_type::seqread || j.type == job_type::seqwrite) {
                pos = (next_seq++ % blocks) * j.reqsize;
            } else {
                pos = (rng() % blocks) * j.reqsize;
            }
            auto start = clk::now();
            auto n = reads ? co_await f.dma_read(pos, buf.get(), j.reqsize)
                           : co_await f.dma_write(pos, buf.get(), j.reqsize);
            auto took = std::chrono::duration_cast<std::chrono::microseconds>(clk::now() - start).count();
            res.requests++;
            res.bytes += n;
            res.latencies_us.push_back(uint32_t(std::min<int64_t>(took, UINT32_MAX)));
            if (j.think_time.count()) {
                co_await sleep(j.think_time);
            }
            if (interval.count()) {
                next += interval;
                auto now = clk::now();
                if (next > now) {
                    co_await sleep(next - now);
                } else {
                    next = now;
                }
            }
        }
    };
    std::vector<future<>> workers;
    for (unsigned i = 0; i < j.parallelism; ++i) {
        workers.push_back(with_scheduling_group(sg, [&worker, i] { return worker(i); }));
    }
    auto before = get_io_group_stats(sg);
    co_await when_all_succeed(workers.begin(), workers.end());
    auto after = get_io_group_stats(sg);
    res.seconds = std::chrono::duration<double>(clk::now() - run_start).count();
    res.completed = after.completed - before.completed;
    res.queue_us = double((after.queue_time - before.queue_time).count()) / 1e3;
    res.exec_us = double((after.execution_time - before.execution_time).count()) / 1e3;
    co_return res;
}

double percentile(std::vector<uint32_t>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    auto k = size_t(p * double(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + ptrdiff_t(k), v.end());
    return v[k];
}

} // namespace

int main(int ac, char** av) {
    app_template app({.name = "io_tester", .description = "runs YAML-described disk I/O classes and reports them"});
    app.add_options()("conf", boost::program_options::value<std::string>()->default_value(""),
                      "YAML job file (required)");
    app.add_options()("storage", boost::program_options::value<std::string>()->default_value("."),
                      "directory for the test files");
    app.add_options()("duration", boost::program_options::value<double>()->default_value(10), "seconds to run");
    app.add_options()("keep-files", boost::program_options::value<bool>()->default_value(false),
                      "keep the test files; the next run reuses them instead of laying them out again");
    app.add_options()("json", boost::program_options::value<std::string>()->default_value(""),
                      "also write the results as JSON to this file");
    return app.run(ac, av, [&app]() -> future<int> {
        auto conf = app.configuration()["conf"].as<std::string>();
        if (conf.empty()) {
            std::cerr << "io_tester: --conf is required\n";
            co_return 2;
        }
        auto jobs = parse_jobs(conf);
        std::vector<scheduling_group> groups;
        for (auto& j : jobs) {
            groups.push_back(co_await create_scheduling_group(j.name, j.shares));
        }
        auto duration = std::chrono::duration<double>(app.configuration()["duration"].as<double>());
        auto storage = app.configuration()["storage"].as<std::string>();
        auto keep = app.configuration()["keep-files"].as<bool>();
        std::vector<result> totals(jobs.size());
        auto deadline_from_now = std::chrono::duration_cast<clk::duration>(duration);
        // Every shard runs every job that names it; results come back to shard 0.
        std::vector<future<std::vector<result>>> per_shard;
        for (unsigned s = 0; s < smp::count; ++s) {
            per_shard.push_back(
                smp::submit_to(s, [&jobs, &groups, &storage, keep, deadline_from_now]() -> future<std::vector<result>> {
                    for (size_t i = 0; i < jobs.size(); ++i) {
                        update_io_shares(groups[i], jobs[i].shares);
                    }
                    std::vector<std::optional<prepared>> files;
                    for (auto& j : jobs) {
                        files.push_back(co_await prepare_job(j, storage, keep));
                    }
                    auto deadline = clk::now() + deadline_from_now;
                    std::vector<future<result>> fs;
                    for (size_t i = 0; i < jobs.size(); ++i) {
                        fs.push_back(run_job(jobs[i], groups[i], files[i], deadline));
                    }
                    auto res = co_await when_all_succeed(fs.begin(), fs.end());
                    // Only once every job is done: removing a file of
                    // hundreds of megabytes stalls the file system's other
                    // writes (a class still running beside a finished one
                    // saw 300 ms writes and its p99.9 at 0.4 s).
                    for (auto& p : files) {
                        if (p) {
                            co_await p->f.close();
                            if (!keep) {
                                co_await remove_file(p->path);
                            }
                        }
                    }
                    // What flow control made of the device on this shard.
                    struct ::stat st{};
                    if (::stat(storage.c_str(), &st) == 0) {
                        auto& q = internal::get_io_queue(st.st_dev);
                        fmt::print("shard {}: I/O queue flow scale {:.2f}, {} probes\n", this_shard_id(),
                                   q.flow_scale(), q.probes());
                    }
                    co_return res;
                }));
        }
        auto all = co_await when_all_succeed(per_shard.begin(), per_shard.end());
        double secs = 0;
        for (auto& shard : all) {
            for (auto& r : shard) {
                secs = std::max(secs, r.seconds);
            }
        }
        if (secs <= 0) {
            secs = duration.count();
        }
        for (auto& shard : all) {
            for (size_t i = 0; i < shard.size(); ++i) {
                totals[i].requests += shard[i].requests;
                totals[i].bytes += shard[i].bytes;
                totals[i].completed += shard[i].completed;
                totals[i].queue_us += shard[i].queue_us;
                totals[i].exec_us += shard[i].exec_us;
                totals[i].latencies_us.insert(totals[i].latencies_us.end(), shard[i].latencies_us.begin(),
                                              shard[i].latencies_us.end());
            }
        }
        std::string json = "{\n  \"duration_s\": " + fmt::format("{:.3f}", secs) + ",\n  \"classes\": [\n";
        fmt::print("{:<16} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "class", "IOPS", "MB/s",
                   "p50 us", "p95 us", "p99 us", "p99.9 us", "max us", "queue us", "disk us");
        for (size_t i = 0; i < jobs.size(); ++i) {
            auto& t = totals[i];
            auto iops = double(t.requests) / secs;
            auto mbs = double(t.bytes) / secs / 1e6;
            auto p50 = percentile(t.latencies_us, 0.50);
            auto p95 = percentile(t.latencies_us, 0.95);
            auto p99 = percentile(t.latencies_us, 0.99);
            auto p999 = percentile(t.latencies_us, 0.999);
            auto mx = t.latencies_us.empty() ? 0 : *std::max_element(t.latencies_us.begin(), t.latencies_us.end());
            // Mean time a request spent in the scheduler's queue and in the kernel.
            auto q_us = t.completed ? t.queue_us / double(t.completed) : 0;
            auto d_us = t.completed ? t.exec_us / double(t.completed) : 0;
            fmt::print("{:<16} {:>10.0f} {:>10.1f} {:>9.0f} {:>9.0f} {:>9.0f} {:>9.0f} {:>9} {:>9.0f} {:>9.0f}\n",
                       jobs[i].name, iops, mbs, p50, p95, p99, p999, mx, q_us, d_us);
            json += fmt::format("    {{\"name\": \"{}\", \"shares\": {}, \"iops\": {:.1f}, \"mb_per_s\": {:.3f}, "
                                "\"p50_us\": {}, \"p95_us\": {}, \"p99_us\": {}, \"p99_9_us\": {}, \"max_us\": {}, "
                                "\"mean_queue_us\": {:.1f}, \"mean_disk_us\": {:.1f}}}{}\n",
                                jobs[i].name, jobs[i].shares, iops, mbs, p50, p95, p99, p999, mx, q_us, d_us,
                                i + 1 < jobs.size() ? "," : "");
        }
        json += "  ]\n}\n";
        if (!app.configuration()["json"].as<std::string>().empty()) {
            std::ofstream(app.configuration()["json"].as<std::string>()) << json;
        }
        for (auto g : groups) {
            co_await destroy_scheduling_group(g);
        }
        co_return 0;
    });
}
