#include "seastar/net/native-stack.hh"

#include <atomic>
#include <bit>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "seastar/core/smp.hh"
#include "seastar/core/task.hh"
#include "seastar/core/timer.hh"
#include "seastar/net/byteorder.hh"
#include "seastar/net/tap-device.hh"

namespace seastar::net {

namespace {

constexpr native_stack_option_desc option_table[] = {
    {"tap-device", "the TAP interface the native stack attaches to", "tap0"},
    {"host-ipv4-addr", "the native stack's IPv4 address", "192.168.122.2"},
    {"gw-ipv4-addr", "the native stack's default gateway", "192.168.122.1"},
    {"netmask-ipv4-addr", "the native stack's netmask", "255.255.255.0"},
    {"dhcp", "get the native stack's address, netmask and gateway by DHCP", "false"},
};

ipv4_address parse_addr(std::string_view option, const std::string& text) {
    try {
        return ipv4_address(text);
    } catch (const std::invalid_argument&) {
        throw std::invalid_argument("--" + std::string(option) + ": not an IPv4 address: '" + text + "'");
    }
}

ipv4_address parse_netmask(const std::string& text) {
    auto m = parse_addr("netmask-ipv4-addr", text);
    // Contiguous ones, then zeros.
    uint32_t inv = ~m.ip;
    if ((inv & (inv + 1)) != 0) {
        throw std::invalid_argument("--netmask-ipv4-addr: not a netmask: '" + text + "'");
    }
    return m;
}

} // namespace

std::span<const native_stack_option_desc> native_stack_option_descriptions() noexcept {
    return option_table;
}

void native_stack_options::set(std::string_view name, std::string_view value) {
    if (name.starts_with("--")) {
        name.remove_prefix(2);
    }
    std::string v(value);
    if (name == "tap-device") {
        if (v.empty() || v.size() >= 16) {
            throw std::invalid_argument("--tap-device: an interface name of 1 to 15 characters, got '" + v + "'");
        }
        tap_device = v;
    } else if (name == "host-ipv4-addr") {
        parse_addr(name, v);
        host_ipv4_addr = v;
    } else if (name == "gw-ipv4-addr") {
        parse_addr(name, v);
        gw_ipv4_addr = v;
    } else if (name == "netmask-ipv4-addr") {
        parse_netmask(v);
        netmask_ipv4_addr = v;
    } else if (name == "dhcp") {
        if (v == "true" || v == "1" || v == "yes") {
            dhcp = true;
        } else if (v == "false" || v == "0" || v == "no") {
            dhcp = false;
        } else {
            throw std::invalid_argument("--dhcp: expected true or false, got '" + v + "'");
        }
    } else {
        throw std::invalid_argument("unknown native stack option --" + std::string(name));
    }
}

struct native_network_stack::expire_timer {
    timer<> t;
};

// What the stacks of one device on several shards share: each shard's stack,
// so others can reach it over the smp queues. Entry s is written on shard s
// only; other shards read it to learn whether shard s has a stack (the
// pointer itself is used on shard s only).
struct native_network_stack::shard_group {
    // Shards whose UDP has a channel on a port: a bit per shard (up to 64
    // shards; more go without, and a datagram goes where its hash says).
    static constexpr unsigned max_port_shards = 64;

