// server: the memcached server on every shard. Each shard listens on the TCP
// address (the POSIX stack hands each connection to one shard) and serves the
// text or binary protocol, chosen by the connection's first byte as memcached
// does (0x80: binary). With a UDP port, shard 0 serves both protocols over
// UDP with memcached's 8-byte frame header (one request datagram each). Keys live on the shard their hash
// picks (see cache.hh).
//
// Contract: start() and stop() on shard 0, once each, in that order; stop()
// closes the listeners and every open connection and waits for them.
// start() fails (std::system_error) when an address cannot be bound.
//
//     seastar::memcache::server srv(settings);
//     co_await srv.start();
//     ... srv.tcp_port() ...
//     co_await srv.stop();
#pragma once

#include <cstdint>
#include <memory>

#include "seastar/core/future.hh"
#include "seastar/core/sharded.hh"
#include "tools/memcached/cache.hh"
#include "tools/memcached/text_handler.hh"

namespace seastar::memcache {

// The largest UDP datagram memcached sends (frame header included).
constexpr size_t udp_max_payload = 1400;
constexpr size_t udp_header_size = 8;

class tcp_listener;
class udp_listener;

class server {
    server_settings _settings;
    std::unique_ptr<clock_source> _own_clock;
    sharded<cache_shard> _cache;
    std::unique_ptr<sharded<tcp_listener>> _tcp;
    std::unique_ptr<udp_listener> _udp;
    bool _started = false;

public:
    // settings.clock may be null (the system clock); tcp_port/udp_port 0 picks
    // a free port (udp_port 0 with `udp` false: no UDP).
    explicit server(server_settings settings, bool udp = false);
    ~server();

    future<> start();
    future<> stop();
    uint16_t tcp_port() const noexcept { return _settings.tcp_port; }
    uint16_t udp_port() const noexcept { return _settings.udp_port; }
    sharded<cache_shard>& shards() noexcept { return _cache; }

private:
    bool _want_udp;
};

// Splits a text reply into memcached's UDP datagrams (header: request id,
// sequence number, datagram count, 0), each at most udp_max_payload bytes.
std::vector<std::string> frame_udp_reply(uint16_t request_id, std::string_view reply);

} // namespace seastar::memcache
