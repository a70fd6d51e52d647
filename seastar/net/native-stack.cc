#include "seastar/net/native-stack.hh"

#include <mutex>
#include <stdexcept>
#include <system_error>

#include "seastar/core/timer.hh"
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

native_network_stack::native_network_stack(std::shared_ptr<device> dev, native_stack_config cfg, unsigned qid)
    : _dev(std::move(dev)), _iface(_dev->make_queue(qid), _dev->hw_address(), _dev->hw_features()),
      _arp(_iface, arp_config{.now = cfg.now}),
      _ip(_iface, _arp, ipv4_config{.host = cfg.host, .netmask = cfg.netmask, .gateway = cfg.gateway, .now = cfg.now}),
      _icmp(_ip), _udp(_ip), _tcp(_ip, std::move(cfg.tcp)), _use_dhcp(cfg.dhcp), _dhcp_config(cfg.dhcp_config) {
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

native_network_stack::~native_network_stack() = default;

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
                                                        unsigned qid) {
    native_stack_config cfg;
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
    auto taken = std::make_shared<std::once_flag>();
    register_default_network_stack([opts, taken]() -> std::unique_ptr<network_stack> {
        bool first = false;
        std::call_once(*taken, [&] { first = true; });
        if (!first) {
            throw std::runtime_error("native stack over TAP: one shard owns the device's only queue "
                                     "(run with --smp 1)");
        }
        return make_native_stack(make_tap_device(opts.tap_device), opts);
    });
}

} // namespace seastar::net
