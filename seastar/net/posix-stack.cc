#include "seastar/net/posix-stack.hh"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "seastar/core/coroutine.hh"
#include "seastar/core/internal/pollable_fd.hh"
#include "seastar/core/posix.hh"
#include "seastar/core/smp.hh"
#include "seastar/net/internal/connection_balancer.hh"

namespace seastar::net {

namespace internal {

posix_stack_stats& posix_stats() noexcept {
    static thread_local posix_stack_stats s;
    return s;
}

} // namespace internal

namespace {

// ---- shards ----

unsigned shard_count() noexcept {
    return smp::count;
}
unsigned this_shard() noexcept {
    return this_shard_id();
}
// Fire and forget: what `f` needs travels in its captures. A failure (the
// shards are shutting down) drops the message; captured descriptors close
// with it.
template <typename Func>
void run_on_shard(unsigned shard, Func&& f) {
    (void)smp::submit_to(shard, std::forward<Func>(f)).handle_exception([](std::exception_ptr) {});
}

// ---- errors ----

std::system_error errno_error(int err, const std::string& what) {
    return std::system_error(err, std::system_category(), what);
}

// The same error with the operation and the address in front of the message.
std::exception_ptr with_address(std::exception_ptr ex, const char* op, const socket_address& a) {
    try {
        std::rethrow_exception(ex);
    } catch (const std::system_error& e) {
        return std::make_exception_ptr(errno_error(e.code().value(), fmt::format("{} {}", op, a)));
    } catch (...) {
        return ex;
    }
}

socket_address local_address_of(int fd) noexcept {
    ::sockaddr_storage ss;
    ::socklen_t len = sizeof(ss);
    if (::getsockname(fd, reinterpret_cast<::sockaddr*>(&ss), &len) == -1) {
        return {};
    }
    return socket_address(reinterpret_cast<::sockaddr*>(&ss), len);
}

// ---- connections ----

// Runs a function once, when destroyed: tells the accepting shard's balancer
// that a connection is gone, whether it was served or dropped on the way.
class close_notifier {
    std::function<void()> _f;

public:
    close_notifier() noexcept = default;
    explicit close_notifier(std::function<void()> f) noexcept : _f(std::move(f)) {}
    close_notifier(close_notifier&& o) noexcept : _f(std::exchange(o._f, nullptr)) {}
    close_notifier& operator=(close_notifier&& o) noexcept {
        if (this != &o) {
            notify();
            _f = std::exchange(o._f, nullptr);
        }
        return *this;
    }
    ~close_notifier() { notify(); }

private:
    void notify() noexcept {
        if (auto f = std::exchange(_f, nullptr)) {
            try {
                f();
            } catch (...) {
                // Only a failed allocation of the message: the count stays high.
            }
        }
    }
};

// What a connection's socket object and its two streams share; the
// descriptor closes with the last of them.
struct conn_state {
    // First, so it is destroyed last: notifies after the descriptor closed.
    close_notifier on_close;
    pollable_fd fd;
    socket_address local;
    socket_address remote;
    bool input_shut = false;
    std::vector<promise<>> input_shutdown_waiters;

    conn_state(pollable_fd f, socket_address r, close_notifier oc)
        : on_close(std::move(oc)), fd(std::move(f)), local(local_address_of(fd.get_fd())), remote(r) {}
    void mark_input_shutdown() noexcept {
        input_shut = true;
        for (auto& w : std::exchange(input_shutdown_waiters, {})) {
            w.set_value();
        }
    }
};

class posix_data_source_impl final : public data_source_impl {
    std::shared_ptr<conn_state> _s;
    connected_socket_input_stream_config _cfg;
    size_t _size;

public:
    posix_data_source_impl(std::shared_ptr<conn_state> s, connected_socket_input_stream_config cfg)
        : _s(std::move(s)), _cfg(cfg), _size(std::clamp(cfg.buffer_size, cfg.min_buffer_size, cfg.max_buffer_size)) {}