    explicit shard_group(unsigned n) : stacks(n) {
        if (n <= max_port_shards) {
            udp_ports = std::make_unique<std::atomic<uint64_t>[]>(65536);
        }
    }
    std::vector<std::atomic<native_network_stack*>> stacks;
    // The shard a flow of an RSS hash belongs to (owner_function(), set once).
    std::function<unsigned(uint32_t)> owner;
    std::unique_ptr<std::atomic<uint64_t>[]> udp_ports;
    bool serves(unsigned s) const noexcept { return stacks[s].load(std::memory_order_relaxed) != nullptr; }
    // The shard that takes a UDP datagram to `port` whose hash selects
    // `owner`: the owner if it has a channel there, else the first shard
    // that has one, else the owner (which answers "port unreachable").
    unsigned udp_owner(unsigned owner, uint16_t port) const noexcept {
        uint64_t bound = udp_ports ? udp_ports[port].load(std::memory_order_relaxed) : 0;
        if (!bound || (bound >> owner) & 1) {
            return owner;
        }
        return unsigned(std::countr_zero(bound));
    }
};

namespace {

// The shard that owns a flow: the device's own redirection table when it
// has a queue per shard and hashes in hardware, else the same Toeplitz hash
// through a 128-entry table over the shards.
std::function<unsigned(uint32_t)> owner_function(const device& dev, unsigned shards) {
    if (dev.hw_queues_count() == shards && dev.hw_features().rx_rss_hash) {
        return [&dev](uint32_t h) { return dev.hash2qid(h); };
    }
    return [shards](uint32_t h) { return (h & 127) % shards; };
}

} // namespace

std::shared_ptr<native_network_stack::shard_group> native_network_stack::join_group(const device* dev,
                                                                                    const native_stack_config& cfg) {
    unsigned shards = cfg.shards;
    if (shards <= 1) {
        return nullptr;
    }
    unsigned self = this_shard_id();
    if (self >= shards) {
        throw std::invalid_argument(
            fmt::format("native stack: shard {} is not among the {} shards of the stack", self, shards));
    }
    if (cfg.dhcp) {
        throw std::invalid_argument("native stack: DHCP runs on a one-shard stack only (run with --smp 1)");
    }
    static std::mutex m;
    static std::map<const device*, std::weak_ptr<shard_group>> groups;
    std::lock_guard lock(m);
    std::erase_if(groups, [](const auto& e) { return e.second.expired(); });
    auto& slot = groups[dev];
    auto g = slot.lock();
    if (!g) {
        g = std::make_shared<shard_group>(shards);
        g->owner = owner_function(*dev, shards);
        slot = g;
    } else if (g->stacks.size() != shards) {
        throw std::invalid_argument(fmt::format("native stack: the stacks over this device run on {} shards, not {}",
                                                g->stacks.size(), shards));
    } else if (g->serves(self)) {
        throw std::logic_error("native stack: this shard has a stack over this device already");
    }
    return g;
}

namespace {

// Items (frames, datagrams) one shard may have on their way to another
// before it drops more: a stalled shard must not make its peers grow without
// bound (a NIC's ring drops too).
constexpr std::size_t max_in_flight = 8192;

// What a sender keeps about its batches to other shards; outlives the sender
// (the replies come back to a continuation).
struct crossings {
    explicit crossings(std::size_t shards) : in_flight(shards, 0) {}
    std::vector<std::size_t> in_flight; // items per destination
    uint64_t lost = 0;                  // items whose destination had no stack
};

// Sends `items` to shard `to` with `deliver` (returning how many it could not
// deliver) and keeps the in-flight count of `c`.
template <typename Deliver>
void cross(const std::shared_ptr<crossings>& c, unsigned to, std::size_t items, Deliver deliver) noexcept {
    c->in_flight[to] += items;
    (void)smp::submit_to(to, std::move(deliver)).then_wrapped([c, to, items](future<std::size_t> f) {
        c->in_flight[to] -= items;
        c->lost += f.failed() ? (f.ignore_ready_future(), items) : f.get();
    });
}

} // namespace

// Sends for a shard without a device queue of its own: each batch crosses to
// the shard that drives queue `target` and leaves through it.
class native_network_stack::proxy_qp final : public qp {
    std::shared_ptr<shard_group> _group;
    unsigned _target;
    std::shared_ptr<crossings> _crossings;

public:
    proxy_qp(std::shared_ptr<shard_group> g, unsigned target)
        : _group(std::move(g)), _target(target), _crossings(std::make_shared<crossings>(_group->stacks.size())) {}

