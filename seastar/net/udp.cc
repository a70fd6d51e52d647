#include "seastar/net/udp.hh"

#include <cstring>
#include <deque>
#include <optional>
#include <system_error>

#include "seastar/net/byteorder.hh"
#include "seastar/net/ip_checksum.hh"

namespace seastar::net {

namespace {

class native_udp_datagram final : public udp_datagram_impl {
    socket_address _src;
    socket_address _dst;
    packet _p;

public:
    native_udp_datagram(socket_address src, socket_address dst, packet p) : _src(src), _dst(dst), _p(std::move(p)) {}
    socket_address get_src() override { return _src; }
    socket_address get_dst() override { return _dst; }
    uint16_t get_dst_port() override { return _dst.port(); }
    packet& get_data() override { return _p; }
};

std::system_error udp_error(int err, const char* what) {
    return std::system_error(err, std::system_category(), what);
}

} // namespace

struct udp::channel_state {
    uint16_t port = 0;
    std::deque<udp_datagram> queue;
    std::optional<promise<udp_datagram>> waiter;
    bool input_closed = false;
    bool output_closed = false;

    void push(udp_datagram d) {
        if (waiter) {
            auto w = std::move(*waiter);
            waiter.reset();
            w.set_value(std::move(d));
        } else {
            queue.push_back(std::move(d));
        }
    }
    void close_input() {
        input_closed = true;
        if (waiter) {
            auto w = std::move(*waiter);
            waiter.reset();
            w.set_exception(udp_error(ECONNABORTED, "udp_channel::receive: channel closed"));
        }
    }
};

class native_udp_channel final : public udp_channel_impl {
    std::shared_ptr<udp*> _udp;
    udp::channel_state _s;
    bool _closed = false;

public:
    native_udp_channel(std::shared_ptr<udp*> u, uint16_t port) : _udp(std::move(u)) {
        _s.port = port;
        (*_udp)->_ports[port] = &_s;
        if (auto* r = (*_udp)->_registry) {
            r->bound(port);
        }
    }
    ~native_udp_channel() override { close(); }