    future<temporary_buffer<char>> get() override {
        temporary_buffer<char> buf(_size);
        auto p = buf.get_write();
        ++internal::posix_stats().recv_calls;
        return _s->fd.read_some(p, buf.size()).then_wrapped([this, buf = std::move(buf)](future<size_t> f) mutable {
            if (f.failed()) {
                _s->mark_input_shutdown();
                return make_exception_future<temporary_buffer<char>>(
                    with_address(f.get_exception(), "read from", _s->remote));
            }
            auto n = f.get();
            if (n == 0) {
                _s->mark_input_shutdown();
                return make_ready_future<temporary_buffer<char>>();
            }
            // Adapt: a full buffer suggests more is waiting; a small
            // read wastes most of a big buffer.
            if (n == _size) {
                _size = std::min<size_t>(_size * 2, _cfg.max_buffer_size);
            } else if (n < _size / 4) {
                _size = std::max<size_t>(_size / 2, _cfg.min_buffer_size);
            }
            buf.trim(n);
            return make_ready_future<temporary_buffer<char>>(std::move(buf));
        });
    }

    future<> close() override {
        try {
            _s->fd.shutdown(SHUT_RD);
        } catch (...) {
        }
        _s->mark_input_shutdown();
        return make_ready_future<>();
    }
};

class posix_data_sink_impl final : public data_sink_impl {
    std::shared_ptr<conn_state> _s;
    packet _p;
    std::vector<::iovec> _iov;
    // pollable_fd::sendmsg() keeps the pointer until it resolves.
    ::msghdr _mh;

public:
    explicit posix_data_sink_impl(std::shared_ptr<conn_state> s) : _s(std::move(s)) {}

    future<> put(packet p) override {
        _p = std::move(p);
        return send_rest();
    }

    future<> put(temporary_buffer<char> buf) override { return write_rest(std::move(buf)); }

    future<> close() override {
        try {
            _s->fd.shutdown(SHUT_WR);
        } catch (...) {
            return make_exception_future<>(with_address(std::current_exception(), "shutdown of", _s->remote));
        }
        return make_ready_future<>();
    }

    bool can_batch_flushes() const noexcept override { return true; }

private:
    future<> send_rest() {
        while (_p.len()) {
            auto frags = _p.fragments();
            size_t n = std::min<size_t>(frags.size(), IOV_MAX);
            _iov.resize(n);
            for (size_t i = 0; i < n; ++i) {
                _iov[i] = ::iovec{frags[i].base, frags[i].size};
            }
            _mh = ::msghdr{};
            _mh.msg_iov = _iov.data();
            _mh.msg_iovlen = n;
            ++internal::posix_stats().send_calls;
            auto f = _s->fd.sendmsg(&_mh);
            if (!f.available()) {
                return std::move(f).then_wrapped([this](future<size_t> f) {
                    if (f.failed()) {
                        _p = packet::make_null_packet();
                        return make_exception_future<>(with_address(f.get_exception(), "write to", _s->remote));
                    }
                    _p.trim_front(f.get());
                    return send_rest();
                });
            }
            if (f.failed()) {
                _p = packet::make_null_packet();
                return make_exception_future<>(with_address(f.get_exception(), "write to", _s->remote));
            }
            _p.trim_front(f.get());
        }
        _p = packet::make_null_packet();
        return make_ready_future<>();
    }

    future<> write_rest(temporary_buffer<char> buf) {
        while (!buf.empty()) {
            ++internal::posix_stats().send_calls;
            auto f = _s->fd.write_some(buf.get(), buf.size());
            if (!f.available()) {
                return std::move(f).then_wrapped([this, buf = std::move(buf)](future<size_t> f) mutable {
                    if (f.failed()) {
                        return make_exception_future<>(with_address(f.get_exception(), "write to", _s->remote));
                    }
                    buf.trim_front(f.get());
                    return write_rest(std::move(buf));
                });
            }
            if (f.failed()) {
                return make_exception_future<>(with_address(f.get_exception(), "write to", _s->remote));
            }
            buf.trim_front(f.get());
        }
        return make_ready_future<>();
    }
};

void setsockopt_or_throw(int fd, int level, int opt, const void* data, size_t len, const char* what) {
    if (::setsockopt(fd, level, opt, data, ::socklen_t(len)) == -1) {
        throw errno_error(errno, what);
    }
}

int getsockopt_int(int fd, int level, int opt, const char* what) {
    int v = 0;
    ::socklen_t len = sizeof(v);
    if (::getsockopt(fd, level, opt, &v, &len) == -1) {
        throw errno_error(errno, what);
    }
    return v;
}

class posix_connected_socket_impl final : public connected_socket_impl {
    std::shared_ptr<conn_state> _s;