    uint64_t lost() const noexcept { return _crossings->lost; }

protected:
    void send_batch(std::vector<frame>& batch) noexcept override {
        std::vector<frame> out;
        try {
            std::size_t room = max_in_flight - std::min(max_in_flight, _crossings->in_flight[_target]);
            out.reserve(std::min(room, batch.size()));
            for (auto& f : batch) {
                if (out.size() == room) {
                    break;
                }
                out.push_back(frame{f.p.copy(), f.oi});
            }
        } catch (const std::bad_alloc&) {
        }
        _stats.tx_dropped += batch.size() - out.size();
        if (out.empty()) {
            return;
        }
        auto n = out.size();
        cross(_crossings, _target, n, [g = _group, t = _target, out = std::move(out)]() mutable -> std::size_t {
            auto* st = g->stacks[t].load(std::memory_order_relaxed);
            if (!st) {
                return out.size();
            }
            auto& q = st->_iface.queue();
            for (auto& f : out) {
                q.send(std::move(f));
            }
            return 0;
        });
    }
};

// Moves datagrams to the shard that owns them and shows ARP traffic to every
// shard, in batches: one smp message per destination shard per task.
class native_network_stack::steering final : public udp_port_registry {
public:
    steering(std::shared_ptr<shard_group> g, unsigned self)
        : _group(std::move(g)), _self(self), _out(_group->stacks.size()),
          _crossings(std::make_shared<crossings>(_group->stacks.size())) {}
    ~steering() {
        if (_pending) {
            _pending->owner = nullptr;
        }
    }

    void forward_ip(unsigned to, ipv4_forwarded f) noexcept {
        if (!room_for(to)) {
            stats.dropped++;
            return;
        }
        try {
            f.p = f.p.copy();
            schedule_flush();
            _out[to].ip.push_back(std::move(f));
            stats.forwarded_out++;
        } catch (const std::bad_alloc&) {
            stats.dropped++;
        }
    }

    void share_arp(const packet& p) noexcept {
        for (unsigned s = 0; s < _out.size(); ++s) {
            if (s == _self) {
                continue;
            }
            if (!room_for(s)) {
                stats.dropped++;
                continue;
            }
            try {
                auto copy = p.copy();
                schedule_flush();
                _out[s].arp.push_back(std::move(copy));
                stats.arp_shared++;
            } catch (const std::bad_alloc&) {
                stats.dropped++;
            }
        }
    }

    // Items whose destination shard had no stack when they arrived.
    uint64_t lost() const noexcept { return _crossings->lost; }

    // udp_port_registry: this shard's UDP channels, in the group's table.
    void bound(uint16_t port) noexcept override {
        if (_group->udp_ports) {
            _group->udp_ports[port].fetch_or(uint64_t(1) << _self, std::memory_order_relaxed);
        }
    }
    void unbound(uint16_t port) noexcept override {
        if (_group->udp_ports) {
            _group->udp_ports[port].fetch_and(~(uint64_t(1) << _self), std::memory_order_relaxed);
        }
    }
    bool bound_elsewhere(uint16_t port) const noexcept override {
        return _group->udp_ports &&
               (_group->udp_ports[port].load(std::memory_order_relaxed) & ~(uint64_t(1) << _self)) != 0;
    }

    native_stack_stats stats;

private:
    struct outbox {
        std::vector<ipv4_forwarded> ip;
        std::vector<packet> arp;
        std::size_t size() const noexcept { return ip.size() + arp.size(); }
    };

    class flush_task final : public task {
    public:
        steering* owner;
        explicit flush_task(steering* s) noexcept : owner(s) {}
        void run_and_dispose() noexcept override {
            if (owner) {
                owner->_pending = nullptr;
                owner->flush();
            }
            delete this;
        }
    };

    bool room_for(unsigned to) const noexcept { return _crossings->in_flight[to] + _out[to].size() < max_in_flight; }

    void schedule_flush() {
        if (!_pending) {
            _pending = new flush_task(this);
            schedule(_pending);
        }
    }

