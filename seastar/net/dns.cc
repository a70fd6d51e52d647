// dns_resolver over c-ares, driven by the reactor.
//
// c-ares owns its sockets; it tells us through the socket-state callback
// which ones it wants to read or write. For each we keep a duplicate of the
// descriptor in a pollable_fd (so the reactor's backend polls it) and a
// fiber waiting for readiness that calls ares_process_fd(). The channel's
// next timeout (ares_timeout) arms one reactor timer that calls
// ares_process_fd() with no socket, which is how c-ares retries and gives
// up. Every lookup's callback runs inside one of those calls, on the shard.
#include "seastar/net/dns.hh"

#include <ares.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "seastar/core/coroutine.hh"
#include "seastar/core/gate.hh"
#include "seastar/core/pollable_fd.hh"
#include "seastar/core/posix.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/shared_future.hh"
#include "seastar/core/timer.hh"

namespace seastar::net {

namespace {

class ares_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "c-ares"; }
    std::string message(int code) const override { return ares_strerror(code); }
};

void init_library() {
    static std::once_flag once;
    std::call_once(once, [] {
        int r = ares_library_init(ARES_LIB_INIT_ALL);
        if (r != ARES_SUCCESS) {
            throw std::system_error(r, dns::error_category(), "ares_library_init");
        }
    });
}

std::system_error dns_error(int status, const std::string& what) {
    return std::system_error(status, dns::error_category(), what);
}

hostent make_hostent(const ::hostent* h) {
    hostent r;
    if (h->h_name) {
        r.names.emplace_back(h->h_name);
    }
    for (auto p = h->h_aliases; p && *p; ++p) {
        // c-ares lists a PTR answer's name among the aliases too.
        if (std::find(r.names.begin(), r.names.end(), sstring(*p)) == r.names.end()) {
            r.names.emplace_back(*p);
        }
    }
    for (auto p = h->h_addr_list; p && *p; ++p) {
        inet_address a;
        if (h->h_addrtype == AF_INET6) {
            ::in6_addr in6;
            std::memcpy(&in6, *p, sizeof(in6));
            a = inet_address(in6);
        } else {
            ::in_addr in;
            std::memcpy(&in, *p, sizeof(in));
            a = inet_address(in);
        }
        r.addr_list.push_back(a);
        r.addr_entries.push_back(hostent::address_entry{a});
    }
    return r;
}

} // namespace

namespace dns {

const std::error_category& error_category() {
    static const ares_category category;
    return category;
}

} // namespace dns

class dns_resolver::impl : public std::enable_shared_from_this<impl> {
    // One socket c-ares uses. `fd` is our duplicate of c-ares's descriptor:
    // it stays open until c-ares says it is done with the socket.
    struct sock {
        ares_socket_t ares_fd;
        pollable_fd fd;
        bool want_read = false;
        bool want_write = false;
        bool reading = false;
        bool writing = false;
        bool closed = false;
    };