    bool is_tcp() const noexcept { return _s->remote.family() != AF_UNIX && _s->local.family() != AF_UNIX; }
    int fd() const noexcept { return _s->fd.get_fd(); }

public:
    posix_connected_socket_impl(pollable_fd fd, socket_address remote, close_notifier on_close = {})
        : _s(std::make_shared<conn_state>(std::move(fd), remote, std::move(on_close))) {}

    data_source source() override { return source(connected_socket_input_stream_config{}); }
    data_source source(connected_socket_input_stream_config cfg) override {
        return data_source(std::make_unique<posix_data_source_impl>(_s, cfg));
    }
    data_sink sink() override { return data_sink(std::make_unique<posix_data_sink_impl>(_s)); }

    void shutdown_input() override {
        _s->fd.shutdown(SHUT_RD);
        _s->mark_input_shutdown();
    }
    void shutdown_output() override { _s->fd.shutdown(SHUT_WR); }

    // Unix-domain sockets have no Nagle and no keepalive: setters do nothing
    // and getters say false (as in Seastar).
    void set_nodelay(bool nodelay) override {
        if (is_tcp()) {
            int v = nodelay;
            setsockopt_or_throw(fd(), IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v), "setsockopt(TCP_NODELAY)");
        }
    }
    bool get_nodelay() const override {
        return is_tcp() && getsockopt_int(fd(), IPPROTO_TCP, TCP_NODELAY, "getsockopt(TCP_NODELAY)");
    }
    void set_keepalive(bool keepalive) override {
        if (is_tcp()) {
            int v = keepalive;
            setsockopt_or_throw(fd(), SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v), "setsockopt(SO_KEEPALIVE)");
        }
    }
    bool get_keepalive() const override {
        return is_tcp() && getsockopt_int(fd(), SOL_SOCKET, SO_KEEPALIVE, "getsockopt(SO_KEEPALIVE)");
    }
    void set_keepalive_parameters(const keepalive_params& p) override {
        if (!is_tcp()) {
            return;
        }
        auto tcp = std::get_if<tcp_keepalive_params>(&p);
        if (!tcp) {
            throw std::invalid_argument("SCTP keepalive parameters given for a TCP socket");
        }
        int idle = int(tcp->idle.count()), intvl = int(tcp->interval.count()), cnt = int(tcp->count);
        setsockopt_or_throw(fd(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle), "setsockopt(TCP_KEEPIDLE)");
        setsockopt_or_throw(fd(), IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl), "setsockopt(TCP_KEEPINTVL)");
        setsockopt_or_throw(fd(), IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt), "setsockopt(TCP_KEEPCNT)");
    }
    keepalive_params get_keepalive_parameters() const override {
        if (!is_tcp()) {
            return tcp_keepalive_params{std::chrono::seconds(0), std::chrono::seconds(0), 0};
        }
        return tcp_keepalive_params{
            std::chrono::seconds(getsockopt_int(fd(), IPPROTO_TCP, TCP_KEEPIDLE, "getsockopt(TCP_KEEPIDLE)")),
            std::chrono::seconds(getsockopt_int(fd(), IPPROTO_TCP, TCP_KEEPINTVL, "getsockopt(TCP_KEEPINTVL)")),
            unsigned(getsockopt_int(fd(), IPPROTO_TCP, TCP_KEEPCNT, "getsockopt(TCP_KEEPCNT)"))};
    }
    void set_sockopt(int level, int optname, const void* data, size_t len) override {
        setsockopt_or_throw(fd(), level, optname, data, len, "setsockopt");
    }
    int get_sockopt(int level, int optname, void* data, size_t len) const override {
        ::socklen_t l = ::socklen_t(len);
        if (::getsockopt(fd(), level, optname, data, &l) == -1) {
            throw errno_error(errno, "getsockopt");
        }
        return int(l);
    }
    socket_address local_address() const noexcept override { return _s->local; }
    socket_address remote_address() const noexcept override { return _s->remote; }
    future<> wait_input_shutdown() override {
        if (_s->input_shut) {
            return make_ready_future<>();
        }
        _s->input_shutdown_waiters.emplace_back();
        return _s->input_shutdown_waiters.back().get_future();
    }
};

