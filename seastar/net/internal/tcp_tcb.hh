// The connection control block of seastar/net/tcp.hh (private to :tcp).
//
// tcb<Clock> is one connection: RFC 9293's send and receive variables, the
// send and reassembly queues, timers, congestion control and the user-side
// waiters; tcp_listener_state<Clock> is one listener's accept queue and SYN
// backlog. basic_tcp<Clock> owns both through its tables and hands out
// handles; everything here runs on the owning shard.
#pragma once

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/timer.hh"
#include "seastar/net/packet.hh"
#include "seastar/net/tcp.hh"
#include "seastar/net/tcp_congestion.hh"
#include "seastar/net/tcp_segment.hh"

namespace seastar::net::internal {

inline bool seq_lt(uint32_t a, uint32_t b) noexcept {
    return int32_t(a - b) < 0;
}
inline bool seq_leq(uint32_t a, uint32_t b) noexcept {
    return int32_t(a - b) <= 0;
}
inline bool seq_gt(uint32_t a, uint32_t b) noexcept {
    return int32_t(a - b) > 0;
}
inline bool seq_geq(uint32_t a, uint32_t b) noexcept {
    return int32_t(a - b) >= 0;
}

inline std::exception_ptr make_error(int e, const char* what) {
    return std::make_exception_ptr(std::system_error(e, std::system_category(), what));
}

inline constexpr uint8_t max_wscale = 14;

template <typename Clock>
class tcp_listener_state {
public:
    using tcp_t = basic_tcp<Clock>;
    tcp_t* tcp;
    uint32_t ip;
    uint16_t port;
    unsigned backlog;
    unsigned half_open = 0;
    std::deque<std::shared_ptr<tcb<Clock>>> ready;
    std::optional<promise<typename tcp_t::connection>> waiter;
    bool aborted = false;

    tcp_listener_state(tcp_t* t, uint32_t i, uint16_t p, unsigned b) : tcp(t), ip(i), port(p), backlog(b) {}
    bool full() const noexcept { return half_open + ready.size() >= backlog; }
    void push(std::shared_ptr<tcb<Clock>> c) {
        if (waiter) {
            auto w = std::move(*waiter);
            waiter.reset();
            w.set_value(typename tcp_t::connection(std::move(c)));
        } else {
            ready.push_back(std::move(c));
        }
    }
    void abort() {
        aborted = true;
        for (auto& c : std::exchange(ready, {})) {
            c->_user_closed = true;
            c->abort_now(make_error(ECONNABORTED, "listener closed"));
        }
        if (waiter) {
            auto w = std::move(*waiter);
            waiter.reset();
            w.set_exception(make_error(ECONNABORTED, "accept"));
        }
    }
};

template <typename Clock>
class tcb : public std::enable_shared_from_this<tcb<Clock>> {
public:
    using tcp_t = basic_tcp<Clock>;
    using key_t = typename tcp_t::key;
    using duration = typename Clock::duration;
    using time_point = typename Clock::time_point;

    tcp_t* _tcp;
    key_t _key;
    tcp_state _state = tcp_state::closed;
    std::weak_ptr<tcp_listener_state<Clock>> _listener;
    bool _passive = false;
    bool _counted_half_open = false;

    // Send side (RFC 9293 names).
    uint32_t _iss = 0, _snd_una = 0, _snd_nxt = 0, _snd_max = 0;
    uint32_t _snd_wnd = 0, _snd_wl1 = 0, _snd_wl2 = 0, _max_snd_wnd = 0;
    uint8_t _snd_wscale = 0, _rcv_wscale = 0;
    bool _wscale_ok = false;
    uint16_t _snd_mss = 536;
    std::deque<packet> _snd_queue; // bytes from _snd_data_seq on: unacknowledged, then unsent
    uint32_t _snd_queued = 0;
    uint32_t _snd_data_seq = 0;
    bool _fin_queued = false;
    uint32_t _fin_seq = 0;
    bool _nodelay = false;
    bool _output_shut = false;

    // Receive side.
    uint32_t _irs = 0, _rcv_nxt = 0, _rcv_adv = 0;
    uint64_t _rcv_offset = 0; // stream offset of _rcv_nxt (for the out-of-order map)
    std::deque<packet> _rcv_queue;
    uint32_t _rcv_queued = 0;
    std::map<uint64_t, packet> _ooo;
    uint32_t _ooo_bytes = 0;
    std::optional<uint64_t> _ooo_fin;
    bool _fin_received = false;
    bool _input_shut = false;
    unsigned _unacked_segs = 0;

    // Timestamps (RFC 7323).
    bool _ts_ok = false;
    uint32_t _ts_recent = 0;
    uint32_t _ts_offset = 0;
    uint32_t _last_ack_sent = 0;

    // RTT and RTO (RFC 6298).
    duration _srtt{0}, _rttvar{0}, _rto;
    bool _rtt_valid = false;
    bool _rtt_timing = false;
    uint32_t _rtt_seq = 0;
    time_point _rtt_start{};
    unsigned _retries = 0;

    // Congestion control and recovery (RFC 5681, RFC 6582).
    std::unique_ptr<tcp_congestion_control> _cc;
    unsigned _dupacks = 0;
    bool _in_recovery = false;
    uint32_t _recover = 0;

