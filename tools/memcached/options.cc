#include "tools/memcached/options.hh"

#include <charconv>
#include <stdexcept>

namespace seastar::memcache {

namespace bpo = boost::program_options;

void add_options(bpo::options_description_easy_init add) {
    add("port", bpo::value<uint16_t>()->default_value(11211), "TCP port to listen on (-p); 0 picks a free port");
    add("udp-port", bpo::value<int32_t>()->default_value(0),
        "UDP port to listen on (-U); 0 disables UDP, -1 picks a free port");
    add("listen", bpo::value<std::string>()->default_value("127.0.0.1"), "address to listen on (-l)");
    add("memory-limit", bpo::value<uint64_t>()->default_value(64), "item memory in MiB, for all shards together (-m)");
    add("conn-limit", bpo::value<uint32_t>()->default_value(1024), "max simultaneous connections (-c)");
    add("max-item-size", bpo::value<std::string>()->default_value("1m"),
        "largest item: bytes, or with a k/m suffix (-I)");
}

namespace {

struct rewrite {
    std::string_view short_form;
    std::string_view long_form;
};

constexpr rewrite rewrites[] = {
    {"-p", "--port"},       {"-U", "--udp-port"},      {"-l", "--listen"}, {"-m", "--memory-limit"},
    {"-c", "--conn-limit"}, {"-I", "--max-item-size"}, {"-t", "--smp"},    {"--threads", "--smp"},
};

} // namespace

std::vector<std::string> rewrite_short_options(int ac, char** av) {
    std::vector<std::string> out;
    bool done = false;
    for (int i = 0; i < ac; ++i) {
        std::string a = av[i];
        if (i == 0 || done) {
            out.push_back(a);
            continue;
        }
        if (a == "--") {
            done = true;
            out.push_back(a);
            continue;
        }
        bool replaced = false;
        for (auto& r : rewrites) {
            if (a == r.short_form) {
                out.emplace_back(r.long_form);
                replaced = true;
                break;
            }
            if (a.size() > r.short_form.size() && a.compare(0, r.short_form.size(), r.short_form) == 0) {
                auto rest = std::string_view(a).substr(r.short_form.size());
                bool is_short = r.short_form.size() == 2;
                if (rest.front() == '=' || is_short) {
                    if (rest.front() == '=') {
                        rest.remove_prefix(1);
                    }
                    out.push_back(std::string(r.long_form) + "=" + std::string(rest));
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced) {
            out.push_back(a);
        }
    }
    return out;
}

size_t parse_size(const std::string& s) {
    if (s.empty()) {
        throw std::invalid_argument("empty size");
    }
    size_t mult = 1;
    std::string_view digits = s;
    switch (s.back()) {
    case 'k':
    case 'K':
        mult = size_t(1) << 10;
        break;
    case 'm':
    case 'M':
        mult = size_t(1) << 20;
        break;
    case 'g':
    case 'G':
        mult = size_t(1) << 30;
        break;
    default:
        break;
    }
    if (mult != 1) {
        digits.remove_suffix(1);
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) {
        throw std::invalid_argument("not a size: " + s);
    }
    if (v > (uint64_t(1) << 40) / mult) {
        throw std::invalid_argument("size too large: " + s);
    }
    return size_t(v * mult);
}

server_options read_options(const bpo::variables_map& vm, unsigned shards) {
    server_options o;
    auto& s = o.settings;
    s.address = vm["listen"].as<std::string>();
    s.tcp_port = vm["port"].as<uint16_t>();
    int32_t udp = vm["udp-port"].as<int32_t>();
    if (udp < -1 || udp > 65535) {
        throw std::invalid_argument("--udp-port: not a port: " + std::to_string(udp));
    }
    o.udp = udp != 0;
    s.udp_port = udp > 0 ? uint16_t(udp) : 0;
    uint64_t mib = vm["memory-limit"].as<uint64_t>();
    if (mib == 0 || mib > (uint64_t(1) << 20)) {
        throw std::invalid_argument("--memory-limit: want 1..1048576 MiB, got " + std::to_string(mib));
    }
    s.store.max_bytes = size_t(mib << 20) / std::max(1u, shards);
    s.conn_limit = vm["conn-limit"].as<uint32_t>();
    if (s.conn_limit == 0) {
        throw std::invalid_argument("--conn-limit: must be at least 1");
    }
    try {
        s.store.max_item_size = parse_size(vm["max-item-size"].as<std::string>());
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("--max-item-size: ") + e.what());
    }
    // memcached's bounds: at least 1 KiB, at most 1 GiB and half the memory limit.
    if (s.store.max_item_size < 1024 || s.store.max_item_size > (size_t(1) << 30)) {
        throw std::invalid_argument("--max-item-size: want 1k..1g");
    }
    if (s.store.max_item_size > s.store.max_bytes) {
        throw std::invalid_argument("--max-item-size: larger than one shard's share of --memory-limit");
    }
    return o;
}

} // namespace seastar::memcache