accept_result make_accept_result(file_desc fd, socket_address remote, close_notifier on_close) {
    pollable_fd pfd(std::move(fd));
    return accept_result{
        connected_socket(std::make_unique<posix_connected_socket_impl>(std::move(pfd), remote, std::move(on_close))),
        remote};
}

// ---- listening ----

// A connection on its way from the accepting shard to the one that serves it.
struct incoming_connection {
    file_desc fd;
    socket_address remote;
    close_notifier on_close;
};

// Per shard: connections handed to this shard, by listening address, waiting
// for (or before) the shard's accept().
struct ap_slot {
    std::deque<incoming_connection> queue;
    std::optional<promise<accept_result>> waiter;
};
thread_local std::unordered_map<socket_address, ap_slot> ap_slots;

// Connections that arrived before this shard listened: the owner knows two
// names for its socket (the address listen() was given, which may have port
// 0, and the address it is bound to), and the other shards may have listened
// on either, so the shard's listen() claims them by whichever it uses.
struct early_connection {
    socket_address bound;
    socket_address requested;
    incoming_connection c;
};
thread_local std::deque<early_connection> early_connections;

void hand_over(ap_slot& slot, incoming_connection c) {
    if (slot.waiter) {
        auto pr = std::move(*slot.waiter);
        slot.waiter.reset();
        try {
            pr.set_value(make_accept_result(std::move(c.fd), c.remote, std::move(c.on_close)));
        } catch (...) {
            pr.set_exception(std::current_exception());
        }
        return;
    }
    slot.queue.push_back(std::move(c));
}

void deliver_here(const socket_address& bound, const socket_address& requested, incoming_connection c) {
    ++internal::posix_stats().received_from_other_shards;
    // A server that listened on shard 0 with port 0 and then on the other
    // shards with the port it got is served under the bound address; one that
    // listened everywhere with the same address, under that address.
    auto it = ap_slots.find(bound);
    if (it == ap_slots.end()) {
        it = ap_slots.find(requested);
    }
    if (it == ap_slots.end()) {
        early_connections.push_back(early_connection{bound, requested, std::move(c)});
        return;
    }
    hand_over(it->second, std::move(c));
}

// Registers this shard's listener for key, with the connections already here for it.
void open_slot(const socket_address& key) {
    auto& slot = ap_slots[key];
    for (auto it = early_connections.begin(); it != early_connections.end();) {
        if (it->bound == key || it->requested == key) {
            slot.queue.push_back(std::move(it->c));
            it = early_connections.erase(it);
        } else {
            ++it;
        }
    }
}

file_desc make_listening_socket(const socket_address& sa, const listen_options& opts) {
    int proto = sa.family() == AF_UNIX ? 0 : int(opts.proto);
    auto fd = file_desc::socket(sa.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    int one = 1;
    if (sa.family() != AF_UNIX) {
        if (opts.reuse_address) {
            setsockopt_or_throw(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one), "setsockopt(SO_REUSEADDR)");
        }
        if (opts.reuse_port) {
            setsockopt_or_throw(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one), "setsockopt(SO_REUSEPORT)");
        }
    }
    if (::bind(fd.get(), &sa.as_posix_sockaddr(), sa.length()) == -1) {
        throw errno_error(errno, fmt::format("bind to {}", sa));
    }
    if (::listen(fd.get(), opts.listen_backlog) == -1) {
        throw errno_error(errno, fmt::format("listen on {}", sa));
    }
    return fd;
}

// The shard that owns the kernel socket.
class posix_server_socket_impl final : public server_socket_impl {
    pollable_fd _fd;
    socket_address _key;   // the address listen() was given (the shards' rendezvous)
    socket_address _local; // the bound address (a real port when _key's was 0)
    std::shared_ptr<internal::connection_balancer> _lb;
    bool _track;
    unsigned _shard;
    bool _aborted = false;

public:
    // A null balancer: every connection stays on this shard (reuse_port).
    posix_server_socket_impl(file_desc fd, socket_address key, std::shared_ptr<internal::connection_balancer> lb)
        : _fd(std::move(fd)), _key(key), _local(local_address_of(_fd.get_fd())), _lb(std::move(lb)),
          _track(_lb && _lb->shard_count() > 1), _shard(this_shard()) {}