    timer<Clock> _rto_timer, _delack_timer, _persist_timer, _keepalive_timer, _linger_timer;
    unsigned _persist_backoff = 0;
    bool _keepalive = false;
    tcp_keepalive_params _ka{std::chrono::seconds(7200), std::chrono::seconds(75), 9};
    unsigned _ka_probes = 0;

    // The user side.
    bool _user_closed = false;
    std::exception_ptr _error;
    std::optional<promise<>> _connect_waiter;
    std::optional<promise<>> _data_waiter;
    std::vector<promise<>> _space_waiters, _acked_waiters, _closed_waiters, _input_waiters;

    tcb(tcp_t& t, key_t k) : _tcp(&t), _key(k), _rto(std::chrono::duration_cast<duration>(t.config().initial_rto)) {
        _rto_timer.set_callback([this] { on_rto(); });
        _delack_timer.set_callback([this] { send_ack(); });
        _persist_timer.set_callback([this] { on_persist(); });
        _keepalive_timer.set_callback([this] { on_keepalive(); });
        _linger_timer.set_callback([this] { finish(nullptr); });
        _ts_offset = uint32_t(t.make_isn(k) * 2654435761u);
    }

    const tcp_config& cfg() const noexcept { return _tcp->config(); }
    tcp_stats& stats() noexcept { return _tcp->mutable_stats(); }
    bool synchronized() const noexcept {
        return _state != tcp_state::closed && _state != tcp_state::listen && _state != tcp_state::syn_sent;
    }
    uint32_t data_end() const noexcept { return _snd_data_seq + _snd_queued; }
    uint32_t flight() const noexcept { return _snd_nxt - _snd_una; }
    uint32_t ts_now() const noexcept {
        return uint32_t(
                   std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count()) +
               _ts_offset;
    }
    std::chrono::nanoseconds since_epoch() const noexcept {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch());
    }
    uint16_t local_mss() const noexcept {
        auto m = _tcp->l3().mtu(_key.remote_ip);
        return uint16_t(m > 40 + 64 ? m - 40 : 64);
    }
    uint8_t wanted_wscale() const noexcept {
        uint8_t s = 0;
        while (s < max_wscale && (cfg().receive_buffer >> s) > 65535) {
            ++s;
        }
        return s;
    }
    uint32_t rcv_space() const noexcept {
        return cfg().receive_buffer > _rcv_queued ? cfg().receive_buffer - _rcv_queued : 0;
    }

    // ---- output ----

    void transmit(uint32_t seq, uint8_t flags, packet payload) {
        if (!_tcp) {
            return;
        }
        bool syn = flags & tcp_flags::syn;
        tcp_segment_header h;
        h.src_port = _key.local_port;
        h.dst_port = _key.remote_port;
        h.seq = seq;
        h.flags = flags;
        tcp_option_values o;
        if (flags & tcp_flags::ack) {
            h.ack = _rcv_nxt;
        }
        if (syn) {
            h.window = uint16_t(std::min<uint32_t>(rcv_space(), 65535));
            _rcv_adv = _rcv_nxt + h.window;
            o.mss = local_mss();
            if (_wscale_ok) {
                o.wscale = _rcv_wscale;
            }
            if (_ts_ok || (cfg().timestamps && _state == tcp_state::syn_sent)) {
                o.ts = tcp_option_values::timestamps{ts_now(), _ts_ok ? _ts_recent : 0};
            }
        } else {
            uint32_t wnd = std::min<uint32_t>(rcv_space() >> _rcv_wscale, 65535);
            if (seq_lt(_rcv_nxt + (wnd << _rcv_wscale), _rcv_adv)) { // never shrink the window
                uint32_t unit = 1u << _rcv_wscale;
                wnd = std::min<uint32_t>((_rcv_adv - _rcv_nxt + unit - 1) >> _rcv_wscale, 65535);
            }
            h.window = uint16_t(wnd);
            uint32_t right = _rcv_nxt + (wnd << _rcv_wscale);
            if (seq_gt(right, _rcv_adv)) {
                _rcv_adv = right;
            }
            if (_ts_ok) {
                o.ts = tcp_option_values::timestamps{ts_now(), _ts_recent};
            }
        }
        if (flags & tcp_flags::ack) {
            _last_ack_sent = _rcv_nxt;
            _unacked_segs = 0;
            _delack_timer.cancel();
        }
        auto& st = stats();
        ++st.segments_out;
        st.bytes_out += payload ? payload.len() : 0;
        if (flags & tcp_flags::rst) {
            ++st.resets_out;
        }
        auto& l3 = _tcp->l3();
        bool large = payload && payload.len() > _snd_mss;
        auto seg = serialize_tcp_segment(h, o, std::move(payload), _key.local_ip, _key.remote_ip,
                                         large || l3.tx_checksum_offload());
        if (large) {
            l3.send_large(_key.local_ip, _key.remote_ip, std::move(seg), _snd_mss);
        } else {
            l3.send(_key.local_ip, _key.remote_ip, std::move(seg));
        }
    }