    void flush() noexcept {
        for (unsigned s = 0; s < _out.size(); ++s) {
            auto n = _out[s].size();
            if (n == 0) {
                continue;
            }
            cross(_crossings, s, n, [g = _group, s, box = std::exchange(_out[s], {})]() mutable -> std::size_t {
                auto* st = g->stacks[s].load(std::memory_order_relaxed);
                if (!st) {
                    return box.size();
                }
                for (auto& p : box.arp) {
                    st->_arp.learn_from(std::move(p));
                }
                st->_steering->stats.forwarded_in += box.ip.size();
                for (auto& f : box.ip) {
                    st->_ip.accept_forwarded(std::move(f));
                }
                return 0;
            });
        }
    }

    std::shared_ptr<shard_group> _group;
    unsigned _self;
    std::vector<outbox> _out;
    std::shared_ptr<crossings> _crossings;
    flush_task* _pending = nullptr;
};

std::unique_ptr<qp> native_network_stack::take_queue(device& dev, const std::shared_ptr<shard_group>& g, unsigned qid) {
    if (!g) {
        return dev.make_queue(qid);
    }
    unsigned self = this_shard_id();
    unsigned queues = dev.hw_queues_count();
    if (self < queues) {
        return dev.make_queue(self);
    }
    return std::make_unique<proxy_qp>(g, self % queues);
}

namespace {

// `owner`: the shard group's (which outlives the stack's TCP); null on one shard.
native_stack_config with_port_steering(native_stack_config cfg, const std::function<unsigned(uint32_t)>* owner) {
    if (!owner) {
        return cfg;
    }
    // connect() takes only local ports whose answers hash back to this shard.
    auto self = this_shard_id();
    auto user = std::move(cfg.tcp.local_port_filter);
    cfg.tcp.local_port_filter = [owner, self, user](uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport) {
        char ports[4];
        write_be<uint16_t>(ports, rport);
        write_be<uint16_t>(ports + 2, lport);
        if ((*owner)(ipv4::flow_hash(ipv4_address(rip), ipv4_address(lip), ports)) != self) {
            return false;
        }
        return !user || user(lip, lport, rip, rport);
    };
    return cfg;
}

} // namespace

native_network_stack::native_network_stack(std::shared_ptr<device> dev, native_stack_config cfg_in, unsigned qid)
    : _dev(std::move(dev)), _shard(this_shard_id()), _group(join_group(_dev.get(), cfg_in)),
      _iface(take_queue(*_dev, _group, qid), _dev->hw_address(), _dev->hw_features()),
      _arp(_iface, arp_config{.now = cfg_in.now}),
      _ip(_iface, _arp,
          ipv4_config{.host = cfg_in.host, .netmask = cfg_in.netmask, .gateway = cfg_in.gateway, .now = cfg_in.now}),
      _icmp(_ip), _udp(_ip), _tcp(_ip, with_port_steering(cfg_in, _group ? &_group->owner : nullptr).tcp),
      _use_dhcp(cfg_in.dhcp), _dhcp_config(cfg_in.dhcp_config) {
    auto& cfg = cfg_in;
    if (_group) {
        unsigned self = _shard;
        _steering = std::make_unique<steering>(_group, self);
        _ip.set_steering(ipv4_steering{
            .self = self,
            // A flow whose shard has no stack (yet, or any more) stays here.
            .owner =
                [g = _group.get(), self](uint32_t h) {
                    auto o = g->owner(h);
                    return g->serves(o) ? o : self;
                },
            .forward = [this](unsigned to, ipv4_forwarded f) { _steering->forward_ip(to, std::move(f)); },
            .udp_owner =
                [g = _group.get(), self](unsigned owner, uint16_t port) {
                    auto o = g->udp_owner(owner, port);
                    return g->serves(o) ? o : self;
                },
        });
        _udp.set_port_registry(_steering.get());
        _iface.register_l3(eth_protocol_num::arp, [this](packet p, ethernet_address from, const offload_info&) {
            _steering->share_arp(p);
            _arp.received(std::move(p), from);
        });
    }
    if (cfg.expire_period.count() > 0) {
        _timer = std::make_unique<expire_timer>();
        _timer->t.set_callback([this] { expire(); });
        _timer->t.arm_periodic(cfg.expire_period);
    }
    if (cfg.dhcp) {
        _ip.set_host_address(ipv4_address());
    } else if (!cfg.host.is_unspecified()) {
        _arp.send_gratuitous();
    }
    if (_group) {
        // Last: other shards reach this stack from now on (nothing above may
        // throw after it).
        _group->stacks[_shard].store(this, std::memory_order_relaxed);
    }
}

native_stack_stats native_network_stack::stats() const noexcept {
    if (!_steering) {
        return {};
    }
    auto st = _steering->stats;
    st.dropped += _steering->lost();
    if (auto* proxy = dynamic_cast<const proxy_qp*>(&_iface.queue())) {
        st.dropped += proxy->lost();
    }
    return st;
}

unsigned native_network_stack::owner_of(uint32_t rss_hash) const noexcept {
    return _group ? _group->owner(rss_hash) : 0;
}

future<> native_network_stack::initialize() {
    if (!_use_dhcp || _lease) {
        return make_ready_future<>();
    }
    auto client = std::make_unique<dhcp>(_udp, _iface.hw_address(), _dhcp_config);
    auto f = client->discover();
    return f.then([this, client = std::move(client)](std::optional<dhcp::lease> l) {
        if (!l) {
            throw std::runtime_error("native stack: no DHCP server gave a lease");
        }
        _lease = *l;
        _ip.set_host_address(l->ip);
        if (!l->netmask.is_unspecified()) {
            _ip.set_netmask(l->netmask);
        }
        _ip.set_gateway(l->gateway);
        _arp.send_gratuitous();
    });
}

native_network_stack::~native_network_stack() {
    if (_group) {
        native_network_stack* me = this;
        _group->stacks[_shard].compare_exchange_strong(me, nullptr, std::memory_order_relaxed);
    }
}

void native_network_stack::expire() {
    _arp.expire();
    _ip.expire();
}

server_socket native_network_stack::listen(socket_address sa, listen_options opts) {
    return _tcp.listen(sa, opts);
}

::seastar::socket native_network_stack::socket() {
    return _tcp.socket();
}

udp_channel native_network_stack::make_udp_channel(const socket_address& local) {
    return udp_channel(_udp.make_channel(local));
}

std::unique_ptr<native_network_stack> make_native_stack(std::shared_ptr<device> dev, const native_stack_options& opts,
                                                        unsigned qid, unsigned shards) {
    native_stack_config cfg;
    cfg.shards = shards;
    if (opts.dhcp) {
        cfg.dhcp = true;
        return std::make_unique<native_network_stack>(std::move(dev), cfg, qid);
    }
    cfg.host = parse_addr("host-ipv4-addr", opts.host_ipv4_addr);
    cfg.gateway = parse_addr("gw-ipv4-addr", opts.gw_ipv4_addr);
    cfg.netmask = parse_netmask(opts.netmask_ipv4_addr);
    return std::make_unique<native_network_stack>(std::move(dev), cfg, qid);
}

void register_native_stack(native_stack_options opts) {
    if (!opts.dhcp) {
        parse_addr("host-ipv4-addr", opts.host_ipv4_addr);
        parse_addr("gw-ipv4-addr", opts.gw_ipv4_addr);
        parse_netmask(opts.netmask_ipv4_addr);
    }
    // One TAP device for all shards: shard 0 drives its queue, the others
    // send through it and get their flows forwarded.
    struct shared_tap {
        std::mutex m;
        std::weak_ptr<device> dev;
    };
    auto tap = std::make_shared<shared_tap>();
    register_default_network_stack([opts, tap]() -> std::unique_ptr<network_stack> {
        std::shared_ptr<device> dev;
        {
            std::lock_guard lock(tap->m);
            dev = tap->dev.lock();
            if (!dev) {
                dev = make_tap_device(opts.tap_device);
                tap->dev = dev;
            }
        }
        return make_native_stack(std::move(dev), opts, 0, smp::count);
    });
}

} // namespace seastar::net