    future<accept_result> accept() override {
        for (;;) {
            if (_aborted) {
                throw errno_error(ECONNABORTED, fmt::format("accept on {}", _local));
            }
            ::sockaddr_storage ss;
            ::socklen_t len = sizeof(ss);
            int fd = ::accept4(_fd.get_fd(), reinterpret_cast<::sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd == -1) {
                int err = errno;
                if (err == EAGAIN || err == EWOULDBLOCK) {
                    try {
                        co_await _fd.readable();
                    } catch (...) {
                        if (_aborted) {
                            continue;
                        }
                        std::rethrow_exception(with_address(std::current_exception(), "accept on", _local));
                    }
                    continue;
                }
                if (err == ECONNABORTED || err == EINTR) {
                    continue; // the peer gave up before we accepted: next one
                }
                throw errno_error(err, fmt::format("accept on {}", _local));
            }
            ++internal::posix_stats().accepted;
            file_desc conn(fd);
            socket_address remote(reinterpret_cast<::sockaddr*>(&ss), len);
            unsigned target = _lb ? _lb->pick(remote.port()) : _shard;
            close_notifier on_close;
            if (_track) {
                on_close = close_notifier([lb = _lb, target, owner = _shard] {
                    if (this_shard() == owner) {
                        lb->closed(target);
                    } else {
                        run_on_shard(owner, [lb, target] { lb->closed(target); });
                    }
                });
            }
            if (target == _shard) {
                co_return make_accept_result(std::move(conn), remote, std::move(on_close));
            }
            run_on_shard(target, [bound = _local, requested = _key,
                                  c = incoming_connection{std::move(conn), remote, std::move(on_close)}]() mutable {
                deliver_here(bound, requested, std::move(c));
            });
        }
    }

    void abort_accept() override {
        _aborted = true;
        // Closing fails a pending readable() wait; accept() then reports the abort.
        _fd.close();
    }

    socket_address local_address() const override { return _local; }
};

// Shards other than the owner: connections arrive from the owner's accept().
class posix_ap_server_socket_impl final : public server_socket_impl {
    socket_address _key;
    bool _aborted = false;

public:
    explicit posix_ap_server_socket_impl(socket_address key) : _key(key) { open_slot(key); }
    ~posix_ap_server_socket_impl() override { abort_accept(); }

    future<accept_result> accept() override {
        if (_aborted) {
            return make_exception_future<accept_result>(errno_error(ECONNABORTED, fmt::format("accept on {}", _key)));
        }
        auto& slot = ap_slots[_key];
        if (!slot.queue.empty()) {
            auto c = std::move(slot.queue.front());
            slot.queue.pop_front();
            try {
                return make_ready_future<accept_result>(
                    make_accept_result(std::move(c.fd), c.remote, std::move(c.on_close)));
            } catch (...) {
                return make_exception_future<accept_result>(std::current_exception());
            }
        }
        if (slot.waiter) {
            return make_exception_future<accept_result>(std::logic_error("server_socket: accept() already pending"));
        }
        slot.waiter.emplace();
        return slot.waiter->get_future();
    }

    void abort_accept() override {
        if (_aborted) {
            return;
        }
        _aborted = true;
        auto it = ap_slots.find(_key);
        if (it == ap_slots.end()) {
            return;
        }
        auto slot = std::move(it->second);
        ap_slots.erase(it);
        if (slot.waiter) {
            slot.waiter->set_exception(errno_error(ECONNABORTED, fmt::format("accept on {}", _key)));
        }
        // Queued connections close here (their balancer entries with them).
    }

    socket_address local_address() const override { return _key; }
};

// ---- connecting ----