    // The most payload one segment may carry: the MSS, or with segmentation
    // offload as many whole MSS-sized pieces as the device takes at once.
    uint32_t max_burst() const noexcept {
        uint32_t mss = _snd_mss;
        uint32_t tso = _tcp->l3().tso_max_segment();
        constexpr uint32_t max_tcp_header = 60;
        if (tso <= max_tcp_header + 2 * mss) {
            return mss;
        }
        return (tso - max_tcp_header) / mss * mss;
    }

    // SND.MAX, not SND.NXT: after a timeout SND.NXT goes back, and an ACK
    // below the peer's RCV.NXT would be unacceptable to it.
    void send_ack() { transmit(_snd_max, tcp_flags::ack, packet::make_null_packet()); }
    void send_probe() { transmit(_snd_una - 1, tcp_flags::ack, packet::make_null_packet()); }
    void send_challenge_ack() {
        if (_tcp && _tcp->allow_challenge_ack()) {
            ++stats().challenge_acks;
            send_ack();
        }
    }
    void send_syn() {
        uint8_t flags = tcp_flags::syn | (_state == tcp_state::syn_received ? tcp_flags::ack : 0);
        transmit(_iss, flags, packet::make_null_packet());
    }

    // Bytes [seq, seq + len) of the send queue, sharing the user's buffers.
    packet extract(uint32_t seq, uint32_t len) {
        packet out;
        uint32_t off = seq - _snd_data_seq;
        for (auto& p : _snd_queue) {
            if (len == 0) {
                break;
            }
            if (off >= p.len()) {
                off -= p.len();
                continue;
            }
            uint32_t n = std::min<uint32_t>(p.len() - off, len);
            out.append(p.share(off, n));
            len -= n;
            off = 0;
        }
        return out;
    }

    // Sends (or resends) the segment starting at `seq`: up to `len` data
    // bytes, plus FIN if it reaches the end of a closed stream.
    uint32_t send_data_at(uint32_t seq, uint32_t len) {
        uint8_t flags = tcp_flags::ack;
        if (seq + len == data_end()) {
            flags |= tcp_flags::psh;
            if (_fin_queued) {
                flags |= tcp_flags::fin;
            }
        }
        if (seq_lt(seq, _snd_max)) {
            ++stats().retransmitted_segments;
        } else if (!_rtt_timing && !_ts_ok && len) {
            _rtt_timing = true;
            _rtt_seq = seq + len;
            _rtt_start = Clock::now();
        }
        transmit(seq, flags, len ? extract(seq, len) : packet::make_null_packet());
        return len + ((flags & tcp_flags::fin) ? 1 : 0);
    }

    void arm_rto() {
        if (!_rto_timer.armed()) {
            _rto_timer.arm(Clock::now() + _rto);
        }
    }

    void output() {
        if (!_tcp) {
            return;
        }
        switch (_state) {
        case tcp_state::established:
        case tcp_state::close_wait:
        case tcp_state::fin_wait_1:
        case tcp_state::closing:
        case tcp_state::last_ack:
            break;
        default:
            return;
        }
        uint32_t mss = _snd_mss;
        uint32_t burst = max_burst();
        while (true) {
            uint32_t end = data_end();
            uint32_t unsent = seq_lt(_snd_nxt, end) ? end - _snd_nxt : 0;
            bool fin_pending = _fin_queued && seq_leq(_snd_nxt, _fin_seq);
            if (unsent == 0 && !fin_pending) {
                break;
            }
            uint32_t wnd = std::min(_snd_wnd, _cc->cwnd());
            uint32_t in_flight = flight();
            uint32_t usable = wnd > in_flight ? wnd - in_flight : 0;
            uint32_t len = std::min({unsent, burst, usable});
            if (unsent > 0 && len == 0) {
                break;
            }
            if (len > mss && len < unsent) {
                // Whole segments only: the remainder waits for the rules
                // below, as it would without segmentation offload.
                len -= len % mss;
            }
            if (len < mss && len < unsent && in_flight > 0) {
                break; // sender-side silly window avoidance
            }
            if (len > 0 && len < mss && in_flight > 0 && !_nodelay && !_fin_queued) {
                break; // Nagle: one small segment in flight at a time
            }
            _snd_nxt += send_data_at(_snd_nxt, len);
            if (seq_gt(_snd_nxt, _snd_max)) {
                _snd_max = _snd_nxt;
            }
        }
        if (_snd_nxt != _snd_una) {
            arm_rto();
            _persist_timer.cancel();
        } else if (seq_lt(_snd_nxt, data_end()) && _snd_wnd < std::min<uint32_t>(mss, data_end() - _snd_nxt)) {
            if (!_persist_timer.armed()) {
                _persist_backoff = 0;
                _persist_timer.arm(Clock::now() + _rto);
            }
        }
    }

    // ---- timers ----

