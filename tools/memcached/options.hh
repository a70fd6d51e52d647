// options: the memcached server's command line, in one place.
//
// The options memcached operators know: -p/--port, -U/--udp-port,
// -l/--listen, -m/--memory-limit (MiB), -c/--conn-limit, -I/--max-item-size
// (bytes, or with a k/m suffix), -t/--threads (mapped to the framework's
// --smp). app_template parses one command line (Boost.Program_options) and
// owns "-m" (its --memory) and "-c" (its --smp), so rewrite_short_options()
// turns memcached's short forms into the long options below before
// app_template sees the command line.
//
// Contract: add_options(app.add_options()) and rewrite_short_options() before
// app_template::run(); read_options(app.configuration(), ...) inside it.
// read_options() throws std::invalid_argument with the option's name for a
// value it cannot use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "tools/memcached/text_handler.hh"

namespace seastar::memcache {

struct server_options {
    server_settings settings; // store limits are per shard (already divided)
    bool udp = false;
};

// Declares the server's options (--port, --udp-port, --listen, --memory-limit,
// --conn-limit, --max-item-size) with memcached's defaults.
void add_options(boost::program_options::options_description_easy_init add);
// argv with -p/-U/-l/-m/-c/-I/-t (and "-p11211", "-p=11211") rewritten to long options.
std::vector<std::string> rewrite_short_options(int ac, char** av);
// Reads the parsed options; `shards` divides the memory limit.
server_options read_options(const boost::program_options::variables_map& vm, unsigned shards);
// "64", "512k", "2m", "1g" -> bytes.
size_t parse_size(const std::string& s);

} // namespace seastar::memcache
