#include "seastar/net/tcp.hh"

#include "seastar/net/internal/tcp_tcb.hh"

#include <algorithm>
#include <cerrno>
#include <random>
#include <system_error>

#include "seastar/core/manual_clock.hh"

namespace seastar::net {

using internal::make_error;
using internal::max_wscale;
using internal::seq_gt;

namespace {

uint64_t rotl(uint64_t x, int b) noexcept {
    return (x << b) | (x >> (64 - b));
}

// SipHash-2-4 of two 64-bit words (the RFC 6528 function F).
uint64_t siphash(const std::array<uint64_t, 2>& k, uint64_t m0, uint64_t m1) noexcept {
    uint64_t v0 = k[0] ^ 0x736f6d6570736575ull, v1 = k[1] ^ 0x646f72616e646f6dull;
    uint64_t v2 = k[0] ^ 0x6c7967656e657261ull, v3 = k[1] ^ 0x7465646279746573ull;
    auto round = [&] {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    };
    for (uint64_t m : {m0, m1, uint64_t(16) << 56}) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
    v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) {
        round();
    }
    return v0 ^ v1 ^ v2 ^ v3;
}

} // namespace

const char* to_string(tcp_state s) noexcept {
    switch (s) {
    case tcp_state::closed:
        return "CLOSED";
    case tcp_state::listen:
        return "LISTEN";
    case tcp_state::syn_sent:
        return "SYN_SENT";
    case tcp_state::syn_received:
        return "SYN_RECEIVED";
    case tcp_state::established:
        return "ESTABLISHED";
    case tcp_state::fin_wait_1:
        return "FIN_WAIT_1";
    case tcp_state::fin_wait_2:
        return "FIN_WAIT_2";
    case tcp_state::close_wait:
        return "CLOSE_WAIT";
    case tcp_state::closing:
        return "CLOSING";
    case tcp_state::last_ack:
        return "LAST_ACK";
    case tcp_state::time_wait:
        return "TIME_WAIT";
    }
    return "?";
}

// ---- basic_tcp ----

template <typename Clock>
std::size_t basic_tcp<Clock>::key_hash::operator()(const key& k) const noexcept {
    uint64_t a = (uint64_t(k.local_ip) << 32) | k.remote_ip;
    uint64_t b = (uint64_t(k.local_port) << 16) | k.remote_port;
    return std::size_t((a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full));
}

template <typename Clock>
basic_tcp<Clock>::basic_tcp(tcp_l3& l3, tcp_config cfg) : _l3(l3), _cfg(std::move(cfg)) {
    if (_cfg.isn_key) {
        _isn_key = *_cfg.isn_key;
    } else {
        std::random_device rd;
        _isn_key = {(uint64_t(rd()) << 32) | rd(), (uint64_t(rd()) << 32) | rd()};
    }
    if (_cfg.ephemeral_low == 0 || _cfg.ephemeral_high < _cfg.ephemeral_low) {
        throw std::invalid_argument("tcp_config: bad ephemeral port range");
    }
    _next_ephemeral = uint16_t(_cfg.ephemeral_low +
                               siphash(_isn_key, 1, 2) % (uint32_t(_cfg.ephemeral_high) - _cfg.ephemeral_low + 1));
    _reaper.set_callback([this] { _dead.clear(); });
}

template <typename Clock>
basic_tcp<Clock>::~basic_tcp() {
    auto conns = std::move(_conns);
    _conns.clear();
    for (auto& [k, c] : conns) {
        c->finish(make_error(ECONNABORTED, "tcp stack gone"));
        c->_tcp = nullptr;
    }
    for (auto& c : _dead) {
        c->_tcp = nullptr;
    }
    for (auto& [k, wl] : _listeners) {
        if (auto l = wl.lock()) {
            l->abort();
            l->tcp = nullptr;
        }
    }
}

template <typename Clock>
void basic_tcp<Clock>::drop(tcp_drop_reason r) noexcept {
    ++_stats.dropped;
    ++_stats.drops[std::size_t(r)];
}

template <typename Clock>
void basic_tcp<Clock>::forget(const key& k) noexcept {
    auto it = _conns.find(k);
    if (it == _conns.end()) {
        return;
    }
    _dead.push_back(std::move(it->second));
    _conns.erase(it);
    if (!_reaper.armed()) {
        _reaper.arm(Clock::now());
    }
}