    void on_rto() {
        if (_snd_una == _snd_max) {
            return;
        }
        if (_snd_nxt == _snd_una && _cc) {
            // Nothing in flight since a timeout met a zero window: the
            // persist timer is in charge, and a closed window is no failure.
            output();
            return;
        }
        ++stats().timeouts;
        unsigned limit = synchronized() && _state != tcp_state::syn_received ? cfg().data_retries : cfg().syn_retries;
        if (_retries >= limit) {
            if (synchronized()) {
                transmit(_snd_max, tcp_flags::rst | tcp_flags::ack, packet::make_null_packet());
            }
            finish(make_error(ETIMEDOUT, "tcp retransmission"));
            return;
        }
        ++_retries;
        _rto = std::min(_rto * 2, std::chrono::duration_cast<duration>(cfg().max_rto));
        _rtt_timing = false; // Karn
        if (_state == tcp_state::syn_sent || _state == tcp_state::syn_received) {
            send_syn();
            ++stats().retransmitted_segments;
            _rto_timer.arm(Clock::now() + _rto);
            return;
        }
        _cc->on_timeout(flight(), since_epoch());
        _in_recovery = false;
        _dupacks = 0;
        _recover = _snd_max;
        _snd_nxt = _snd_una; // go back N
        output();
        if (_snd_nxt != _snd_una) {
            arm_rto();
        }
    }

    void on_persist() {
        if (_state == tcp_state::closed || _snd_wnd > 0 || _snd_nxt != _snd_una) {
            output();
            return;
        }
        send_probe();
        _persist_backoff = std::min(_persist_backoff + 1, 16u);
        auto d = std::min(_rto * (1u << std::min(_persist_backoff, 6u)),
                          std::chrono::duration_cast<duration>(cfg().max_rto));
        _persist_timer.arm(Clock::now() + d);
    }

    void arm_keepalive() {
        if (_keepalive && _state == tcp_state::established) {
            _keepalive_timer.rearm(Clock::now() + std::chrono::duration_cast<duration>(_ka.idle));
        }
    }

    void on_keepalive() {
        if (_ka_probes >= _ka.count) {
            transmit(_snd_max, tcp_flags::rst | tcp_flags::ack, packet::make_null_packet());
            finish(make_error(ETIMEDOUT, "tcp keepalive"));
            return;
        }
        ++_ka_probes;
        send_probe();
        _keepalive_timer.arm(Clock::now() + std::chrono::duration_cast<duration>(_ka.interval));
    }

    // ---- state changes ----

    void wake_reader() {
        if (_data_waiter) {
            auto w = std::move(*_data_waiter);
            _data_waiter.reset();
            if (_error && _rcv_queued == 0) {
                w.set_exception(_error);
            } else {
                w.set_value();
            }
        }
    }

    void wake_input_waiters() {
        for (auto& p : std::exchange(_input_waiters, {})) {
            _error ? p.set_exception(_error) : p.set_value();
        }
    }

    void wake_writers() {
        if (_snd_queued < cfg().send_buffer || _error) {
            for (auto& p : std::exchange(_space_waiters, {})) {
                _error ? p.set_exception(_error) : p.set_value();
            }
        }
        if (_snd_una == _snd_max || _error) {
            for (auto& p : std::exchange(_acked_waiters, {})) {
                _error ? p.set_exception(_error) : p.set_value();
            }
        }
    }

    void leave_half_open() {
        if (_counted_half_open) {
            _counted_half_open = false;
            if (auto l = _listener.lock()) {
                --l->half_open;
            }
        }
    }

    // Leaves the table: CLOSED, with `err` given to whoever waits.
    void finish(std::exception_ptr err) {
        if (_state == tcp_state::closed && !_tcp) {
            return;
        }
        auto keep = this->shared_from_this();
        bool was_closed = _state == tcp_state::closed;
        _state = tcp_state::closed;
        if (err && !_error) {
            _error = err;
        }
        _rto_timer.cancel();
        _delack_timer.cancel();
        _persist_timer.cancel();
        _keepalive_timer.cancel();
        _linger_timer.cancel();
        leave_half_open();
        if (_connect_waiter) {
            auto w = std::move(*_connect_waiter);
            _connect_waiter.reset();
            w.set_exception(_error ? _error : make_error(ECONNABORTED, "connect"));
        }
        wake_reader();
        wake_writers();
        wake_input_waiters();
        for (auto& p : std::exchange(_closed_waiters, {})) {
            _error ? p.set_exception(_error) : p.set_value();
        }
        if (_tcp && !was_closed) {
            _tcp->forget(_key);
        }
    }

    void enter_time_wait() {
        _state = tcp_state::time_wait;
        _rto_timer.cancel();
        _persist_timer.cancel();
        _keepalive_timer.cancel();
        _linger_timer.rearm(Clock::now() + std::chrono::duration_cast<duration>(cfg().time_wait));
        for (auto& p : std::exchange(_closed_waiters, {})) {
            p.set_value();
        }
        wake_writers();
    }

    void established() {
        _state = tcp_state::established;
        _recover = _iss; // RFC 6582: recover starts at the ISS
        _retries = 0;
        leave_half_open();
        _cc = make_tcp_congestion_control(cfg().congestion, _snd_mss);
        arm_keepalive();
        if (_connect_waiter) {
            auto w = std::move(*_connect_waiter);
            _connect_waiter.reset();
            w.set_value();
        } else if (_passive) {
            if (auto l = _listener.lock(); l && !l->aborted) {
                l->push(this->shared_from_this());
            } else {
                abort_now(make_error(ECONNABORTED, "listener gone"));
                return;
            }
        }
        if (_fin_queued) {
            _state = tcp_state::fin_wait_1;
        }
        output();
    }

    void abort_now(std::exception_ptr err) {
        if (synchronized() && _state != tcp_state::time_wait) {
            transmit(_snd_max, tcp_flags::rst | tcp_flags::ack, packet::make_null_packet());
        }
        finish(err);
    }

