#include "seastar/disk/io_properties.hh"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace seastar {

namespace {

std::mutex config_mutex;
io_properties configured;
std::atomic<int64_t> latency_goal_us{default_io_latency_goal.count()};

uint64_t positive_number(const YAML::Node& disk, const char* key, size_t index) {
    auto where = "io_properties: disks[" + std::to_string(index) + "]";
    auto v = disk[key];
    if (!v) {
        throw std::invalid_argument(where + " has no '" + key + "'");
    }
    if (!v.IsScalar()) {
        throw std::invalid_argument(where + "." + key + " is not a number");
    }
    const auto& text = v.Scalar();
    size_t used = 0;
    double d = 0;
    try {
        d = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size()) {
        throw std::invalid_argument(where + "." + key + " is not a number: '" + text + "'");
    }
    if (!(d >= 1) || d > 1e18) {
        throw std::invalid_argument(where + "." + key + " must be a positive number, not " + text);
    }
    return uint64_t(d);
}

} // namespace

disk_model default_disk_model() {
    disk_model m;
    m.read_iops = 100000;
    m.write_iops = 100000;
    m.read_bandwidth = 1000000000;
    m.write_bandwidth = 1000000000;
    m.latency_goal = io_latency_goal();
    return m;
}

void configure_io_latency_goal(std::chrono::microseconds goal) {
    if (goal.count() <= 0) {
        throw std::invalid_argument("the I/O latency goal must be positive, not " + std::to_string(goal.count()) +
                                    " us");
    }
    latency_goal_us.store(goal.count(), std::memory_order_relaxed);
}

std::chrono::microseconds io_latency_goal() noexcept {
    return std::chrono::microseconds(latency_goal_us.load(std::memory_order_relaxed));
}

io_properties parse_io_properties(std::string_view yaml) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        throw std::invalid_argument(std::string("io_properties: not valid YAML: ") + e.what());
    }
    if (!root.IsMap() || !root["disks"]) {
        throw std::invalid_argument("io_properties: expected a map with a 'disks' list");
    }
    auto disks = root["disks"];
    if (!disks.IsSequence() || disks.size() == 0) {
        throw std::invalid_argument("io_properties: 'disks' must be a non-empty list");
    }
    io_properties props;
    for (size_t i = 0; i < disks.size(); ++i) {
        auto d = disks[i];
        auto where = "io_properties: disks[" + std::to_string(i) + "]";
        if (!d.IsMap()) {
            throw std::invalid_argument(where + " is not a map");
        }
        for (auto it = d.begin(); it != d.end(); ++it) {
            auto key = it->first.as<std::string>();
            static const char* const known[] = {
                "mountpoint",      "read_iops",       "read_bandwidth",         "write_iops",
                "write_bandwidth", "latency_goal_us", "read_saturation_length", "write_saturation_length"};
            bool ok = false;
            for (auto k : known) {
                ok = ok || key == k;
            }
            if (!ok) {
                throw std::invalid_argument(where + " has an unknown key '" + key + "'");
            }
        }
        disk_model m;
        if (!d["mountpoint"] || !d["mountpoint"].IsScalar() || d["mountpoint"].Scalar().empty()) {
            throw std::invalid_argument(where + " has no 'mountpoint'");
        }
        m.mountpoint = d["mountpoint"].Scalar();
        m.read_iops = positive_number(d, "read_iops", i);
        m.read_bandwidth = positive_number(d, "read_bandwidth", i);
        m.write_iops = positive_number(d, "write_iops", i);
        m.write_bandwidth = positive_number(d, "write_bandwidth", i);
        if (d["latency_goal_us"]) {
            m.latency_goal = std::chrono::microseconds(positive_number(d, "latency_goal_us", i));
        }
        props.disks.push_back(std::move(m));
    }
    return props;
}

io_properties load_io_properties_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw std::invalid_argument("io_properties: cannot read " + path);
    }
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return parse_io_properties(ss.str());
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(path + ": " + e.what());
    }
}

void configure_io_properties(io_properties props) {
    std::lock_guard lock(config_mutex);
    configured = std::move(props);
}

void configure_io_properties_from_string(std::string_view yaml) {
    configure_io_properties(parse_io_properties(yaml));
}

void configure_io_properties_from_file(const std::string& path) {
    configure_io_properties(load_io_properties_file(path));
}

namespace internal {

disk_model io_properties_for_device(dev_t dev, bool& found) {
    std::lock_guard lock(config_mutex);
    for (auto& m : configured.disks) {
        struct ::stat st{};
        if (::stat(m.mountpoint.c_str(), &st) == 0 && st.st_dev == dev) {
            found = true;
            auto r = m;
            if (r.latency_goal.count() == 0) {
                r.latency_goal = io_latency_goal();
            }
            return r;
        }
    }
    found = false;
    return default_disk_model();
}

} // namespace internal

} // namespace seastar