template <typename Clock>
void basic_tcp<Clock>::forget_listener(uint32_t ip, uint16_t port) noexcept {
    _listeners.erase({ip, port});
}

template <typename Clock>
uint32_t basic_tcp<Clock>::make_isn(const key& k) const noexcept {
    // RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
    // M a 4-microsecond timer.
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
    uint64_t f =
        siphash(_isn_key, (uint64_t(k.local_ip) << 32) | k.remote_ip, (uint64_t(k.local_port) << 16) | k.remote_port);
    return uint32_t(us / 4) + uint32_t(f);
}

template <typename Clock>
bool basic_tcp<Clock>::allow_challenge_ack() noexcept {
    auto now = Clock::now();
    if (now - _challenge_window_start >= std::chrono::seconds(1)) {
        _challenge_window_start = now;
        _challenge_acks_in_window = 0;
    }
    return _challenge_acks_in_window++ < _cfg.challenge_acks_per_second;
}

template <typename Clock>
void basic_tcp<Clock>::send_reset_for(const tcp_segment& s, uint32_t src, uint32_t dst) {
    tcp_segment_header h;
    h.src_port = s.h.dst_port;
    h.dst_port = s.h.src_port;
    if (s.has(tcp_flags::ack)) {
        h.seq = s.h.ack;
        h.flags = tcp_flags::rst;
    } else {
        h.seq = 0;
        h.ack = s.h.seq + s.seg_len();
        h.flags = tcp_flags::rst | tcp_flags::ack;
    }
    ++_stats.segments_out;
    ++_stats.resets_out;
    _l3.send(dst, src, serialize_tcp_segment(h, {}, packet(), dst, src, _l3.tx_checksum_offload()));
}

template <typename Clock>
std::shared_ptr<internal::tcp_listener_state<Clock>> basic_tcp<Clock>::find_listener(uint32_t ip, uint16_t port) {
    for (uint32_t a : {ip, 0u}) {
        auto it = _listeners.find({a, port});
        if (it != _listeners.end()) {
            if (auto l = it->second.lock(); l && !l->aborted) {
                return l;
            }
        }
    }
    return nullptr;
}

template <typename Clock>
typename basic_tcp<Clock>::listener basic_tcp<Clock>::listen(uint32_t ip, uint16_t port, unsigned backlog) {
    if (port == 0) {
        throw std::system_error(EINVAL, std::system_category(), "tcp listen: port 0");
    }
    auto it = _listeners.find({ip, port});
    if (it != _listeners.end() && !it->second.expired()) {
        throw std::system_error(EADDRINUSE, std::system_category(), "tcp listen");
    }
    auto l = std::make_shared<internal::tcp_listener_state<Clock>>(this, ip, port, std::max(backlog, 1u));
    _listeners[{ip, port}] = l;
    return listener(std::move(l));
}

template <typename Clock>
void basic_tcp<Clock>::passive_open(internal::tcp_listener_state<Clock>& l, tcp_segment& s, uint32_t src,
                                    uint32_t dst) {
    if (l.full()) {
        drop(tcp_drop_reason::backlog_full);
        return;
    }
    key k{dst, src, s.h.dst_port, s.h.src_port};
    auto t = std::make_shared<internal::tcb<Clock>>(*this, k);
    t->_passive = true;
    t->_listener = find_listener(dst, s.h.dst_port);
    t->_counted_half_open = true;
    ++l.half_open;
    t->_state = tcp_state::syn_received;
    t->_irs = s.h.seq;
    t->_rcv_nxt = s.h.seq + 1;
    t->_rcv_adv = t->_rcv_nxt;
    if (_cfg.window_scaling && s.opts.wscale) {
        t->_wscale_ok = true;
        t->_snd_wscale = std::min(*s.opts.wscale, max_wscale);
        t->_rcv_wscale = t->wanted_wscale();
    }
    t->_ts_ok = _cfg.timestamps && s.opts.ts;
    if (t->_ts_ok) {
        t->_ts_recent = s.opts.ts->value;
    }
    t->negotiate(s);
    t->_iss = make_isn(k);
    t->_snd_una = t->_iss;
    t->_snd_nxt = t->_snd_max = t->_iss + 1;
    t->_snd_wnd = s.h.window;
    ++_stats.passive_opens;
    _conns.emplace(k, t);
    t->send_syn();
    t->arm_rto();
}