    socket_address local_address() const override {
        uint32_t host = *_udp ? (*_udp)->ip().host_address().ip : 0;
        return socket_address(ipv4_addr(host, _s.port));
    }
    future<udp_datagram> receive() override {
        if (!_s.queue.empty()) {
            auto d = std::move(_s.queue.front());
            _s.queue.pop_front();
            return make_ready_future<udp_datagram>(std::move(d));
        }
        if (_s.input_closed || !*_udp) {
            return make_exception_future<udp_datagram>(udp_error(ECONNABORTED, "udp_channel::receive: channel closed"));
        }
        if (_s.waiter) {
            return make_exception_future<udp_datagram>(std::logic_error("udp_channel: receive() already pending"));
        }
        _s.waiter.emplace();
        return _s.waiter->get_future();
    }
    future<> send(const socket_address& dst, const char* msg) override {
        return send(dst, packet(msg, std::strlen(msg)));
    }
    future<> send(const socket_address& dst, packet p) override {
        if (!*_udp || _s.output_closed) {
            return make_exception_future<>(udp_error(*_udp ? EPIPE : ENOTCONN, "udp_channel::send"));
        }
        if (dst.family() != AF_INET) {
            return make_exception_future<>(udp_error(EAFNOSUPPORT, "udp_channel::send: not an IPv4 address"));
        }
        if (p.len() > 65535 - 20 - udp::header_size) {
            return make_exception_future<>(udp_error(EMSGSIZE, "udp_channel::send"));
        }
        try {
            (*_udp)->send(_s.port, ipv4_address(dst.addr().as_ipv4_host_order()), dst.port(), std::move(p));
        } catch (...) {
            return make_exception_future<>(std::current_exception());
        }
        return make_ready_future<>();
    }
    void shutdown_input() override { _s.close_input(); }
    void shutdown_output() override { _s.output_closed = true; }
    bool is_closed() const override { return _closed; }
    void close() override {
        if (_closed) {
            return;
        }
        _closed = true;
        _s.close_input();
        _s.output_closed = true;
        if (*_udp) {
            (*_udp)->_ports.erase(_s.port);
            if (auto* r = (*_udp)->_registry) {
                r->unbound(_s.port);
            }
        }
    }
};

udp::udp(ipv4& ip) : _ip(ip), _self(std::make_shared<udp*>(this)) {
    _ip.register_l4(uint8_t(ip_protocol_num::udp), *this);
}

udp::~udp() {
    _ip.unregister_l4(uint8_t(ip_protocol_num::udp));
    *_self = nullptr;
    for (auto& [port, s] : _ports) {
        s->close_input();
        s->output_closed = true;
        if (_registry) {
            _registry->unbound(port);
        }
    }
}

std::unique_ptr<udp_channel_impl> udp::make_channel(const socket_address& local) {
    if (!local.is_unspecified() && local.family() != AF_INET) {
        throw udp_error(EAFNOSUPPORT, "make_udp_channel: the native stack is IPv4 only");
    }
    uint16_t port = local.is_unspecified() ? 0 : local.port();
    if (port == 0) {
        for (unsigned i = 0; i < 65536u - first_ephemeral_port; ++i) {
            uint16_t candidate = _next_ephemeral;
            _next_ephemeral = _next_ephemeral == 65535 ? first_ephemeral_port : uint16_t(_next_ephemeral + 1);
            if (!_ports.contains(candidate) && !(_registry && _registry->bound_elsewhere(candidate))) {
                port = candidate;
                break;
            }
        }
        if (port == 0) {
            throw udp_error(EADDRINUSE, "make_udp_channel: no free ephemeral port");
        }
    } else if (_ports.contains(port)) {
        throw udp_error(EADDRINUSE, "make_udp_channel: port in use");
    }
    return std::make_unique<native_udp_channel>(_self, port);
}

void udp::send(uint16_t src_port, ipv4_address dst, uint16_t dst_port, packet p) {
    char* h = p.prepend_uninitialized_header(header_size);
    write_be<uint16_t>(h, src_port);
    write_be<uint16_t>(h + 2, dst_port);
    write_be<uint16_t>(h + 4, uint16_t(p.len()));
    write_be<uint16_t>(h + 6, 0);
    _stats.tx_packets++;
    _ip.send(ipv4_l4_send{{}, dst, uint8_t(ip_protocol_num::udp), std::move(p), {true, 6, header_size}});
}

void udp::received(packet p, const ipv4_rx_info& info) noexcept {
    _stats.rx_packets++;
    try {
        char* h = p.get_header(0, header_size);
        if (!h) {
            _stats.rx_dropped_short++;
            return;
        }
        uint16_t src_port = read_be<uint16_t>(h);
        uint16_t dst_port = read_be<uint16_t>(h + 2);
        uint16_t len = read_be<uint16_t>(h + 4);
        uint16_t csum = read_be<uint16_t>(h + 6);
        if (len < header_size || len > p.len()) {
            _stats.rx_dropped_bad_length++;
            return;
        }
        p.trim_back(p.len() - len);
        if (csum != 0 && !info.l4_csum_verified) {
            checksummer c;
            ipv4::pseudo_header_checksum(c, info.src, info.dst, uint8_t(ip_protocol_num::udp), len);
            c.sum(p);
            if (c.get() != 0) {
                _stats.rx_dropped_bad_csum++;
                return;
            }
        }
        auto it = _ports.find(dst_port);
        if (it == _ports.end() || it->second->input_closed) {
            _stats.rx_dropped_no_port++;
            return;
        }
        auto& s = *it->second;
        if (!s.waiter && s.queue.size() >= max_queued) {
            _stats.rx_dropped_queue_full++;
            return;
        }
        p.trim_front(header_size);
        _stats.rx_delivered++;
        s.push(udp_datagram(std::make_unique<native_udp_datagram>(socket_address(ipv4_addr(info.src.ip, src_port)),
                                                                  socket_address(ipv4_addr(info.dst.ip, dst_port)),
                                                                  std::move(p))));
    } catch (const std::bad_alloc&) {
        _stats.rx_dropped_queue_full++;
    }
}

} // namespace seastar::net