    ares_channel _channel = nullptr;
    std::map<ares_socket_t, std::shared_ptr<sock>> _socks;
    timer<> _timer;
    gate _fibers;
    bool _closed = false;
    std::optional<shared_future<>> _close_done;

public:
    explicit impl(const options& opts) : _timer([this] { on_timeout(); }) {
        init_library();
        ares_options o{};
        int mask = ARES_OPT_SOCK_STATE_CB;
        o.sock_state_cb = [](void* data, ares_socket_t fd, int readable, int writable) {
            static_cast<impl*>(data)->on_sock_state(fd, readable, writable);
        };
        o.sock_state_cb_data = this;
        if (opts.use_tcp_query.value_or(false)) {
            o.flags |= ARES_FLAG_USEVC;
            mask |= ARES_OPT_FLAGS;
        }
        if (opts.timeout) {
            o.timeout = int(opts.timeout->count());
            mask |= ARES_OPT_TIMEOUTMS;
        }
        if (opts.udp_port) {
            o.udp_port = *opts.udp_port;
            mask |= ARES_OPT_UDP_PORT;
        }
        if (opts.tcp_port) {
            o.tcp_port = *opts.tcp_port;
            mask |= ARES_OPT_TCP_PORT;
        }
        std::vector<char*> domains;
        if (opts.domains) {
            for (auto& d : *opts.domains) {
                domains.push_back(const_cast<char*>(d.c_str()));
            }
            o.domains = domains.data();
            o.ndomains = int(domains.size());
            mask |= ARES_OPT_DOMAINS;
        }
        int r = ares_init_options(&_channel, &o, mask);
        if (r != ARES_SUCCESS) {
            throw dns_error(r, "dns_resolver: ares_init_options");
        }
        if (opts.servers) {
            std::vector<ares_addr_port_node> nodes(opts.servers->size());
            for (size_t i = 0; i < nodes.size(); ++i) {
                auto& s = (*opts.servers)[i];
                auto& n = nodes[i];
                n.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
                n.family = int(s.in_family());
                std::memcpy(&n.addr, s.data(), s.size());
                n.udp_port = opts.udp_port.value_or(0);
                n.tcp_port = opts.tcp_port.value_or(0);
            }
            r = ares_set_servers_ports(_channel, nodes.empty() ? nullptr : nodes.data());
            if (r != ARES_SUCCESS) {
                ares_destroy(_channel);
                throw dns_error(r, "dns_resolver: ares_set_servers_ports");
            }
        }
    }

    ~impl() {
        // close() normally ran; otherwise no lookup is pending (each holds the impl).
        if (_channel) {
            ares_destroy(_channel);
        }
    }

    future<hostent> get_host_by_name(const sstring& name, opt_family family) {
        int af = family ? int(*family) : AF_UNSPEC;
        return lookup<hostent>("resolve " + std::string(name),
                               [&](void* req) { ares_gethostbyname(_channel, name.c_str(), af, &on_host, req); });
    }

    future<hostent> get_host_by_addr(const inet_address& addr) {
        return lookup<hostent>("resolve " + addr.to_string(), [&](void* req) {
            ares_gethostbyaddr(_channel, addr.data(), int(addr.size()), int(addr.in_family()), &on_host, req);
        });
    }

    future<srv_records> get_srv_records(srv_proto proto, const sstring& service, const sstring& domain) {
        auto name = fmt::format("_{}._{}.{}", std::string_view(service), proto == srv_proto::tcp ? "tcp" : "udp",
                                std::string_view(domain));
        return lookup<srv_records>("resolve SRV " + name, [&](void* req) {
            constexpr int class_in = 1, type_srv = 33;
            ares_query(_channel, name.c_str(), class_in, type_srv, &on_srv, req);
        });
    }

    future<> close() {
        if (!_closed) {
            _closed = true;
            _timer.cancel();
            // Fails the lookups still in flight (their callbacks run now)
            // and closes c-ares's sockets, which stops our fibers.
            ares_destroy(std::exchange(_channel, nullptr));
            for (auto& [fd, s] : _socks) {
                s->closed = true;
                s->fd.close();
            }
            _socks.clear();
            _close_done.emplace(_fibers.close().handle_exception([](std::exception_ptr) {}));
        }
        return _close_done->get_future();
    }

private:
    // One lookup in flight: c-ares's callback argument, which keeps the
    // resolver alive until the callback ran.
    template <typename T>
    struct request {
        std::shared_ptr<impl> owner;
        std::string what;
        promise<T> pr;
        request(std::shared_ptr<impl> o, std::string w) : owner(std::move(o)), what(std::move(w)) {}
    };

