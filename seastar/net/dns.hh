// DNS resolution with Seastar's names: dns_resolver (a resolver with its own
// options), the shard's default resolver behind net::dns::get_host_by_name /
// get_host_by_addr / resolve_name / resolve_addr / get_srv_records, and the
// result types hostent and srv_record. Built on c-ares, whose sockets the reactor polls and whose
// timeouts are reactor timers: no lookup blocks the shard or uses a thread.
//
// Contract:
//   * Shard-local: a dns_resolver is used on the shard that made it; the
//     functions in net::dns use a resolver of the calling shard, made on
//     first use from /etc/resolv.conf and closed when the reactor exits.
//   * Failures travel in the futures as std::system_error whose category is
//     net::dns::error_category() (the code is c-ares's status, e.g. "Domain
//     name not found", "Timeout while contacting DNS servers"); the message
//     names what was looked up.
//   * close() fails lookups still in flight and releases the sockets; call it
//     (and wait) before destroying a resolver that was used.
//   * c-ares stays inside dns.cc: this header exposes none of its types.
//     Link //seastar/net:dns (the only target that links c-ares); it also
//     defines inet_address::find().
//
//     seastar::net::dns_resolver r({.servers = std::vector{seastar::net::inet_address("127.0.0.1")}});
//     seastar::net::hostent h = co_await r.get_host_by_name("db.example");
//     auto srv = co_await r.get_srv_records(seastar::net::dns_resolver::srv_proto::tcp, "db", "example");
//     co_await r.close();
//     auto a = co_await seastar::net::dns::resolve_name("localhost");
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/sstring.hh"
#include "seastar/net/inet_address.hh"

namespace seastar {

namespace net {

class network_stack;

// A lookup's answer. The primary name and the primary address come first.
struct hostent {
    std::vector<sstring> names;
    std::vector<inet_address> addr_list;
    struct address_entry {
        inet_address addr;
        // The record's time to live, when the answer carried one.
        std::chrono::seconds ttl{std::numeric_limits<signed int>::max()};
    };
    std::vector<address_entry> addr_entries;
};

using opt_family = std::optional<inet_address::family>;

// One SRV record (RFC 2782): where a service runs. Lower priority first;
// among equal priorities, weight is the relative share of the load.
struct srv_record {
    unsigned short priority;
    unsigned short weight;
    unsigned short port;
    sstring target;
};

class dns_resolver {
public:
    // Unset fields come from /etc/resolv.conf (and c-ares's defaults).
    struct options {
        std::optional<bool> use_tcp_query;
        std::optional<std::vector<inet_address>> servers;
        // Per attempt; c-ares tries each server a few times, doubling it.
        std::optional<std::chrono::milliseconds> timeout;
        std::optional<uint16_t> tcp_port, udp_port;
        // Search domains appended to names with few dots (empty: none).
        std::optional<std::vector<sstring>> domains;
    };

    enum class srv_proto { tcp, udp };
    using srv_records = std::vector<srv_record>;

    dns_resolver();
    dns_resolver(dns_resolver&&) noexcept;
    explicit dns_resolver(const options&);
    // The stack is accepted for Seastar's signature; queries go through
    // the kernel's sockets whatever the stack.
    explicit dns_resolver(network_stack&, const options& = {});
    ~dns_resolver();
    dns_resolver& operator=(dns_resolver&&) noexcept;

    // A name's addresses (of `family`, or of either family when unset) and aliases.
    future<hostent> get_host_by_name(const sstring& name, opt_family family = {});
    // An address's names (a PTR lookup), the address in addr_list.
    future<hostent> get_host_by_addr(const inet_address& addr);
    // The primary address of a name / the primary name of an address.
    future<inet_address> resolve_name(const sstring& name, opt_family family = {});
    future<sstring> resolve_addr(const inet_address& addr);
    // The SRV records of `service` over `proto` in `domain` (the name
    // _service._proto.domain), in the order the server gave them.
    future<srv_records> get_srv_records(srv_proto proto, const sstring& service, const sstring& domain);

    // Fails lookups in flight (ECANCELED-like c-ares status) and releases
    // the sockets; later lookups fail. Idempotent.
    future<> close();

private:
    class impl;
    std::shared_ptr<impl> _impl;
};

namespace dns {

// The calling shard's default resolver (options from /etc/resolv.conf).
future<hostent> get_host_by_name(const sstring& name, opt_family family = {});
future<hostent> get_host_by_addr(const inet_address& addr);
future<inet_address> resolve_name(const sstring& name, opt_family family = {});
future<sstring> resolve_addr(const inet_address& addr);
future<std::vector<srv_record>> get_srv_records(dns_resolver::srv_proto proto, const sstring& service,
                                                const sstring& domain);

// The category of the std::system_error that lookups fail with.
const std::error_category& error_category();

} // namespace dns

} // namespace net

} // namespace seastar