template <typename Clock>
void basic_tcp<Clock>::received(packet segment, uint32_t src, uint32_t dst) {
    _dead.clear();
    ++_stats.segments_in;
    tcp_segment s;
    auto why = parse_tcp_segment(std::move(segment), src, dst, !_l3.rx_checksum_verified(), s);
    if (why != tcp_drop_reason::none) {
        drop(why);
        return;
    }
    key k{dst, src, s.h.dst_port, s.h.src_port};
    if (auto it = _conns.find(k); it != _conns.end()) {
        auto c = it->second;
        // A new SYN may reopen a connection in TIME_WAIT (RFC 9293 3.10.7.4, RFC 6191).
        bool reopen = c->_state == tcp_state::time_wait && s.has(tcp_flags::syn) && !s.has(tcp_flags::ack) &&
                      seq_gt(s.h.seq, c->_rcv_nxt) && find_listener(dst, s.h.dst_port);
        if (!reopen) {
            c->input(s);
            return;
        }
        c->finish(nullptr);
    }
    if (s.has(tcp_flags::rst)) {
        ++_stats.resets_in;
        drop(tcp_drop_reason::rst_ignored);
        return;
    }
    auto l = find_listener(dst, s.h.dst_port);
    if (l && s.has(tcp_flags::syn) && !s.has(tcp_flags::ack)) {
        passive_open(*l, s, src, dst);
        return;
    }
    drop(tcp_drop_reason::no_connection);
    if (!l || s.has(tcp_flags::ack)) {
        send_reset_for(s, src, dst);
    }
}

template <typename Clock>
std::shared_ptr<internal::tcb<Clock>> basic_tcp<Clock>::start_connect(uint32_t local_ip, uint32_t remote_ip,
                                                                      uint16_t remote_port, uint16_t local_port) {
    key k{local_ip, remote_ip, local_port, remote_port};
    if (local_port == 0) {
        uint32_t range = uint32_t(_cfg.ephemeral_high) - _cfg.ephemeral_low + 1;
        bool found = false;
        for (uint32_t i = 0; i < range && !found; ++i) {
            k.local_port = _next_ephemeral;
            _next_ephemeral = _next_ephemeral == _cfg.ephemeral_high ? _cfg.ephemeral_low : _next_ephemeral + 1;
            found = !_conns.count(k) &&
                    (!_cfg.local_port_filter || _cfg.local_port_filter(local_ip, k.local_port, remote_ip, remote_port));
        }
        if (!found) {
            throw std::system_error(EADDRNOTAVAIL, std::system_category(), "tcp connect: no free port");
        }
    } else if (_conns.count(k)) {
        throw std::system_error(EADDRINUSE, std::system_category(), "tcp connect");
    }
    auto t = std::make_shared<internal::tcb<Clock>>(*this, k);
    t->_state = tcp_state::syn_sent;
    t->_iss = make_isn(k);
    t->_snd_una = t->_iss;
    t->_snd_nxt = t->_snd_max = t->_iss + 1;
    if (_cfg.window_scaling) {
        t->_wscale_ok = true;
        t->_rcv_wscale = t->wanted_wscale();
    }
    t->_connect_waiter.emplace();
    ++_stats.active_opens;
    _conns.emplace(k, t);
    t->_rtt_start = Clock::now();
    t->send_syn();
    t->arm_rto();
    return t;
}

template <typename Clock>
future<typename basic_tcp<Clock>::connection> basic_tcp<Clock>::connect(uint32_t local_ip, uint32_t remote_ip,
                                                                        uint16_t remote_port, uint16_t local_port) {
    std::shared_ptr<internal::tcb<Clock>> t;
    try {
        t = start_connect(local_ip, remote_ip, remote_port, local_port);
    } catch (...) {
        return make_exception_future<connection>(std::current_exception());
    }
    return t->_connect_waiter->get_future().then([t] { return connection(t); });
}

template <typename Clock>
future<typename basic_tcp<Clock>::connection> basic_tcp<Clock>::connect(uint32_t local_ip, uint32_t remote_ip,
                                                                        uint16_t remote_port, uint16_t local_port,
                                                                        abort_source& as) {
    if (as.abort_requested()) {
        return make_exception_future<connection>(make_error(ECONNABORTED, "tcp connect aborted"));
    }
    std::shared_ptr<internal::tcb<Clock>> t;
    try {
        t = start_connect(local_ip, remote_ip, remote_port, local_port);
    } catch (...) {
        return make_exception_future<connection>(std::current_exception());
    }
    std::weak_ptr<internal::tcb<Clock>> w = t;
    auto sub = as.subscribe([w]() noexcept {
        if (auto c = w.lock(); c && c->_connect_waiter) {
            c->abort_now(make_error(ECONNABORTED, "tcp connect aborted"));
        }
    });
    return t->_connect_waiter->get_future().then_wrapped([t, sub = std::move(sub)](future<> f) mutable {
        sub.reset();
        f.get();
        return connection(t);
    });
}