    // Starts a lookup: `start(arg)` hands c-ares the request as the callback
    // argument. Fails at once (ARES_EDESTRUCTION) after close().
    template <typename T, typename Start>
    future<T> lookup(std::string what, Start&& start) {
        if (_closed) {
            return make_exception_future<T>(dns_error(ARES_EDESTRUCTION, what));
        }
        auto req = std::make_unique<request<T>>(shared_from_this(), std::move(what));
        auto f = req->pr.get_future();
        start(static_cast<void*>(req.release()));
        rearm_timer();
        return f;
    }

    static void on_srv(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
        std::unique_ptr<request<srv_records>> req(static_cast<request<srv_records>*>(arg));
        ares_srv_reply* reply = nullptr;
        if (status == ARES_SUCCESS) {
            status = ares_parse_srv_reply(abuf, alen, &reply);
        }
        if (status != ARES_SUCCESS) {
            req->pr.set_exception(dns_error(status, req->what));
            return;
        }
        try {
            srv_records r;
            for (auto p = reply; p; p = p->next) {
                r.push_back(srv_record{p->priority, p->weight, p->port, sstring(p->host)});
            }
            ares_free_data(reply);
            req->pr.set_value(std::move(r));
        } catch (...) {
            ares_free_data(reply);
            req->pr.set_exception(std::current_exception());
        }
    }

    static void on_host(void* arg, int status, int /*timeouts*/, ::hostent* h) {
        std::unique_ptr<request<hostent>> req(static_cast<request<hostent>*>(arg));
        if (status != ARES_SUCCESS) {
            req->pr.set_exception(dns_error(status, req->what));
            return;
        }
        try {
            req->pr.set_value(make_hostent(h));
        } catch (...) {
            req->pr.set_exception(std::current_exception());
        }
    }

    void on_sock_state(ares_socket_t fd, int readable, int writable) {
        auto it = _socks.find(fd);
        if (!readable && !writable) {
            if (it != _socks.end()) {
                it->second->closed = true;
                it->second->fd.close();
                _socks.erase(it);
            }
            return;
        }
        std::shared_ptr<sock> s;
        if (it == _socks.end()) {
            int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
            if (dup < 0) {
                // c-ares will time the query out; nothing else to do here.
                return;
            }
            s = std::make_shared<sock>();
            s->ares_fd = fd;
            s->fd = pollable_fd(file_desc(dup));
            _socks.emplace(fd, s);
        } else {
            s = it->second;
        }
        s->want_read = readable;
        s->want_write = writable;
        if (s->want_read && !s->reading) {
            start_watch(s, true);
        }
        if (s->want_write && !s->writing) {
            start_watch(s, false);
        }
    }

    void start_watch(std::shared_ptr<sock> s, bool read) {
        if (_fibers.is_closed()) {
            return;
        }
        (read ? s->reading : s->writing) = true;
        (void)with_gate(_fibers, [this, self = shared_from_this(), s = std::move(s), read]() mutable {
            return watch(std::move(self), std::move(s), read);
        });
    }

    // Waits for readiness while c-ares wants it, handing each event to c-ares.
    future<> watch(std::shared_ptr<impl> self, std::shared_ptr<sock> s, bool read) {
        while (!s->closed && (read ? s->want_read : s->want_write)) {
            try {
                co_await (read ? s->fd.readable() : s->fd.writeable());
            } catch (...) {
                break; // closed under us
            }
            if (s->closed || !_channel) {
                break;
            }
            ares_process_fd(_channel, read ? s->ares_fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : s->ares_fd);
            rearm_timer();
        }
        (read ? s->reading : s->writing) = false;
    }