    // ---- input ----

    void sample_rtt(duration r) {
        if (r < duration(0)) {
            return;
        }
        if (!_rtt_valid) {
            _srtt = r;
            _rttvar = r / 2;
            _rtt_valid = true;
        } else {
            auto diff = _srtt > r ? _srtt - r : r - _srtt;
            _rttvar = (_rttvar * 3 + diff) / 4;
            _srtt = (_srtt * 7 + r) / 8;
        }
        duration g = std::chrono::duration_cast<duration>(std::chrono::milliseconds(1));
        _rto = _srtt + std::max(g, _rttvar * 4);
        _rto = std::clamp(_rto, std::chrono::duration_cast<duration>(cfg().min_rto),
                          std::chrono::duration_cast<duration>(cfg().max_rto));
    }

    void negotiate(const tcp_segment& s) {
        uint16_t peer_mss = s.opts.mss.value_or(536);
        _snd_mss = std::max<uint16_t>(std::min(peer_mss, local_mss()), 64);
        if (_ts_ok) {
            _snd_mss -= 12; // the timestamps option rides on every segment
        }
    }

    // The SYN-ACK (or a simultaneous SYN) while in SYN_SENT.
    void input_syn_sent(tcp_segment& s) {
        bool has_ack = s.has(tcp_flags::ack);
        if (has_ack && (seq_leq(s.h.ack, _iss) || seq_gt(s.h.ack, _snd_max))) {
            if (!s.has(tcp_flags::rst)) {
                transmit(s.h.ack, tcp_flags::rst, packet::make_null_packet());
            }
            _tcp->drop(tcp_drop_reason::bad_ack);
            return;
        }
        if (s.has(tcp_flags::rst)) {
            if (has_ack) {
                ++stats().resets_in;
                finish(make_error(ECONNREFUSED, "connect"));
            } else {
                _tcp->drop(tcp_drop_reason::rst_ignored);
            }
            return;
        }
        if (!s.has(tcp_flags::syn)) {
            _tcp->drop(tcp_drop_reason::no_connection);
            return;
        }
        _irs = s.h.seq;
        _rcv_nxt = _irs + 1;
        _rcv_adv = _rcv_nxt;
        if (s.opts.wscale && cfg().window_scaling) {
            _snd_wscale = std::min(*s.opts.wscale, max_wscale);
        } else {
            _wscale_ok = false;
            _snd_wscale = 0;
            _rcv_wscale = 0;
        }
        _ts_ok = cfg().timestamps && s.opts.ts;
        if (_ts_ok) {
            _ts_recent = s.opts.ts->value;
        }
        negotiate(s);
        _snd_wnd = s.h.window; // never scaled in a SYN
        _snd_wl1 = s.h.seq;
        _snd_wl2 = s.h.ack;
        _max_snd_wnd = _snd_wnd;
        if (has_ack) {
            _snd_una = s.h.ack;
            _rto_timer.cancel();
            if (_ts_ok && s.opts.ts->echo_reply) {
                sample_rtt(
                    std::chrono::duration_cast<duration>(std::chrono::milliseconds(ts_now() - s.opts.ts->echo_reply)));
            } else if (_retries == 0) {
                sample_rtt(Clock::now() - _rtt_start);
            }
            _snd_data_seq = _snd_una;
            send_ack();
            established();
        } else {
            _state = tcp_state::syn_received; // simultaneous open
            send_syn();
            _rto_timer.rearm(Clock::now() + _rto);
        }
    }

    bool acceptable(uint32_t seq, uint32_t len) const noexcept {
        uint32_t wnd = _rcv_adv - _rcv_nxt;
        if (len == 0) {
            return wnd == 0 ? seq == _rcv_nxt : seq_geq(seq, _rcv_nxt) && seq_lt(seq, _rcv_nxt + wnd);
        }
        if (wnd == 0) {
            return false;
        }
        return (seq_geq(seq, _rcv_nxt) && seq_lt(seq, _rcv_nxt + wnd)) ||
               (seq_geq(seq + len - 1, _rcv_nxt) && seq_lt(seq + len - 1, _rcv_nxt + wnd));
    }

