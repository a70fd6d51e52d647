#include "tools/memcached/server.hh"

#include <algorithm>
#include <list>

#include "seastar/core/coroutine.hh"
#include "seastar/core/gate.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/smp.hh"
#include "seastar/net/api.hh"
#include "tools/memcached/binary_protocol.hh"
#include "tools/memcached/text_protocol.hh"

namespace seastar::memcache {

namespace {

// Replies are written once this much is pending, and at the end of every read.
constexpr size_t reply_flush_threshold = 64 * 1024;

text_parser_config parser_config(const server_settings& s) {
    text_parser_config c;
    c.max_item_size = s.store.max_item_size;
    return c;
}

} // namespace

class tcp_listener {
    server_settings _settings;
    cache _cache;
    server_socket _ss;
    gate _conns;
    std::list<connected_socket*> _open;
    future<> _loop = make_ready_future<>();
    unsigned _limit;
    uint16_t _listen_port; // every shard listens on what it was given (the stack's rendezvous)

public:
    tcp_listener(server_settings settings, sharded<cache_shard>* shards)
        : _settings(std::move(settings)), _cache(*shards),
          _limit(std::max(1u, (_settings.conn_limit + smp::count - 1) / smp::count)), _listen_port(_settings.tcp_port) {
    }

    void listen() {
        listen_options lo;
        lo.reuse_address = true;
        lo.listen_backlog = 1024;
        _ss = seastar::listen(socket_address(net::inet_address(_settings.address), _listen_port), lo);
    }
    uint16_t port() const { return _ss.local_address().port(); }
    void set_ports(uint16_t tcp, uint16_t udp) {
        _settings.tcp_port = tcp;
        _settings.udp_port = udp;
    }
    void start() { _loop = accept_loop(); }

    future<> stop() {
        if (_ss) {
            _ss.abort_accept();
        }
        co_await std::move(_loop);
        for (auto* c : _open) {
            c->shutdown_input();
        }
        co_await _conns.close();
    }

private:
    future<> accept_loop() {
        for (;;) {
            accept_result ar;
            try {
                ar = co_await _ss.accept();
            } catch (...) {
                co_return;
            }
            (void)with_gate(_conns, [this, c = std::move(ar.connection)]() mutable { return serve(std::move(c)); });
        }
    }

    future<> serve(connected_socket s) {
        auto& counters = _cache.local().counters;
        auto in = s.input();
        auto out = s.output();
        if (counters.curr_connections >= _limit) {
            ++counters.rejected_connections;
            try {
                co_await out.write("ERROR Too many open connections\r\n");
                co_await out.flush();
            } catch (...) {
            }
        } else {
            ++counters.curr_connections;
            ++counters.total_connections;
            s.set_nodelay(true);
            auto pos = _open.insert(_open.end(), &s);
            try {
                co_await serve_requests(in, out);
            } catch (...) {
                // A peer that resets or vanishes mid-request ends only its own connection.
            }
            _open.erase(pos);
            --counters.curr_connections;
        }
        try {
            co_await out.close();
        } catch (...) {
        }
        co_await in.close();
    }

    future<> serve_requests(input_stream<char>& in, output_stream<char>& out) {
        auto buf = co_await in.read();
        if (buf.empty()) {
            co_return;
        }
        if (uint8_t(buf[0]) == binary::request_magic) {
            co_await serve_binary(in, out, std::move(buf));
        } else {
            co_await serve_text(in, out, std::move(buf));
        }
    }

    future<> write_reply(output_stream<char>& out, std::string& reply) {
        _cache.local().counters.bytes_written += reply.size();
        co_await out.write(reply);
        reply.clear();
    }

    future<> serve_text(input_stream<char>& in, output_stream<char>& out, temporary_buffer<char> buf) {
        text_parser parser(parser_config(_settings));
        std::string reply;
        for (;;) {
            _cache.local().counters.bytes_read += buf.size();
            parser.feed(std::string_view(buf.get(), buf.size()));
            buf = {};
            bool keep = true;
            while (keep) {
                auto r = parser.next();
                if (!r) {
                    break;
                }
                if (!try_handle_text_request_locally(_cache, *r, reply)) {
                    keep = co_await handle_text_request(_cache, _settings, *r, reply);
                }
                if (reply.size() >= reply_flush_threshold) {
                    co_await write_reply(out, reply);
                }
            }
            if (!reply.empty()) {
                co_await write_reply(out, reply);
            }
            co_await out.flush();
            if (!keep) {
                co_return;
            }
            buf = co_await in.read();
            if (buf.empty()) {
                co_return;
            }
        }
    }

