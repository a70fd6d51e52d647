// text_handler: runs parsed text-protocol requests against the cache and
// writes memcached's replies.
//
// Contract: called on any shard with that shard's `cache`; requests of one
// connection are handled one at a time, in order. The reply is appended to
// `out` (nothing for noreply). Returns false when the connection must close
// (quit, or a line too long). Fails only with std::bad_alloc.
#pragma once

#include <cstdint>
#include <string>

#include "seastar/core/future.hh"
#include "tools/memcached/cache.hh"
#include "tools/memcached/text_protocol.hh"

namespace seastar::memcache {

inline constexpr std::string_view server_version = "1.6.21";

// What `stats` and `stats settings` report about the server's configuration.
struct server_settings {
    uint16_t tcp_port = 11211;
    uint16_t udp_port = 0;
    std::string address = "127.0.0.1";
    unsigned conn_limit = 1024;
    store_config store;
    int64_t started = 0; // unix time
    const clock_source* clock = nullptr;
};

future<bool> handle_text_request(cache& c, const server_settings& settings, text_request& r, std::string& out);

// Serves `r` at once, without a future, when it needs no other shard: a get
// family request whose keys this shard owns, or a store (with a reply) of a
// key it owns. Returns false, having done nothing, for anything else; the
// caller then uses handle_text_request(). Same replies either way.
bool try_handle_text_request_locally(cache& c, text_request& r, std::string& out);

// memcached's `stats` lines (each "STAT name value\r\n"), without "END".
std::string format_general_stats(const cache_stats& st, const server_settings& settings);

} // namespace seastar::memcache