class posix_socket_impl final : public socket_impl {
    pollable_fd _fd;
    bool _reuseaddr = false;
    bool _aborted = false;

public:
    future<connected_socket> connect(socket_address sa, socket_address local, transport proto) override {
        try {
            if (sa.is_unspecified()) {
                throw std::invalid_argument("connect: unspecified address");
            }
            int family = sa.family();
            _fd = pollable_fd::socket(family, SOCK_STREAM, family == AF_UNIX ? 0 : int(proto));
            int fd = _fd.get_fd();
            if (_reuseaddr) {
                int one = 1;
                setsockopt_or_throw(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one), "setsockopt(SO_REUSEADDR)");
            }
            if (family != AF_UNIX) {
                if (local.is_unspecified()) {
                    local = family == AF_INET
                                ? socket_address(ipv4_addr(0))
                                : socket_address(ipv6_addr(net::inet_address(net::inet_address::family::INET6), 0));
                } else if (local.family() != family) {
                    throw std::invalid_argument(
                        fmt::format("connect to {} from {}: address families differ", sa, local));
                }
                bool bound = false;
                if (local.port() == 0) {
                    bound = internal::bind_to_shard_port(fd, local, shard_count(), this_shard()) != 0;
                }
                if (!bound && (local.port() != 0 || !local.is_wildcard())) {
                    if (::bind(fd, &local.as_posix_sockaddr(), local.length()) == -1) {
                        throw errno_error(errno, fmt::format("bind to {}", local));
                    }
                }
            } else if (!local.is_unspecified()) {
                if (::bind(fd, &local.as_posix_sockaddr(), local.length()) == -1) {
                    throw errno_error(errno, fmt::format("bind to {}", local));
                }
            }
            ::seastar::internal::raw_socket_address ra;
            std::memcpy(&ra.u, &sa.u, sizeof(sa.u));
            ra.len = sa.length();
            return _fd.connect(ra).then_wrapped([this, sa](future<> f) {
                if (f.failed()) {
                    auto ex = f.get_exception();
                    if (_aborted) {
                        ex = std::make_exception_ptr(errno_error(ECONNABORTED, fmt::format("connect to {}", sa)));
                    }
                    return make_exception_future<connected_socket>(with_address(ex, "connect to", sa));
                }
                return make_ready_future<connected_socket>(
                    connected_socket(std::make_unique<posix_connected_socket_impl>(std::move(_fd), sa)));
            });
        } catch (...) {
            return make_exception_future<connected_socket>(with_address(std::current_exception(), "connect to", sa));
        }
    }

    void set_reuseaddr(bool reuseaddr) override { _reuseaddr = reuseaddr; }
    bool get_reuseaddr() const override { return _reuseaddr; }

    void shutdown() override {
        _aborted = true;
        _fd.close();
    }
};

// ---- datagrams (UDP, unix-domain SOCK_DGRAM) ----

class posix_datagram final : public datagram_impl {
    socket_address _src, _dst;
    packet _p;

public:
    posix_datagram(socket_address src, socket_address dst, packet p) : _src(src), _dst(dst), _p(std::move(p)) {}
    socket_address get_src() override { return _src; }
    socket_address get_dst() override { return _dst; }
    uint16_t get_dst_port() override { return _dst.port(); }
    packet& get_data() override { return _p; }
};

class posix_datagram_channel final : public datagram_channel_impl {
    // Shared with a pending receive, which may finish after the channel is
    // gone (close() fails it from the backend's queue).
    struct rx_state {
        pollable_fd fd;
        socket_address local;
        std::optional<promise<datagram>> waiter;
        bool closed = false;
        bool in_shut = false;
        bool receiving = false;
        ::sockaddr_storage src;
        ::iovec iov;
        ::msghdr mh;
        temporary_buffer<char> buf;
    };
    std::shared_ptr<rx_state> _s;
    bool _out_shut = false;

    static constexpr size_t max_datagram = 65536;

public:
    // Bound to `local` (unspecified: 0.0.0.0 and a free port).
    explicit posix_datagram_channel(const socket_address& local) : _s(std::make_shared<rx_state>()) {
        socket_address bind_to = local.is_unspecified() ? socket_address(ipv4_addr(0)) : local;
        _s->fd = pollable_fd::socket(bind_to.family(), SOCK_DGRAM);
        if (::bind(_s->fd.get_fd(), &bind_to.as_posix_sockaddr(), bind_to.length()) == -1) {
            throw errno_error(errno, fmt::format("bind to {}", bind_to));
        }
        _s->local = local_address_of(_s->fd.get_fd());
    }
    // Bound to nothing: for sending (a UDP socket gets a port on its first send).
    explicit posix_datagram_channel(sa_family_t family) : _s(std::make_shared<rx_state>()) {
        _s->fd = pollable_fd::socket(family, SOCK_DGRAM);
        _s->local = local_address_of(_s->fd.get_fd());
    }
    ~posix_datagram_channel() override { close(); }

