// The native network stack: Seastar's user-space TCP/IP stack, one instance
// per shard over a device queue that shard owns (device -> ethernet ->
// arp / ipv4 (+ icmp) -> udp / tcp), behind the same network_stack interface
// as the POSIX stack, so a program switches with `--network-stack native`.
//
// What it serves: TCP through listen() and socket() (native-tcp.hh; the
// sockets behave as the POSIX stack's), UDP channels (make_udp_channel),
// ping replies, ARP, and a DHCP client for its own address.
//
// Options, spelled as Seastar spells them on the command line:
//   --tap-device NAME          the TAP interface to attach to (tap0)
//   --host-ipv4-addr A.B.C.D   this host's address (192.168.122.2)
//   --gw-ipv4-addr A.B.C.D     the default gateway (192.168.122.1)
//   --netmask-ipv4-addr M      the netmask (255.255.255.0)
//   --dhcp BOOL                get address, netmask and gateway by DHCP (off);
//                              then initialize() must complete before use
// native_stack_options::set() applies one of them from text, and
// native_stack_option_descriptions() lists them (name, help, default) for a
// command-line parser to declare.
//
// Several shards: a program on N shards runs one stack per shard over the
// same device (native_stack_config::shards = N, each shard constructing its
// own). Shard s drives the device's queue s when the device has one, and
// otherwise sends through queue s % queues (its frames cross to that shard
// over the smp queues). Every connection and datagram belongs to the shard
// its Toeplitz hash selects (default key, computed in software; through the
// device's redirection table when it has a queue per shard and hashes, so
// that frames arrive where they belong, else a 128-entry table over the
// shards); what arrives on
// another shard is forwarded there (unless that shard runs no stack over the
// device: then it stays where it arrived), ARP traffic is shown to every shard,
// and connect() picks a local port whose hash brings the answers back to the
// calling shard. A UDP datagram goes to the shard its hash selects when that
// shard has a channel on its port, else to a shard that has one: a server
// bound on every shard is spread, one bound on a single shard gets all, and
// a client channel gets its answers (ephemeral ports are unique across the
// shards).
// DHCP runs on a one-shard stack only. Every shard should construct its
// stack before traffic flows (app_template does so before the program runs):
// a flow that arrives while its shard has none is served where it arrived,
// and moves (and is reset) once that shard's stack appears. A TCP server
// listens on every shard, as with Seastar: a connection whose shard does not
// listen is refused.
//
// Contract: a stack and its channels live on one shard. make_native_stack()
// throws std::invalid_argument for bad addresses (not read with --dhcp);
// register_native_stack()
// makes each shard's first use of the network create a native stack over
// one TAP device shared by all shards (shard 0 drives its only queue).
//
//     seastar::net::native_stack_options o;
//     o.set("host-ipv4-addr", "192.0.2.2");
//     seastar::net::register_native_stack(o);
//     auto ch = seastar::make_udp_channel(seastar::ipv4_addr(5000));
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "seastar/net/arp.hh"
#include "seastar/net/dhcp.hh"
#include "seastar/net/icmp.hh"
#include "seastar/net/interface.hh"
#include "seastar/net/ip.hh"
#include "seastar/net/native-tcp.hh"
#include "seastar/net/net.hh"
#include "seastar/net/stack.hh"
#include "seastar/net/udp.hh"

namespace seastar::net {

struct native_stack_options {
    std::string tap_device = "tap0";
    std::string host_ipv4_addr = "192.168.122.2";
    std::string gw_ipv4_addr = "192.168.122.1";
    std::string netmask_ipv4_addr = "255.255.255.0";
    bool dhcp = false;