// ---- handles ----

template <typename Clock>
basic_tcp<Clock>::connection::connection(std::shared_ptr<internal::tcb<Clock>> t) noexcept : _tcb(std::move(t)) {}

template <typename Clock>
typename basic_tcp<Clock>::connection& basic_tcp<Clock>::connection::operator=(connection&& o) noexcept {
    if (this != &o) {
        this->~connection();
        new (this) connection(std::move(o));
    }
    return *this;
}

template <typename Clock>
basic_tcp<Clock>::connection::~connection() {
    if (_tcb && _tcb->_tcp) {
        _tcb->close();
    }
}

template <typename Clock>
future<> basic_tcp<Clock>::connection::send(packet p) {
    return _tcb->send(std::move(p));
}

template <typename Clock>
future<> basic_tcp<Clock>::connection::wait_for_data() {
    auto& t = *_tcb;
    if (t._rcv_queued || t._fin_received || t._input_shut) {
        return make_ready_future<>();
    }
    if (t._error) {
        return make_exception_future<>(t._error);
    }
    if (!t._tcp || t._state == tcp_state::closed) {
        return make_exception_future<>(make_error(ECONNABORTED, "tcp"));
    }
    if (t._data_waiter) {
        return make_exception_future<>(std::logic_error("tcp: two readers wait at once"));
    }
    t._data_waiter.emplace();
    return t._data_waiter->get_future();
}

template <typename Clock>
packet basic_tcp<Clock>::connection::read() {
    auto& t = *_tcb;
    packet out;
    for (auto& p : t._rcv_queue) {
        out.append(std::move(p));
    }
    t._rcv_queue.clear();
    t._rcv_queued = 0;
    if (t._tcp) {
        t.after_read();
    }
    return out;
}

template <typename Clock>
bool basic_tcp<Clock>::connection::eof() const noexcept {
    return (_tcb->_fin_received || _tcb->_input_shut) && _tcb->_rcv_queued == 0;
}

template <typename Clock>
void basic_tcp<Clock>::connection::shutdown_output() {
    _tcb->check_alive();
    _tcb->shutdown_output();
}

template <typename Clock>
void basic_tcp<Clock>::connection::shutdown_input() {
    _tcb->shutdown_input();
}

template <typename Clock>
void basic_tcp<Clock>::connection::close() {
    if (_tcb->_tcp) {
        _tcb->close();
    }
}

template <typename Clock>
void basic_tcp<Clock>::connection::abort() {
    if (_tcb->_tcp) {
        _tcb->_user_closed = true;
        _tcb->abort_now(make_error(ECONNABORTED, "tcp aborted"));
    }
}

template <typename Clock>
future<> basic_tcp<Clock>::connection::wait_closed() {
    auto& t = *_tcb;
    if (t._state == tcp_state::closed || t._state == tcp_state::time_wait) {
        return t._error ? make_exception_future<>(t._error) : make_ready_future<>();
    }
    t._closed_waiters.emplace_back();
    return t._closed_waiters.back().get_future();
}

template <typename Clock>
future<> basic_tcp<Clock>::connection::wait_input_shutdown() {
    auto& t = *_tcb;
    if (t._fin_received || t._input_shut || t._state == tcp_state::closed || !t._tcp) {
        return t._error ? make_exception_future<>(t._error) : make_ready_future<>();
    }
    t._input_waiters.emplace_back();
    return t._input_waiters.back().get_future();
}

template <typename Clock>
future<> basic_tcp<Clock>::connection::wait_send_acked() {
    auto& t = *_tcb;
    if (t._error) {
        return make_exception_future<>(t._error);
    }
    if (t._snd_una == t._snd_max && t._snd_queued == 0) {
        return make_ready_future<>();
    }
    t._acked_waiters.emplace_back();
    return t._acked_waiters.back().get_future();
}