    void input(tcp_segment& s) {
        auto keep = this->shared_from_this();
        if (_state == tcp_state::syn_sent) {
            input_syn_sent(s);
            return;
        }
        if (_state == tcp_state::closed) {
            _tcp->drop(tcp_drop_reason::no_connection);
            return;
        }
        _ka_probes = 0;
        arm_keepalive();
        uint32_t seq = s.h.seq;
        uint32_t len = s.seg_len();
        if (_state == tcp_state::syn_received && s.has(tcp_flags::syn) && !s.has(tcp_flags::ack) && seq == _irs) {
            send_syn(); // our SYN-ACK was lost: the peer repeats its SYN
            ++stats().retransmitted_segments;
            return;
        }

        // RST (RFC 5961 3.2): exact match resets, else a challenge ACK.
        if (s.has(tcp_flags::rst)) {
            uint32_t wnd = std::max<uint32_t>(_rcv_adv - _rcv_nxt, 1);
            if (seq == _rcv_nxt) {
                ++stats().resets_in;
                on_reset();
            } else if (seq_gt(seq, _rcv_nxt) && seq_lt(seq, _rcv_nxt + wnd)) {
                send_challenge_ack();
                _tcp->drop(tcp_drop_reason::rst_ignored);
            } else {
                _tcp->drop(tcp_drop_reason::rst_ignored);
            }
            return;
        }
        // PAWS (RFC 7323 5).
        if (_ts_ok && s.opts.ts && seq_lt(s.opts.ts->value, _ts_recent)) {
            send_ack();
            _tcp->drop(tcp_drop_reason::paws);
            return;
        }
        // Sequence number check.
        bool zero_window_data = false;
        if (!acceptable(seq, len)) {
            bool zero_window_ack = _rcv_adv == _rcv_nxt && seq == _rcv_nxt;
            if (!zero_window_ack) {
                if (_state == tcp_state::time_wait && s.has(tcp_flags::fin)) {
                    // A retransmitted FIN: acknowledge it and restart 2 MSL.
                    _linger_timer.rearm(Clock::now() + std::chrono::duration_cast<duration>(cfg().time_wait));
                }
                send_ack();
                _tcp->drop(tcp_drop_reason::out_of_window);
                return;
            }
            // Zero window: still take the ACK and the window from it, and
            // answer (the data was not acceptable).
            zero_window_data = s.payload.len() > 0;
            s.payload = packet::make_null_packet();
            s.h.flags &= ~tcp_flags::fin;
            _tcp->drop(tcp_drop_reason::no_buffer);
        }
        if (_ts_ok && s.opts.ts && seq_leq(seq, _last_ack_sent)) {
            _ts_recent = s.opts.ts->value;
        }
        // SYN in a synchronized state: challenge ACK (RFC 5961 4).
        if (s.has(tcp_flags::syn)) {
            send_challenge_ack();
            _tcp->drop(tcp_drop_reason::syn_in_window);
            return;
        }
        // Trim to the window.
        if (seq_lt(seq, _rcv_nxt)) {
            uint32_t cut = _rcv_nxt - seq;
            if (cut >= s.payload.len()) {
                bool fin = s.has(tcp_flags::fin) && cut <= s.payload.len();
                s.payload = packet::make_null_packet();
                if (!fin) {
                    s.h.flags &= ~tcp_flags::fin;
                }
            } else {
                s.payload.trim_front(cut);
            }
            seq = _rcv_nxt;
        }
        uint32_t right = _rcv_adv;
        if (s.payload && s.payload.len() && seq_gt(seq + s.payload.len(), right)) {
            uint32_t keep_len = seq_gt(right, seq) ? right - seq : 0;
            s.payload.trim_back(s.payload.len() - keep_len);
            s.h.flags &= ~tcp_flags::fin;
        }
        if (!s.has(tcp_flags::ack)) {
            _tcp->drop(tcp_drop_reason::no_ack);
            return;
        }
        if (!input_ack(s)) {
            return;
        }
        if (_state == tcp_state::closed) {
            return;
        }
        input_text(s, seq);
        output();
        if (zero_window_data && _state != tcp_state::closed) {
            send_ack();
        }
    }

    void on_reset() {
        switch (_state) {
        case tcp_state::syn_received:
            if (_passive) {
                finish(nullptr); // back to LISTEN: the listener never saw it
            } else {
                finish(make_error(ECONNREFUSED, "connect"));
            }
            break;
        case tcp_state::closing:
        case tcp_state::last_ack:
        case tcp_state::time_wait:
            finish(nullptr);
            break;
        default:
            finish(make_error(ECONNRESET, "tcp"));
            break;
        }
    }

    // The ACK field; false when the segment is finished with.
    bool input_ack(tcp_segment& s) {
        uint32_t ack = s.h.ack;
        if (_state == tcp_state::syn_received) {
            if (seq_leq(ack, _snd_una) || seq_gt(ack, _snd_max)) {
                transmit(ack, tcp_flags::rst, packet::make_null_packet());
                _tcp->drop(tcp_drop_reason::bad_ack);
                return false;
            }
            _snd_una = ack;
            _snd_nxt = ack;
            _snd_data_seq = ack;
            _rto_timer.cancel();
            _snd_wnd = uint32_t(s.h.window) << _snd_wscale;
            _snd_wl1 = s.h.seq;
            _snd_wl2 = ack;
            _max_snd_wnd = _snd_wnd;
            if (_ts_ok && s.opts.ts && s.opts.ts->echo_reply) {
                sample_rtt(
                    std::chrono::duration_cast<duration>(std::chrono::milliseconds(ts_now() - s.opts.ts->echo_reply)));
            }
            established();
            return _state != tcp_state::closed;
        }
        if (seq_gt(ack, _snd_max) || seq_lt(ack, _snd_una - _max_snd_wnd)) {
            send_challenge_ack();
            _tcp->drop(tcp_drop_reason::bad_ack);
            return false;
        }
        uint32_t wnd = uint32_t(s.h.window) << _snd_wscale;
        if (seq_gt(ack, _snd_una)) {
            new_ack(s, ack);
        } else if (ack == _snd_una && s.payload.len() == 0 && !s.has(tcp_flags::fin) && wnd == _snd_wnd &&
                   _snd_max != _snd_una) {
            dup_ack();
        }
        if (seq_lt(_snd_wl1, s.h.seq) || (_snd_wl1 == s.h.seq && seq_leq(_snd_wl2, ack))) {
            bool opened = wnd > _snd_wnd;
            _snd_wnd = wnd;
            _snd_wl1 = s.h.seq;
            _snd_wl2 = ack;
            _max_snd_wnd = std::max(_max_snd_wnd, wnd);
            if (opened && wnd > 0) {
                _persist_timer.cancel();
            }
        }
        bool fin_acked = _fin_queued && seq_gt(_snd_una, _fin_seq);
        switch (_state) {
        case tcp_state::fin_wait_1:
            if (fin_acked) {
                _state = tcp_state::fin_wait_2;
                if (_user_closed && !_fin_received) {
                    _linger_timer.rearm(Clock::now() + std::chrono::duration_cast<duration>(cfg().fin_wait_2_timeout));
                }
            }
            break;
        case tcp_state::closing:
            if (fin_acked) {
                enter_time_wait();
            }
            break;
        case tcp_state::last_ack:
            if (fin_acked) {
                finish(nullptr);
                return false;
            }
            break;
        default:
            break;
        }
        return true;
    }