    socket_address local_address() const override { return _s->local; }

    future<datagram> receive() override {
        auto& s = *_s;
        if (s.closed || s.in_shut) {
            return make_exception_future<datagram>(
                errno_error(s.closed ? ECANCELED : EBADF, fmt::format("receive on {}: closed", s.local)));
        }
        if (s.waiter) {
            return make_exception_future<datagram>(std::logic_error("datagram_channel: receive() already pending"));
        }
        s.waiter.emplace();
        auto f = s.waiter->get_future();
        if (!s.receiving) {
            start_receive(_s);
        }
        return f;
    }

    future<> send(const socket_address& dst, const char* msg) override {
        return send(dst, packet(temporary_buffer<char>::copy_of(std::string_view(msg))));
    }

    future<> send(const socket_address& dst, packet p) override {
        if (_s->closed || _out_shut) {
            return make_exception_future<>(errno_error(EBADF, fmt::format("send to {}: closed", dst)));
        }
        // The message header, the address it names and the iovecs live
        // with the send until it completes: on io_uring the kernel reads
        // them when the ring is submitted, after this call returned (and
        // after a caller's temporary address is gone).
        struct pending_send {
            socket_address dst;
            packet p;
            std::vector<::iovec> iovs;
            ::msghdr mh{};
        };
        auto ps = std::make_unique<pending_send>(pending_send{dst, std::move(p), {}, {}});
        auto frags = ps->p.fragments();
        ps->iovs.resize(frags.size());
        for (size_t i = 0; i < frags.size(); ++i) {
            ps->iovs[i] = ::iovec{frags[i].base, frags[i].size};
        }
        ps->mh.msg_name = const_cast<::sockaddr*>(&ps->dst.as_posix_sockaddr());
        ps->mh.msg_namelen = ps->dst.length();
        ps->mh.msg_iov = ps->iovs.data();
        ps->mh.msg_iovlen = ps->iovs.size();
        auto f = _s->fd.sendmsg(&ps->mh);
        return f.then_wrapped([ps = std::move(ps)](future<size_t> f) {
            if (f.failed()) {
                return make_exception_future<>(with_address(f.get_exception(), "send to", ps->dst));
            }
            if (f.get() != ps->p.len()) {
                return make_exception_future<>(errno_error(EMSGSIZE, fmt::format("send to {}: truncated", ps->dst)));
            }
            return make_ready_future<>();
        });
    }

    void shutdown_input() override {
        _s->in_shut = true;
        fail_waiter(*_s, EBADF, "shut down");
    }
    void shutdown_output() override { _out_shut = true; }
    bool is_closed() const override { return _s->closed; }
    void close() override {
        if (_s->closed) {
            return;
        }
        _s->closed = true;
        fail_waiter(*_s, ECANCELED, "closed");
        _s->fd.close();
    }

private:
    static void fail_waiter(rx_state& s, int err, const char* why) {
        if (s.waiter) {
            auto pr = std::move(*s.waiter);
            s.waiter.reset();
            pr.set_exception(errno_error(err, fmt::format("receive on {}: {}", s.local, why)));
        }
    }

    // One recvmsg in flight at a time; its result goes to the waiter if
    // there still is one (shutdown_input() may have failed it already).
    static void start_receive(std::shared_ptr<rx_state> sp) {
        auto& s = *sp;
        s.receiving = true;
        s.buf = temporary_buffer<char>(max_datagram);
        s.iov = ::iovec{s.buf.get_write(), s.buf.size()};
        s.mh = ::msghdr{};
        s.mh.msg_name = &s.src;
        s.mh.msg_namelen = sizeof(s.src);
        s.mh.msg_iov = &s.iov;
        s.mh.msg_iovlen = 1;
        (void)s.fd.recvmsg(&s.mh).then_wrapped([sp = std::move(sp)](future<size_t> f) mutable {
            auto& s = *sp;
            s.receiving = false;
            if (!s.waiter || s.closed || s.in_shut) {
                f.ignore_ready_future();
                return;
            }
            auto pr = std::move(*s.waiter);
            s.waiter.reset();
            if (f.failed()) {
                pr.set_exception(with_address(f.get_exception(), "receive on", s.local));
                return;
            }
            auto buf = std::move(s.buf);
            buf.trim(f.get());
            socket_address src(reinterpret_cast<::sockaddr*>(&s.src), s.mh.msg_namelen);
            try {
                pr.set_value(datagram(std::make_unique<posix_datagram>(src, s.local, packet(std::move(buf)))));
            } catch (...) {
                pr.set_exception(std::current_exception());
            }
        });
    }
};