template <typename Clock>
void basic_tcp<Clock>::connection::set_nodelay(bool v) noexcept {
    _tcb->_nodelay = v;
    if (v && _tcb->_tcp) {
        _tcb->output();
    }
}
template <typename Clock>
bool basic_tcp<Clock>::connection::get_nodelay() const noexcept {
    return _tcb->_nodelay;
}
template <typename Clock>
void basic_tcp<Clock>::connection::set_keepalive(bool v) {
    _tcb->_keepalive = v;
    _tcb->_ka_probes = 0;
    if (v) {
        _tcb->arm_keepalive();
    } else {
        _tcb->_keepalive_timer.cancel();
    }
}
template <typename Clock>
bool basic_tcp<Clock>::connection::get_keepalive() const noexcept {
    return _tcb->_keepalive;
}
template <typename Clock>
void basic_tcp<Clock>::connection::set_keepalive_parameters(const tcp_keepalive_params& p) {
    if (p.count == 0 || p.idle.count() <= 0 || p.interval.count() <= 0) {
        throw std::invalid_argument("tcp keepalive: idle, interval and count must be positive");
    }
    _tcb->_ka = p;
    if (_tcb->_keepalive) {
        _tcb->arm_keepalive();
    }
}
template <typename Clock>
tcp_keepalive_params basic_tcp<Clock>::connection::get_keepalive_parameters() const noexcept {
    return _tcb->_ka;
}
template <typename Clock>
tcp_state basic_tcp<Clock>::connection::state() const noexcept {
    return _tcb->_state;
}
template <typename Clock>
uint32_t basic_tcp<Clock>::connection::local_ip() const noexcept {
    return _tcb->_key.local_ip;
}
template <typename Clock>
uint16_t basic_tcp<Clock>::connection::local_port() const noexcept {
    return _tcb->_key.local_port;
}
template <typename Clock>
uint32_t basic_tcp<Clock>::connection::remote_ip() const noexcept {
    return _tcb->_key.remote_ip;
}
template <typename Clock>
uint16_t basic_tcp<Clock>::connection::remote_port() const noexcept {
    return _tcb->_key.remote_port;
}
template <typename Clock>
uint16_t basic_tcp<Clock>::connection::send_mss() const noexcept {
    return _tcb->_snd_mss;
}
template <typename Clock>
bool basic_tcp<Clock>::connection::timestamps_enabled() const noexcept {
    return _tcb->_ts_ok;
}
template <typename Clock>
uint8_t basic_tcp<Clock>::connection::send_window_scale() const noexcept {
    return _tcb->_snd_wscale;
}
template <typename Clock>
uint32_t basic_tcp<Clock>::connection::cwnd() const noexcept {
    return _tcb->_cc ? _tcb->_cc->cwnd() : 0;
}

template <typename Clock>
basic_tcp<Clock>::listener::listener(std::shared_ptr<internal::tcp_listener_state<Clock>> s) noexcept
    : _state(std::move(s)) {}

template <typename Clock>
typename basic_tcp<Clock>::listener& basic_tcp<Clock>::listener::operator=(listener&& o) noexcept {
    if (this != &o) {
        this->~listener();
        new (this) listener(std::move(o));
    }
    return *this;
}

template <typename Clock>
basic_tcp<Clock>::listener::~listener() {
    if (_state) {
        abort_accept();
    }
}

template <typename Clock>
future<typename basic_tcp<Clock>::connection> basic_tcp<Clock>::listener::accept() {
    auto& l = *_state;
    if (!l.ready.empty()) {
        auto c = std::move(l.ready.front());
        l.ready.pop_front();
        return make_ready_future<connection>(connection(std::move(c)));
    }
    if (l.aborted || !l.tcp) {
        return make_exception_future<connection>(make_error(ECONNABORTED, "accept"));
    }
    if (l.waiter) {
        return make_exception_future<connection>(std::logic_error("tcp: two accept() calls wait at once"));
    }
    l.waiter.emplace();
    return l.waiter->get_future();
}

template <typename Clock>
void basic_tcp<Clock>::listener::abort_accept() {
    auto& l = *_state;
    if (!l.aborted && l.tcp) {
        l.tcp->forget_listener(l.ip, l.port);
    }
    l.abort();
}

template <typename Clock>
uint16_t basic_tcp<Clock>::listener::port() const noexcept {
    return _state->port;
}

template <typename Clock>
uint32_t basic_tcp<Clock>::listener::ip() const noexcept {
    return _state->ip;
}

template class basic_tcp<steady_clock_type>;
template class basic_tcp<manual_clock>;

} // namespace seastar::net