    void new_ack(const tcp_segment& s, uint32_t ack) {
        uint32_t acked = ack - _snd_una;
        uint32_t flight_before = flight();
        // Drop acknowledged data from the queue (the FIN is not in it).
        uint32_t data_acked =
            std::min<uint32_t>(seq_gt(ack, data_end()) ? data_end() - _snd_data_seq : ack - _snd_data_seq, _snd_queued);
        _snd_data_seq += data_acked;
        _snd_queued -= data_acked;
        while (data_acked) {
            auto& p = _snd_queue.front();
            if (p.len() <= data_acked) {
                data_acked -= p.len();
                _snd_queue.pop_front();
            } else {
                p.trim_front(data_acked);
                data_acked = 0;
            }
        }
        _snd_una = ack;
        if (seq_lt(_snd_nxt, _snd_una)) {
            _snd_nxt = _snd_una;
        }
        if (_ts_ok && s.opts.ts && s.opts.ts->echo_reply) {
            sample_rtt(
                std::chrono::duration_cast<duration>(std::chrono::milliseconds(ts_now() - s.opts.ts->echo_reply)));
        } else if (_rtt_timing && seq_geq(ack, _rtt_seq)) {
            _rtt_timing = false;
            sample_rtt(Clock::now() - _rtt_start);
        }
        _retries = 0;
        if (_in_recovery) {
            if (seq_geq(ack, _recover)) { // full acknowledgement (RFC 6582 3.2 step 3)
                _in_recovery = false;
                // cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)
                _cc->set_cwnd(std::min(_cc->ssthresh(), std::max<uint32_t>(flight(), _snd_mss) + _snd_mss));
            } else { // partial: resend the next hole, deflate by what was acked
                send_data_at(_snd_una, std::min<uint32_t>(_snd_mss, data_end() - _snd_una));
                uint32_t c = _cc->cwnd();
                c = c > acked ? c - acked : 0;
                if (acked >= _snd_mss) {
                    c += _snd_mss;
                }
                _cc->set_cwnd(std::max<uint32_t>(c, _snd_mss));
                _rto_timer.rearm(Clock::now() + _rto);
            }
        } else {
            _cc->on_ack(acked, flight_before, since_epoch(),
                        std::chrono::duration_cast<std::chrono::nanoseconds>(_srtt));
        }
        _dupacks = 0;
        if (_snd_una == _snd_max) {
            _rto_timer.cancel();
        } else if (!_in_recovery) {
            _rto_timer.rearm(Clock::now() + _rto);
        }
        wake_writers();
    }

    void dup_ack() {
        ++_dupacks;
        if (_in_recovery) {
            _cc->set_cwnd(_cc->cwnd() + _snd_mss);
            return;
        }
        if (_dupacks == 3 && seq_gt(_snd_una, _recover)) { // RFC 6582 3.2 step 2
            ++stats().fast_retransmits;
            _cc->on_congestion_event(flight(), since_epoch());
            _recover = _snd_max;
            _in_recovery = true;
            _rtt_timing = false;
            send_data_at(_snd_una, std::min<uint32_t>(_snd_mss, data_end() - _snd_una));
            _cc->set_cwnd(_cc->ssthresh() + 3 * _snd_mss);
            _rto_timer.rearm(Clock::now() + _rto);
        }
    }

    void deliver(packet p) {
        uint32_t n = p.len();
        _rcv_nxt += n;
        _rcv_offset += n;
        stats().bytes_in += n;
        if (_input_shut) {
            return; // discarded, as if read
        }
        _rcv_queued += n;
        _rcv_queue.push_back(std::move(p));
    }

