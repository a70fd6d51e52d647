// options: the memcached server's command line, in one place.
//
// The options memcached operators know: -p/--port, -U/--udp-port,
// -l/--listen, -m/--memory-limit (MiB), -c/--conn-limit, -I/--max-item-size
// (bytes, or with a k/m suffix), -t/--threads (mapped to the framework's
// --smp). Today app_template parses Abseil flags and owns "-m" (its
// --memory), so rewrite_short_options() turns memcached's short forms into
// the long flags below before app_template sees the command line.
//
// Contract: rewrite_short_options() before app_template::run();
// read_options() inside it (after parsing). read_options() throws
// std::invalid_argument with the option's name for a value it cannot use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/memcached/text_handler.hh"

namespace seastar::memcache {

struct server_options {
    server_settings settings; // store limits are per shard (already divided)
    bool udp = false;
};

// argv with -p/-U/-l/-m/-c/-I/-t (and "-p11211", "-p=11211") rewritten to long flags.
std::vector<std::string> rewrite_short_options(int ac, char** av);
// Reads the parsed flags; `shards` divides the memory limit.
server_options read_options(unsigned shards);
// "64", "512k", "2m", "1g" -> bytes.
size_t parse_size(const std::string& s);

} // namespace seastar::memcache