    // Sets the option `name` ("host-ipv4-addr" or "--host-ipv4-addr") from
    // text. Throws std::invalid_argument naming the option for an unknown
    // name or a value that does not parse.
    void set(std::string_view name, std::string_view value);
};

struct native_stack_option_desc {
    const char* name; // without "--"
    const char* help;
    const char* default_value;
};

std::span<const native_stack_option_desc> native_stack_option_descriptions() noexcept;

// Everything the stack needs besides the device (tests set `now` to drive
// a manual clock, and call expire()).
struct native_stack_config {
    ipv4_address host;
    ipv4_address netmask = ipv4_address(0xffffff00);
    ipv4_address gateway;
    now_function now;
    // How often expire() runs by itself (0: never, the caller runs it).
    std::chrono::milliseconds expire_period = std::chrono::milliseconds(100);
    // Get the address by DHCP in initialize() (host, netmask, gateway unused).
    bool dhcp = false;
    dhcp::config dhcp_config;
    tcp_config tcp;
    // How many shards (0 .. shards-1) run a stack over this device; each of
    // them constructs one, on itself. 1: this stack alone (queue `qid`).
    unsigned shards = 1;
};

struct native_stack_stats {
    uint64_t forwarded_out = 0; // datagrams sent to the shard that owns them
    uint64_t forwarded_in = 0;  // datagrams other shards forwarded here
    uint64_t arp_shared = 0;    // ARP packets shown to the other shards
    uint64_t dropped = 0;       // not forwarded or sent through another shard: no memory, too
                                // many in flight there, or that shard had no stack
};

class native_network_stack final : public network_stack {
public:
    // Takes queue `qid` of `dev` (created here, on the calling shard). With
    // cfg.shards > 1, `qid` is unused: the calling shard takes its own queue
    // or sends through another shard's (see the top of this file). Throws,
    // before taking a queue: std::invalid_argument when the calling shard is
    // not below cfg.shards, when cfg.dhcp is set, or when the stacks of other
    // shards over `dev` were made for another number of shards;
    // std::logic_error when this shard has a stack over `dev` already.
    native_network_stack(std::shared_ptr<device> dev, native_stack_config cfg, unsigned qid = 0);
    ~native_network_stack() override;

    server_socket listen(socket_address sa, listen_options opts) override;
    ::seastar::socket socket() override;
    udp_channel make_udp_channel(const socket_address& local) override;
    bool has_per_core_namespace() const override { return true; }
    // With DHCP: gets a lease and configures the address, netmask and
    // gateway; fails with std::runtime_error when no server gave one.
    // Without: ready at once.
    future<> initialize() override;
    // The lease DHCP gave (nullopt without DHCP or before initialize()).
    const std::optional<dhcp::lease>& lease() const noexcept { return _lease; }

    // Expires ARP entries and fragment reassemblies, retries ARP requests.
    void expire();

    net::interface& iface() noexcept { return _iface; }
    net::arp& arp() noexcept { return _arp; }
    net::ipv4& ip() noexcept { return _ip; }
    const net::ipv4& ip() const noexcept { return _ip; }
    net::icmp& icmp() noexcept { return _icmp; }
    net::udp& udp() noexcept { return _udp; }
    net::tcp& tcp() noexcept { return _tcp.tcp(); }
    native_tcp& tcp_layer() noexcept { return _tcp; }
    native_stack_stats stats() const noexcept;
    // The shard that owns a flow of this RSS hash (0 on one shard).
    unsigned owner_of(uint32_t rss_hash) const noexcept;

private:
    struct shard_group;
    class proxy_qp;
    class steering;
    static std::shared_ptr<shard_group> join_group(const device* dev, const native_stack_config& cfg);
    static std::unique_ptr<qp> take_queue(device& dev, const std::shared_ptr<shard_group>& g, unsigned qid);

    std::shared_ptr<device> _dev;
    unsigned _shard; // where it was constructed
    std::shared_ptr<shard_group> _group;
    std::unique_ptr<steering> _steering;
    net::interface _iface;
    net::arp _arp;
    net::ipv4 _ip;
    net::icmp _icmp;
    net::udp _udp;
    native_tcp _tcp;
    struct expire_timer;
    std::unique_ptr<expire_timer> _timer;
    bool _use_dhcp;
    dhcp::config _dhcp_config;
    std::optional<dhcp::lease> _lease;
};

// A native stack over queue `qid` of `dev`, configured from `opts` (addresses
// or DHCP; the TAP name is not used), one of `shards` (see
// native_stack_config::shards). Throws std::invalid_argument for bad addresses.
std::unique_ptr<native_network_stack> make_native_stack(std::shared_ptr<device> dev, const native_stack_options& opts,
                                                        unsigned qid = 0, unsigned shards = 1);

// Makes the native stack over TAP device opts.tap_device the default stack
// of every shard (see stack.hh). Validates the options now (throws
// std::invalid_argument); the device is opened on first use.
void register_native_stack(native_stack_options opts);

} // namespace seastar::net