    void input_text(tcp_segment& s, uint32_t seq) {
        bool ack_now = false;
        uint32_t n = s.payload ? s.payload.len() : 0;
        bool text_ok =
            _state == tcp_state::established || _state == tcp_state::fin_wait_1 || _state == tcp_state::fin_wait_2;
        if (n && text_ok) {
            if (seq == _rcv_nxt) {
                bool had_holes = !_ooo.empty();
                deliver(std::move(s.payload));
                drain_ooo();
                ack_now = had_holes;
                ++_unacked_segs;
                if (_unacked_segs >= 2) {
                    ack_now = true;
                }
                wake_reader();
            } else {
                uint64_t off = _rcv_offset + (seq - _rcv_nxt);
                if (_ooo_bytes + n <= cfg().receive_buffer && !_ooo.count(off)) {
                    _ooo_bytes += n;
                    _ooo.emplace(off, std::move(s.payload));
                } else {
                    _tcp->drop(tcp_drop_reason::no_buffer);
                }
                ack_now = true; // duplicate ACK for the sender's fast retransmit
            }
        }
        if (s.has(tcp_flags::fin) && (text_ok || _state == tcp_state::syn_received)) {
            uint64_t fin_off = _rcv_offset + (seq + n - _rcv_nxt);
            if (fin_off == _rcv_offset) {
                receive_fin();
                return;
            }
            _ooo_fin = fin_off;
            ack_now = true;
        }
        if (_ooo_fin && *_ooo_fin == _rcv_offset && !_fin_received) {
            receive_fin();
            return;
        }
        if (ack_now) {
            send_ack();
        } else if (_unacked_segs && !_delack_timer.armed()) {
            _delack_timer.arm(Clock::now() + std::chrono::duration_cast<duration>(cfg().delayed_ack));
        }
    }

    void drain_ooo() {
        while (!_ooo.empty()) {
            auto it = _ooo.begin();
            if (it->first > _rcv_offset) {
                break;
            }
            packet p = std::move(it->second);
            uint64_t end = it->first + p.len();
            _ooo_bytes -= p.len();
            _ooo.erase(it);
            if (end > _rcv_offset) {
                p.trim_front(std::size_t(_rcv_offset - (end - p.len())));
                deliver(std::move(p));
            }
        }
    }

    void receive_fin() {
        if (_fin_received) {
            return;
        }
        _fin_received = true;
        _ooo_fin.reset();
        _rcv_nxt += 1;
        _rcv_offset += 1;
        send_ack();
        wake_reader();
        wake_input_waiters();
        switch (_state) {
        case tcp_state::syn_received:
        case tcp_state::established:
            _state = tcp_state::close_wait;
            break;
        case tcp_state::fin_wait_1:
            if (seq_gt(_snd_una, _fin_seq)) {
                enter_time_wait();
            } else {
                _state = tcp_state::closing;
            }
            break;
        case tcp_state::fin_wait_2:
            enter_time_wait();
            break;
        default:
            break;
        }
        _keepalive_timer.cancel();
    }

    // ---- user calls ----

    void check_alive() const {
        if (!_tcp) {
            throw std::system_error(ECONNABORTED, std::system_category(), "tcp stack gone");
        }
    }

    void shutdown_output() {
        if (_output_shut) {
            return;
        }
        _output_shut = true;
        switch (_state) {
        case tcp_state::syn_sent:
            finish(make_error(ECONNABORTED, "connect"));
            return;
        case tcp_state::syn_received:
        case tcp_state::established:
        case tcp_state::close_wait:
            break;
        default:
            return;
        }
        _fin_queued = true;
        _fin_seq = data_end();
        if (_state == tcp_state::established) {
            _state = tcp_state::fin_wait_1;
        } else if (_state == tcp_state::close_wait) {
            _state = tcp_state::last_ack;
        }
        output();
    }

    void shutdown_input() {
        _input_shut = true;
        _rcv_queue.clear();
        _rcv_queued = 0;
        wake_reader();
        wake_input_waiters();
    }

    void close() {
        if (_user_closed) {
            return;
        }
        _user_closed = true;
        if (_rcv_queued > 0 && synchronized()) {
            abort_now(make_error(ECONNABORTED, "closed with unread data")); // as Linux does
            return;
        }
        shutdown_input();
        shutdown_output();
        if (_state == tcp_state::fin_wait_2 && !_linger_timer.armed()) {
            _linger_timer.arm(Clock::now() + std::chrono::duration_cast<duration>(cfg().fin_wait_2_timeout));
        }
    }

    future<> send(packet p) {
        if (!_tcp) {
            return make_exception_future<>(make_error(ECONNABORTED, "tcp stack gone"));
        }
        if (_error) {
            return make_exception_future<>(_error);
        }
        if (_output_shut || _state == tcp_state::closed) {
            return make_exception_future<>(make_error(EPIPE, "send"));
        }
        if (p.len()) {
            _snd_queued += p.len();
            _snd_queue.push_back(std::move(p));
            output();
        }
        if (_snd_queued < cfg().send_buffer) {
            return make_ready_future<>();
        }
        _space_waiters.emplace_back();
        return _space_waiters.back().get_future();
    }

    void after_read() {
        // Window update when the reader opened a useful amount (receiver SWS avoidance).
        if (!synchronized() || _fin_received || _state == tcp_state::time_wait) {
            return;
        }
        uint32_t right = _rcv_nxt + ((std::min<uint32_t>(rcv_space() >> _rcv_wscale, 65535)) << _rcv_wscale);
        if (seq_gt(right, _rcv_adv) &&
            right - _rcv_adv >= std::min<uint32_t>(cfg().receive_buffer / 2, 2u * _snd_mss)) {
            send_ack();
        }
    }
};

} // namespace seastar::net::internal