std::pair<unsigned, unsigned> ephemeral_port_range() {
    static const std::pair<unsigned, unsigned> range = [] {
        std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
        unsigned lo = 0, hi = 0;
        if (f >> lo >> hi && lo > 0 && hi >= lo && hi <= 65535) {
            return std::pair(lo, hi);
        }
        return std::pair(32768u, 60999u);
    }();
    return range;
}

} // namespace

namespace internal {

uint16_t bind_to_shard_port(int fd, const socket_address& local, unsigned count, unsigned shard) {
    if (count <= 1 || shard >= count) {
        return 0;
    }
    auto [lo, hi] = ephemeral_port_range();
    // Candidates: ports in [lo, hi] congruent to `shard`; start at a random
    // one so that shards and processes do not all probe the same ports.
    unsigned first = lo + (shard + count - lo % count) % count;
    if (first > hi) {
        return 0;
    }
    unsigned candidates = (hi - first) / count + 1;
    static thread_local std::minstd_rand rng(std::random_device{}());
    // A range of at most max_tries candidates is walked whole, from a random
    // start. A larger one gets random probes over all of it first: ports the
    // kernel handed out in a row (and that sit in TIME_WAIT after a burst of
    // connections) fill stretches of it, which a walk from one start can run
    // into for all its tries; then a walk.
    constexpr unsigned random_tries = 64;
    constexpr unsigned max_tries = 128;
    bool probe = candidates > max_tries;
    unsigned start = unsigned(rng() % candidates);
    socket_address a = local;
    for (unsigned i = 0; i < std::min(candidates, max_tries); ++i) {
        unsigned k = probe && i < random_tries ? unsigned(rng() % candidates) : (start + i) % candidates;
        auto port = uint16_t(first + k * count);
        a.set_port(port);
        if (::bind(fd, &a.as_posix_sockaddr(), a.length()) == 0) {
            return port;
        }
        if (errno != EADDRINUSE) {
            throw errno_error(errno, fmt::format("bind to {}", a));
        }
    }
    return 0;
}

} // namespace internal

// ---- the stack ----

server_socket posix_network_stack::listen(socket_address sa, listen_options opts) {
    unsigned count = shard_count();
    if (opts.reuse_port) {
        // Every shard has its own kernel socket; the kernel balances.
        return server_socket(std::make_unique<posix_server_socket_impl>(make_listening_socket(sa, opts), sa, nullptr));
    }
    // Validates fixed_cpu on every shard, not only the owner.
    auto lb = std::make_shared<internal::connection_balancer>(opts.lba, count, opts.fixed_cpu);
    if (this_shard() == 0) {
        return server_socket(
            std::make_unique<posix_server_socket_impl>(make_listening_socket(sa, opts), sa, std::move(lb)));
    }
    return server_socket(std::make_unique<posix_ap_server_socket_impl>(sa));
}

::seastar::socket posix_network_stack::socket() {
    return ::seastar::socket(std::make_unique<posix_socket_impl>());
}

udp_channel posix_network_stack::make_udp_channel(const socket_address& local) {
    return udp_channel(std::make_unique<posix_datagram_channel>(local));
}

datagram_channel posix_network_stack::make_unbound_datagram_channel(sa_family_t family) {
    return datagram_channel(std::make_unique<posix_datagram_channel>(family));
}

datagram_channel posix_network_stack::make_bound_datagram_channel(const socket_address& local) {
    if (local.is_unspecified()) {
        throw errno_error(EAFNOSUPPORT, "datagram channel: bind to an unspecified address");
    }
    return datagram_channel(std::make_unique<posix_datagram_channel>(local));
}

namespace {
// The default stack of every shard (kept by alwayslink in the BUILD file).
const bool posix_stack_registered = [] {
    register_default_network_stack([] { return std::make_unique<posix_network_stack>(); });
    return true;
}();
} // namespace

} // namespace seastar::net