    void on_timeout() {
        // A lookup's callback may drop the last other reference.
        auto self = shared_from_this();
        if (_channel) {
            ares_process_fd(_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            rearm_timer();
        }
    }

    void rearm_timer() {
        if (!_channel) {
            return;
        }
        ::timeval tv;
        if (ares_timeout(_channel, nullptr, &tv) == nullptr) {
            _timer.cancel();
            return;
        }
        auto d = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
        _timer.rearm(timer<>::clock::now() + std::chrono::duration_cast<timer<>::clock::duration>(d));
    }
};

dns_resolver::dns_resolver() : dns_resolver(options{}) {}
dns_resolver::dns_resolver(const options& opts) : _impl(std::make_shared<impl>(opts)) {}
dns_resolver::dns_resolver(network_stack&, const options& opts) : dns_resolver(opts) {}
dns_resolver::dns_resolver(dns_resolver&&) noexcept = default;
dns_resolver& dns_resolver::operator=(dns_resolver&&) noexcept = default;
dns_resolver::~dns_resolver() = default;

future<hostent> dns_resolver::get_host_by_name(const sstring& name, opt_family family) {
    return _impl->get_host_by_name(name, family);
}

future<hostent> dns_resolver::get_host_by_addr(const inet_address& addr) {
    return _impl->get_host_by_addr(addr);
}

future<inet_address> dns_resolver::resolve_name(const sstring& name, opt_family family) {
    return get_host_by_name(name, family).then([name](hostent h) {
        if (h.addr_list.empty()) {
            return make_exception_future<inet_address>(dns_error(ARES_ENODATA, "resolve " + std::string(name)));
        }
        return make_ready_future<inet_address>(h.addr_list.front());
    });
}

future<sstring> dns_resolver::resolve_addr(const inet_address& addr) {
    return get_host_by_addr(addr).then([addr](hostent h) {
        if (h.names.empty()) {
            return make_exception_future<sstring>(dns_error(ARES_ENODATA, "resolve " + addr.to_string()));
        }
        return make_ready_future<sstring>(h.names.front());
    });
}

future<dns_resolver::srv_records> dns_resolver::get_srv_records(srv_proto proto, const sstring& service,
                                                                const sstring& domain) {
    return _impl->get_srv_records(proto, service, domain);
}

future<> dns_resolver::close() {
    return _impl ? _impl->close() : make_ready_future<>();
}

namespace dns {

namespace {

// The shard's default resolver, closed when the reactor exits.
thread_local std::unique_ptr<dns_resolver> default_resolver;

dns_resolver& resolver() {
    if (!default_resolver) {
        default_resolver = std::make_unique<dns_resolver>();
        engine().at_exit([] {
            auto r = std::move(default_resolver);
            auto f = r->close();
            return f.finally([r = std::move(r)] {});
        });
    }
    return *default_resolver;
}

template <typename Func>
auto with_resolver(Func&& f) noexcept -> decltype(f(resolver())) {
    using fut = decltype(f(resolver()));
    try {
        return f(resolver());
    } catch (...) {
        return fut(make_exception_future<typename fut::value_type>(std::current_exception()));
    }
}

} // namespace

future<hostent> get_host_by_name(const sstring& name, opt_family family) {
    return with_resolver([&](dns_resolver& r) { return r.get_host_by_name(name, family); });
}

future<hostent> get_host_by_addr(const inet_address& addr) {
    return with_resolver([&](dns_resolver& r) { return r.get_host_by_addr(addr); });
}

future<inet_address> resolve_name(const sstring& name, opt_family family) {
    return with_resolver([&](dns_resolver& r) { return r.resolve_name(name, family); });
}

future<sstring> resolve_addr(const inet_address& addr) {
    return with_resolver([&](dns_resolver& r) { return r.resolve_addr(addr); });
}

future<std::vector<srv_record>> get_srv_records(dns_resolver::srv_proto proto, const sstring& service,
                                                const sstring& domain) {
    return with_resolver([&](dns_resolver& r) { return r.get_srv_records(proto, service, domain); });
}

} // namespace dns

future<inet_address> inet_address::find(const sstring& name) {
    return dns::resolve_name(name);
}

future<inet_address> inet_address::find(const sstring& name, family f) {
    return dns::resolve_name(name, f);
}

} // namespace seastar::net