    future<> serve_binary(input_stream<char>& in, output_stream<char>& out, temporary_buffer<char> buf) {
        binary::parser parser(_settings.store.max_item_size);
        std::string reply;
        for (;;) {
            _cache.local().counters.bytes_read += buf.size();
            parser.feed(std::string_view(buf.get(), buf.size()));
            buf = {};
            bool keep = true;
            while (keep) {
                auto r = parser.next();
                if (!r) {
                    break;
                }
                keep = co_await binary::handle_request(_cache, _settings, *r, reply);
                if (reply.size() >= reply_flush_threshold) {
                    co_await write_reply(out, reply);
                }
            }
            if (!reply.empty()) {
                co_await write_reply(out, reply);
            }
            co_await out.flush();
            if (!keep) {
                co_return;
            }
            buf = co_await in.read();
            if (buf.empty()) {
                co_return;
            }
        }
    }
};

std::vector<std::string> frame_udp_reply(uint16_t request_id, std::string_view reply) {
    constexpr size_t chunk = udp_max_payload - udp_header_size;
    size_t count = std::max<size_t>(1, (reply.size() + chunk - 1) / chunk);
    std::vector<std::string> out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        auto part = reply.substr(std::min(reply.size(), i * chunk), chunk);
        std::string d;
        d.reserve(udp_header_size + part.size());
        auto put16 = [&d](size_t v) {
            d.push_back(char((v >> 8) & 0xff));
            d.push_back(char(v & 0xff));
        };
        put16(request_id);
        put16(i);
        put16(count);
        put16(0);
        d.append(part);
        out.push_back(std::move(d));
    }
    return out;
}

class udp_listener {
    const server_settings& _settings;
    cache _cache;
    net::udp_channel _chan;
    future<> _loop = make_ready_future<>();

public:
    udp_listener(const server_settings& settings, sharded<cache_shard>& shards)
        : _settings(settings), _cache(shards),
          _chan(make_udp_channel(socket_address(net::inet_address(settings.address), settings.udp_port))) {}

    uint16_t port() const { return _chan.local_address().port(); }
    void start() { _loop = loop(); }
    future<> stop() {
        _chan.shutdown_input();
        _chan.close();
        co_await std::move(_loop);
    }

private:
    future<> loop() {
        for (;;) {
            std::optional<net::udp_datagram> d;
            try {
                d.emplace(co_await _chan.receive());
            } catch (...) {
                co_return; // closed
            }
            try {
                co_await serve_datagram(*d);
            } catch (...) {
                // One bad datagram (or a failed send) does not stop the others.
            }
        }
    }

    future<> serve_datagram(net::udp_datagram& d) {
        auto& p = d.get_data();
        p.linearize();
        if (p.len() < udp_header_size || p.fragments().empty()) {
            co_return; // no frame header: memcached drops it
        }
        auto f = p.frag(0);
        auto* b = reinterpret_cast<const uint8_t*>(f.base);
        uint16_t request_id = uint16_t(b[0] << 8 | b[1]);
        uint16_t count = uint16_t(b[4] << 8 | b[5]);
        if (count != 1) {
            co_return; // memcached takes single-datagram requests only
        }
        _cache.local().counters.bytes_read += p.len();
        std::string_view payload(f.base + udp_header_size, f.size - udp_header_size);
        std::string reply;
        if (!payload.empty() && uint8_t(payload[0]) == binary::request_magic) {
            binary::parser parser(_settings.store.max_item_size);
            parser.feed(payload);
            while (auto r = parser.next()) {
                if (!co_await binary::handle_request(_cache, _settings, *r, reply)) {
                    break;
                }
            }
        } else {
            text_parser parser(parser_config(_settings));
            parser.feed(payload);
            while (auto r = parser.next()) {
                if (!co_await handle_text_request(_cache, _settings, *r, reply)) {
                    break;
                }
            }
        }
        if (reply.empty()) {
            co_return;
        }
        _cache.local().counters.bytes_written += reply.size();
        auto src = d.get_src();
        for (auto& dg : frame_udp_reply(request_id, reply)) {
            co_await _chan.send(src, net::packet(dg.data(), dg.size()));
        }
    }
};

server::server(server_settings settings, bool udp) : _settings(std::move(settings)), _want_udp(udp) {
    if (!_settings.clock) {
        _own_clock = std::make_unique<system_clock_source>();
        _settings.clock = _own_clock.get();
    }
    _settings.started = _settings.clock->now();
}

server::~server() = default;

future<> server::start() {
    co_await _cache.start(_settings.store, _settings.clock);
    _started = true;
    _tcp = std::make_unique<sharded<tcp_listener>>();
    co_await _tcp->start(_settings, &_cache);
    // Shard 0 binds first so that port 0 becomes a real port the others share.
    co_await _tcp->invoke_on(0, [](tcp_listener& l) { l.listen(); });
    _settings.tcp_port = co_await _tcp->invoke_on(0, [](tcp_listener& l) { return l.port(); });
    co_await _tcp->invoke_on_all([](tcp_listener& l) {
        if (this_shard_id() != 0) {
            l.listen();
        }
    });
    if (_want_udp) {
        _udp = std::make_unique<udp_listener>(_settings, _cache);
        _settings.udp_port = _udp->port();
    }
    co_await _tcp->invoke_on_all([tcp = _settings.tcp_port, udp = _settings.udp_port](tcp_listener& l) {
        l.set_ports(tcp, udp);
        l.start();
    });
    if (_udp) {
        _udp->start();
    }
}

future<> server::stop() {
    if (_udp) {
        co_await _udp->stop();
        _udp.reset();
    }
    if (_tcp) {
        co_await _tcp->stop();
        _tcp.reset();
    }
    if (_started) {
        co_await _cache.stop();
        _started = false;
    }
}

} // namespace seastar::memcache
