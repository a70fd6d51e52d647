#include "seastar/net/dhcp.hh"

#include <cstring>
#include <deque>
#include <random>

#include "seastar/core/condition-variable.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/net/byteorder.hh"

namespace seastar::net {

namespace {

constexpr uint32_t magic_cookie = 0x63825363;
constexpr std::size_t bootp_size = 236; // up to the cookie
constexpr std::size_t min_message = 300;

enum option : uint8_t {
    opt_pad = 0,
    opt_subnet_mask = 1,
    opt_router = 3,
    opt_dns = 6,
    opt_mtu = 26,
    opt_requested_ip = 50,
    opt_lease_time = 51,
    opt_msg_type = 53,
    opt_server_id = 54,
    opt_param_list = 55,
    opt_renew_time = 58,
    opt_rebind_time = 59,
    opt_end = 255,
};

// Received messages, and a wake-up for whoever waits for one.
struct inbox {
    std::deque<packet> msgs;
    condition_variable cv;
    bool closed = false;
};

future<> pump(udp_channel& ch, inbox& in) {
    try {
        for (;;) {
            auto d = co_await ch.receive();
            in.msgs.push_back(std::move(d.get_data()));
            in.cv.signal();
        }
    } catch (...) {
        // The channel was closed: the call is over.
    }
    in.closed = true;
    in.cv.signal();
}

} // namespace

dhcp::dhcp(net::udp& u, ethernet_address mac, config cfg) : _udp(u), _mac(mac), _cfg(cfg), _xid(cfg.xid) {
    if (_xid == 0) {
        _xid = std::random_device()();
    }
}

packet dhcp::build(msg_type t, uint32_t xid, ipv4_address requested, ipv4_address server, ipv4_address ciaddr) const {
    std::string m(min_message, '\0');
    char* b = m.data();
    b[0] = 1; // BOOTREQUEST
    b[1] = 1; // Ethernet
    b[2] = 6;
    write_be<uint32_t>(b + 4, xid);
    write_be<uint16_t>(b + 10, 0x8000); // broadcast replies
    write_be<uint32_t>(b + 12, ciaddr.ip);
    std::memcpy(b + 28, _mac.mac.data(), 6);
    write_be<uint32_t>(b + bootp_size, magic_cookie);
    std::size_t o = bootp_size + 4;
    b[o++] = char(opt_msg_type);
    b[o++] = 1;
    b[o++] = char(t);
    if (!requested.is_unspecified()) {
        b[o++] = char(opt_requested_ip);
        b[o++] = 4;
        write_be<uint32_t>(b + o, requested.ip);
        o += 4;
    }
    if (!server.is_unspecified()) {
        b[o++] = char(opt_server_id);
        b[o++] = 4;
        write_be<uint32_t>(b + o, server.ip);
        o += 4;
    }
    const uint8_t params[] = {opt_subnet_mask, opt_router,     opt_dns,        opt_mtu,
                              opt_lease_time,  opt_renew_time, opt_rebind_time};
    b[o++] = char(opt_param_list);
    b[o++] = char(sizeof(params));
    std::memcpy(b + o, params, sizeof(params));
    o += sizeof(params);
    b[o++] = char(opt_end);
    return packet(m.data(), m.size());
}

std::optional<dhcp::reply> dhcp::parse(const packet& p, ethernet_address* chaddr) {
    std::string m;
    m.reserve(p.len());
    for (auto& f : p.fragments()) {
        m.append(f.base, f.size);
    }
    if (m.size() < bootp_size + 4) {
        return std::nullopt;
    }
    const char* b = m.data();
    if (b[0] != 2 || b[1] != 1 || b[2] != 6 || read_be<uint32_t>(b + bootp_size) != magic_cookie) {
        return std::nullopt;
    }
    reply r;
    r.xid = read_be<uint32_t>(b + 4);
    r.l.ip = ipv4_address(read_be<uint32_t>(b + 16));
    if (chaddr) {
        std::memcpy(chaddr->mac.data(), b + 28, 6);
    }
    std::optional<uint8_t> type;
    std::optional<uint32_t> renew, rebind;
    std::size_t o = bootp_size + 4;
    bool ended = false;
    while (o < m.size()) {
        uint8_t code = uint8_t(b[o++]);
        if (code == opt_pad) {
            continue;
        }
        if (code == opt_end) {
            ended = true;
            break;
        }
        if (o >= m.size()) {
            return std::nullopt;
        }
        std::size_t len = uint8_t(b[o++]);
        if (o + len > m.size()) {
            return std::nullopt;
        }
        const char* v = b + o;
        auto need = [&](std::size_t n) {
            if (len < n) {
                throw std::invalid_argument("short option");
            }
        };
        try {
            switch (code) {
            case opt_msg_type:
                need(1);
                type = uint8_t(v[0]);
                break;
            case opt_subnet_mask:
                need(4);
                r.l.netmask = ipv4_address(read_be<uint32_t>(v));
                break;
            case opt_router:
                need(4);
                r.l.gateway = ipv4_address(read_be<uint32_t>(v));
                break;
            case opt_dns:
                for (std::size_t i = 0; i + 4 <= len; i += 4) {
                    r.l.name_servers.emplace_back(read_be<uint32_t>(v + i));
                }
                break;
            case opt_mtu:
                need(2);
                r.l.mtu = read_be<uint16_t>(v);
                break;
            case opt_lease_time:
                need(4);
                r.l.lease_time = std::chrono::seconds(read_be<uint32_t>(v));
                break;
            case opt_renew_time:
                need(4);
                renew = read_be<uint32_t>(v);
                break;
            case opt_rebind_time:
                need(4);
                rebind = read_be<uint32_t>(v);
                break;
            case opt_server_id:
                need(4);
                r.l.dhcp_server = ipv4_address(read_be<uint32_t>(v));
                break;
            default:
                break;
            }
        } catch (const std::invalid_argument&) {
            return std::nullopt;
        }
        o += len;
    }
    if (!ended || !type || *type < uint8_t(msg_type::discover) || *type > uint8_t(msg_type::release)) {
        return std::nullopt;
    }
    r.type = msg_type(*type);
    // RFC 2131 4.4.5: T1 and T2 default to 0.5 and 0.875 of the lease.
    r.l.renew_time = renew ? std::chrono::seconds(*renew) : r.l.lease_time / 2;
    r.l.rebind_time = rebind ? std::chrono::seconds(*rebind) : r.l.lease_time * 7 / 8;
    return r;
}

future<std::optional<dhcp::lease>> dhcp::discover() {
    udp_channel ch(_udp.make_channel(socket_address(ipv4_addr(client_port))));
    inbox in;
    auto pumping = pump(ch, in);
    uint32_t xid = _xid++;
    std::optional<lease> result;
    std::exception_ptr ex;
    auto wait_for = [&](msg_type want, packet msg) -> future<std::optional<reply>> {
        for (unsigned attempt = 0; attempt < _cfg.max_attempts; ++attempt) {
            co_await ch.send(socket_address(ipv4_addr(0xffffffff, server_port)), msg.share());
            _stats.sent++;
            auto deadline = std::chrono::steady_clock::now() + _cfg.retry_interval;
            for (;;) {
                try {
                    co_await in.cv.wait(deadline, [&] { return !in.msgs.empty() || in.closed; });
                } catch (const condition_variable_timed_out&) {
                    break; // send again
                }
                if (in.msgs.empty()) {
                    co_return std::nullopt; // closed
                }
                auto p = std::move(in.msgs.front());
                in.msgs.pop_front();
                _stats.received++;
                ethernet_address chaddr;
                auto r = parse(p, &chaddr);
                if (!r) {
                    _stats.dropped_malformed++;
                    continue;
                }
                if (r->xid != xid || chaddr != _mac) {
                    _stats.dropped_not_ours++;
                    continue;
                }
                if (r->type == msg_type::offer) {
                    _stats.offers++;
                } else if (r->type == msg_type::ack) {
                    _stats.acks++;
                } else if (r->type == msg_type::nak) {
                    _stats.naks++;
                }
                if (r->type == want || (want == msg_type::ack && r->type == msg_type::nak)) {
                    co_return r;
                }
            }
        }
        co_return std::nullopt;
    };
    try {
        auto offer = co_await wait_for(msg_type::offer, build(msg_type::discover, xid, {}, {}, {}));
        if (offer && !offer->l.ip.is_unspecified()) {
            auto ack =
                co_await wait_for(msg_type::ack, build(msg_type::request, xid, offer->l.ip, offer->l.dhcp_server, {}));
            if (ack && ack->type == msg_type::ack && !ack->l.ip.is_unspecified()) {
                result = ack->l;
            }
        }
    } catch (...) {
        ex = std::current_exception();
    }
    ch.close();
    co_await std::move(pumping);
    if (ex) {
        std::rethrow_exception(ex);
    }
    co_return result;
}

future<std::optional<dhcp::lease>> dhcp::renew(const lease& l) {
    // Same exchange as the request step of discover(), from our address.
    udp_channel ch(_udp.make_channel(socket_address(ipv4_addr(client_port))));
    inbox in;
    auto pumping = pump(ch, in);
    uint32_t xid = _xid++;
    std::optional<lease> result;
    std::exception_ptr ex;
    try {
        auto msg = build(msg_type::request, xid, {}, {}, l.ip);
        for (unsigned attempt = 0; attempt < _cfg.max_attempts && !result; ++attempt) {
            co_await ch.send(socket_address(ipv4_addr(l.dhcp_server.ip, server_port)), msg.share());
            _stats.sent++;
            auto deadline = std::chrono::steady_clock::now() + _cfg.retry_interval;
            bool answered = false;
            while (!answered) {
                try {
                    co_await in.cv.wait(deadline, [&] { return !in.msgs.empty() || in.closed; });
                } catch (const condition_variable_timed_out&) {
                    break;
                }
                if (in.msgs.empty()) {
                    break;
                }
                auto p = std::move(in.msgs.front());
                in.msgs.pop_front();
                _stats.received++;
                ethernet_address chaddr;
                auto r = parse(p, &chaddr);
                if (!r) {
                    _stats.dropped_malformed++;
                    continue;
                }
                if (r->xid != xid || chaddr != _mac) {
                    _stats.dropped_not_ours++;
                    continue;
                }
                if (r->type == msg_type::ack) {
                    _stats.acks++;
                    result = r->l;
                    answered = true;
                } else if (r->type == msg_type::nak) {
                    _stats.naks++;
                    answered = true;
                    attempt = _cfg.max_attempts;
                }
            }
        }
    } catch (...) {
        ex = std::current_exception();
    }
    ch.close();
    co_await std::move(pumping);
    if (ex) {
        std::rethrow_exception(ex);
    }
    co_return result;
}

} // namespace seastar::net
