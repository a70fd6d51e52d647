// TCP state machine tests with crafted segments: one TCP instance on
// manual_clock, a lower layer that captures what it sends, and a scripted
// peer (192.0.2.2:4000) talking to it (192.0.2.1:5000).
#include "seastar/net/tcp.hh"

#include <gtest/gtest.h>

#include <random>
#include <system_error>

#include "seastar/core/local_scheduler.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/net/tcp_test_util.hh"

namespace seastar::net {
namespace {

using namespace testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint16_t our_port = 5000;
constexpr uint16_t peer_port = 4000;

struct capture final : tcp_l3 {
    std::deque<tcp_segment> out;
    uint16_t path_mtu = 1500;
    bool rx_verified = false;
    void send(uint32_t local, uint32_t remote, packet p) override {
        EXPECT_EQ(local, ip_a);
        EXPECT_EQ(remote, ip_b);
        tcp_segment s;
        EXPECT_EQ(parse_tcp_segment(std::move(p), local, remote, true, s), tcp_drop_reason::none);
        out.push_back(std::move(s));
    }
    uint16_t mtu(uint32_t) const noexcept override { return path_mtu; }
    bool rx_checksum_verified() const noexcept override { return rx_verified; }
};

int error_code(future<> f) {
    try {
        f.get();
    } catch (const std::system_error& e) {
        return e.code().value();
    } catch (...) {
        return -1;
    }
    return 0;
}

class tcp_sm : public ::testing::Test {
protected:
    local_scheduler sched;
    capture l3;
    tcp_config cfg;
    std::unique_ptr<mtcp> tcp;
    std::optional<mtcp::listener> listener;
    uint32_t peer_nxt = 1000; // the peer's next sequence number
    uint32_t our_nxt = 0;     // the next sequence number expected from us

    tcp_sm() {
        cfg.timestamps = false;
        cfg.window_scaling = false;
        cfg.initial_rto = milliseconds(1000);
        cfg.min_rto = milliseconds(200);
        cfg.time_wait = milliseconds(2000);
        cfg.isn_key = std::array<uint64_t, 2>{1, 2};
    }
    mtcp& stack() {
        if (!tcp) {
            tcp = std::make_unique<mtcp>(l3, cfg);
        }
        return *tcp;
    }
    void inject(uint8_t flags, uint32_t seq, uint32_t ack, std::string data = "", uint16_t wnd = 65535,
                tcp_option_values o = {}, uint16_t sport = peer_port) {
        tcp_segment_header h;
        h.src_port = sport;
        h.dst_port = our_port;
        h.seq = seq;
        h.ack = ack;
        h.flags = flags;
        h.window = wnd;
        auto p = serialize_tcp_segment(h, o, packet(data.data(), data.size()), ip_b, ip_a, false);
        stack().received(std::move(p), ip_b, ip_a);
        sched.run_until_idle();
    }
    // A segment from the peer at its current sequence numbers.
    void peer(uint8_t flags, std::string data = "", uint16_t wnd = 65535) {
        inject(flags, peer_nxt, our_nxt, data, wnd);
        peer_nxt += data.size() + ((flags & (tcp_flags::syn | tcp_flags::fin)) ? 1 : 0);
    }
    tcp_segment take() {
        sched.run_until_idle();
        if (l3.out.empty()) {
            ADD_FAILURE() << "nothing was sent";
            return tcp_segment{};
        }
        auto s = std::move(l3.out.front());
        l3.out.pop_front();
        return s;
    }
    bool nothing_sent() {
        sched.run_until_idle();
        return l3.out.empty();
    }
    void advance(milliseconds d) {
        manual_clock::advance(d);
        sched.run_until_idle();
    }
    void expect_ack(const tcp_segment& s, uint32_t ack) {
        EXPECT_TRUE(s.has(tcp_flags::ack));
        EXPECT_FALSE(s.has(tcp_flags::syn) || s.has(tcp_flags::rst) || s.has(tcp_flags::fin));
        EXPECT_EQ(s.h.ack, ack);
        EXPECT_EQ(s.payload.len(), 0u);
    }

    mtcp::connection open_passive(uint16_t wnd = 65535) {
        listener.emplace(stack().listen(0, our_port));
        auto a = listener->accept();
        peer(tcp_flags::syn, "", wnd);
        auto synack = take();
        EXPECT_TRUE(synack.has(tcp_flags::syn) && synack.has(tcp_flags::ack));
        EXPECT_EQ(synack.h.ack, peer_nxt);
        our_nxt = synack.h.seq + 1;
        peer(tcp_flags::ack, "", wnd);
        sched.run_until_idle();
        EXPECT_TRUE(a.available());
        return a.get();
    }

    // Drives a fresh connection into `st` (a synchronized state).
    mtcp::connection drive_to(tcp_state st) {
        auto c = open_passive();
        switch (st) {
        case tcp_state::established:
            break;
        case tcp_state::fin_wait_1:
        case tcp_state::fin_wait_2:
        case tcp_state::closing:
        case tcp_state::time_wait: {
            c.shutdown_output();
            auto fin = take();
            EXPECT_TRUE(fin.has(tcp_flags::fin));
            if (st == tcp_state::fin_wait_1) {
                our_nxt += 1;
                break;
            }
            if (st == tcp_state::closing) {
                inject(tcp_flags::fin | tcp_flags::ack, peer_nxt, our_nxt); // does not ack our FIN
                peer_nxt += 1;
                our_nxt += 1;
                expect_ack(take(), peer_nxt);
                break;
            }
            our_nxt += 1;
            peer(tcp_flags::ack);
            if (st == tcp_state::time_wait) {
                peer(tcp_flags::fin | tcp_flags::ack);
                expect_ack(take(), peer_nxt);
            }
            break;
        }
        case tcp_state::close_wait:
        case tcp_state::last_ack:
            peer(tcp_flags::fin | tcp_flags::ack);
            expect_ack(take(), peer_nxt);
            if (st == tcp_state::last_ack) {
                c.shutdown_output();
                EXPECT_TRUE(take().has(tcp_flags::fin));
                our_nxt += 1;
            }
            break;
        default:
            ADD_FAILURE() << "not a synchronized state";
        }
        EXPECT_EQ(c.state(), st) << to_string(c.state());
        EXPECT_TRUE(nothing_sent());
        return c;
    }
};

TEST_F(tcp_sm, passive_open_negotiates_mss_window_scale_and_timestamps) {
    cfg.timestamps = true;
    cfg.window_scaling = true;
    listener.emplace(stack().listen(0, our_port));
    auto a = listener->accept();
    tcp_option_values o;
    o.mss = 1000;
    o.wscale = 3;
    o.ts = tcp_option_values::timestamps{555, 0};
    inject(tcp_flags::syn, peer_nxt, 0, "", 65535, o);
    auto sa = take();
    ASSERT_TRUE(sa.has(tcp_flags::syn) && sa.has(tcp_flags::ack));
    EXPECT_EQ(sa.h.ack, peer_nxt + 1);
    EXPECT_EQ(sa.opts.mss, 1460);
    ASSERT_TRUE(sa.opts.wscale);
    EXPECT_EQ(*sa.opts.wscale, 5); // 1 MiB receive buffer needs a shift of 5
    ASSERT_TRUE(sa.opts.ts);
    EXPECT_EQ(sa.opts.ts->echo_reply, 555u);
    EXPECT_FALSE(a.available());
    tcp_option_values ts;
    ts.ts = tcp_option_values::timestamps{556, sa.opts.ts->value};
    inject(tcp_flags::ack, peer_nxt + 1, sa.h.seq + 1, "", 100, ts);
    ASSERT_TRUE(a.available());
    auto c = a.get();
    EXPECT_EQ(c.state(), tcp_state::established);
    EXPECT_EQ(c.send_mss(), 1000 - 12);
    EXPECT_EQ(c.send_window_scale(), 3);
    EXPECT_TRUE(c.timestamps_enabled());
    EXPECT_EQ(stack().stats().passive_opens, 1u);
}

TEST_F(tcp_sm, peer_without_options_gets_none_and_default_mss) {
    cfg.timestamps = true;
    cfg.window_scaling = true;
    listener.emplace(stack().listen(0, our_port));
    auto a = listener->accept();
    peer(tcp_flags::syn);
    auto sa = take();
    EXPECT_FALSE(sa.opts.wscale);
    EXPECT_FALSE(sa.opts.ts);
    our_nxt = sa.h.seq + 1;
    peer(tcp_flags::ack);
    auto c = a.get();
    EXPECT_EQ(c.send_mss(), 536);
    EXPECT_FALSE(c.timestamps_enabled());
    EXPECT_EQ(c.send_window_scale(), 0);
}

TEST_F(tcp_sm, closed_port_answers_with_reset) {
    stack();
    inject(tcp_flags::syn, 7000, 0);
    auto r = take();
    EXPECT_TRUE(r.has(tcp_flags::rst) && r.has(tcp_flags::ack));
    EXPECT_EQ(r.h.seq, 0u);
    EXPECT_EQ(r.h.ack, 7001u);
    inject(tcp_flags::ack, 7000, 4242);
    r = take();
    EXPECT_TRUE(r.has(tcp_flags::rst));
    EXPECT_FALSE(r.has(tcp_flags::ack));
    EXPECT_EQ(r.h.seq, 4242u);
    inject(tcp_flags::rst, 7000, 0); // never answer a reset
    EXPECT_TRUE(nothing_sent());
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::no_connection), 2u);
    EXPECT_EQ(stack().stats().resets_out, 2u);
}

TEST_F(tcp_sm, malformed_segments_are_counted_not_answered) {
    stack();
    std::string junk(10, 'x');
    stack().received(packet(junk.data(), junk.size()), ip_b, ip_a);
    tcp_segment_header h;
    h.src_port = peer_port;
    h.dst_port = our_port;
    h.flags = tcp_flags::syn;
    auto p = serialize_tcp_segment(h, {}, packet(), ip_b, ip_a, false);
    stack().received(std::move(p), ip_b, ip_a + 1); // wrong pseudo-header: bad checksum
    EXPECT_TRUE(nothing_sent());
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::truncated), 1u);
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::bad_checksum), 1u);
    EXPECT_EQ(stack().stats().segments_in, 2u);
    // Each header defect is counted under its own reason, and never answered.
    auto with_checksum = [&](std::string b) {
        b[16] = b[17] = 0;
        auto c = internal::tcp_checksum(packet(b.data(), b.size()), ip_b, ip_a);
        b[16] = char(c >> 8);
        b[17] = char(c);
        stack().received(packet(b.data(), b.size()), ip_b, ip_a);
    };
    auto good = testing::bytes_of(serialize_tcp_segment(h, {}, packet(), ip_b, ip_a, false));
    auto bad_doff = good;
    bad_doff[12] = char(4 << 4);
    with_checksum(bad_doff);
    auto bad_opt = good + std::string("\x02\x03\x00\x00", 4);
    bad_opt[12] = char(6 << 4);
    with_checksum(bad_opt);
    auto bad_port = good;
    bad_port[0] = bad_port[1] = 0;
    with_checksum(bad_port);
    auto bad_flags = good;
    bad_flags[13] = char(tcp_flags::syn | tcp_flags::fin);
    with_checksum(bad_flags);
    EXPECT_TRUE(nothing_sent());
    for (auto r : {tcp_drop_reason::bad_data_offset, tcp_drop_reason::bad_option, tcp_drop_reason::bad_port,
                   tcp_drop_reason::bad_flags}) {
        EXPECT_EQ(stack().stats().drops_for(r), 1u) << to_string(r);
    }
    EXPECT_EQ(stack().stats().dropped, 6u);
}

TEST_F(tcp_sm, verified_checksum_flag_skips_software_check) {
    l3.rx_verified = true;
    stack();
    tcp_segment_header h;
    h.src_port = peer_port;
    h.dst_port = our_port;
    h.flags = tcp_flags::syn;
    h.seq = 9;
    auto p = serialize_tcp_segment(h, {}, packet(), ip_b, ip_a, true); // offload: checksum not final
    stack().received(std::move(p), ip_b, ip_a);
    EXPECT_TRUE(take().has(tcp_flags::rst)); // processed (nobody listens), not dropped as corrupt
}

TEST_F(tcp_sm, active_open_rejects_bad_syn_ack_and_fails_on_reset) {
    auto f = stack().connect(ip_a, ip_b, peer_port, our_port);
    auto syn = take();
    ASSERT_TRUE(syn.has(tcp_flags::syn));
    EXPECT_FALSE(syn.has(tcp_flags::ack));
    EXPECT_EQ(syn.opts.mss, 1460);
    // SYN-ACK acknowledging something else: RST with that ack as sequence.
    inject(tcp_flags::syn | tcp_flags::ack, 50, syn.h.seq + 7, "", 65535, {}, peer_port);
    auto r = take();
    EXPECT_TRUE(r.has(tcp_flags::rst));
    EXPECT_EQ(r.h.seq, syn.h.seq + 7);
    // A RST without ACK in SYN_SENT is ignored.
    inject(tcp_flags::rst, 50, 0);
    EXPECT_FALSE(f.available());
    // A RST acknowledging our SYN refuses the connection.
    inject(tcp_flags::rst | tcp_flags::ack, 0, syn.h.seq + 1);
    ASSERT_TRUE(f.available());
    EXPECT_EQ(error_code(f.discard_result()), ECONNREFUSED);
    EXPECT_EQ(stack().connection_count(), 0u);
}

TEST_F(tcp_sm, active_open_completes_and_retransmits_syn) {
    auto f = stack().connect(ip_a, ip_b, peer_port, our_port);
    auto syn = take();
    advance(milliseconds(1000));
    auto again = take();
    EXPECT_TRUE(again.has(tcp_flags::syn));
    EXPECT_EQ(again.h.seq, syn.h.seq);
    EXPECT_EQ(stack().stats().retransmitted_segments, 1u);
    advance(milliseconds(1000)); // backed off to 2 s: nothing yet
    EXPECT_TRUE(nothing_sent());
    inject(tcp_flags::syn | tcp_flags::ack, 300, syn.h.seq + 1);
    expect_ack(take(), 301);
    ASSERT_TRUE(f.available());
    EXPECT_EQ(f.get().state(), tcp_state::established);
}

TEST_F(tcp_sm, syn_retries_exhausted_times_out) {
    cfg.syn_retries = 2;
    auto f = stack().connect(ip_a, ip_b, peer_port, our_port);
    for (int i = 0; i < 10 && !f.available(); ++i) {
        advance(milliseconds(4000));
    }
    ASSERT_TRUE(f.available());
    EXPECT_EQ(error_code(f.discard_result()), ETIMEDOUT);
    EXPECT_EQ(stack().connection_count(), 0u);
}

TEST_F(tcp_sm, simultaneous_open) {
    auto f = stack().connect(ip_a, ip_b, peer_port, our_port);
    auto syn = take();
    // The peer's own SYN crosses ours.
    inject(tcp_flags::syn, 800, 0);
    auto sa = take();
    EXPECT_TRUE(sa.has(tcp_flags::syn) && sa.has(tcp_flags::ack));
    EXPECT_EQ(sa.h.seq, syn.h.seq);
    EXPECT_EQ(sa.h.ack, 801u);
    EXPECT_FALSE(f.available());
    // The peer's SYN-ACK: its SYN is old news (answered with an ACK)...
    inject(tcp_flags::syn | tcp_flags::ack, 800, syn.h.seq + 1);
    expect_ack(take(), 801);
    // ...and its ACK completes the handshake.
    inject(tcp_flags::ack, 801, syn.h.seq + 1);
    ASSERT_TRUE(f.available());
    EXPECT_EQ(f.get().state(), tcp_state::established);
}

TEST_F(tcp_sm, syn_backlog_limit_drops_excess_syns) {
    listener.emplace(stack().listen(0, our_port, 2));
    inject(tcp_flags::syn, 1, 0, "", 65535, {}, 4001);
    inject(tcp_flags::syn, 1, 0, "", 65535, {}, 4002);
    inject(tcp_flags::syn, 1, 0, "", 65535, {}, 4003);
    EXPECT_TRUE(take().has(tcp_flags::syn));
    EXPECT_TRUE(take().has(tcp_flags::syn));
    EXPECT_TRUE(nothing_sent());
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::backlog_full), 1u);
    EXPECT_EQ(stack().connection_count(), 2u);
}

TEST_F(tcp_sm, lost_syn_ack_is_resent_when_the_syn_repeats) {
    listener.emplace(stack().listen(0, our_port));
    inject(tcp_flags::syn, 10, 0);
    auto sa = take();
    inject(tcp_flags::syn, 10, 0);
    auto again = take();
    EXPECT_TRUE(again.has(tcp_flags::syn) && again.has(tcp_flags::ack));
    EXPECT_EQ(again.h.seq, sa.h.seq);
}

TEST_F(tcp_sm, isns_differ_per_connection_and_with_time) {
    listener.emplace(stack().listen(0, our_port));
    inject(tcp_flags::syn, 10, 0, "", 65535, {}, 4001);
    inject(tcp_flags::syn, 10, 0, "", 65535, {}, 4002);
    auto a = take().h.seq, b = take().h.seq;
    EXPECT_NE(a, b);
    mtcp::key k{ip_a, ip_b, our_port, 4001};
    auto i1 = stack().make_isn(k);
    manual_clock::advance(milliseconds(1));
    auto i2 = stack().make_isn(k);
    EXPECT_EQ(i2 - i1, 250u); // M: one tick per 4 microseconds
}

TEST_F(tcp_sm, data_delayed_ack_and_out_of_order_reassembly) {
    auto c = open_passive();
    peer(tcp_flags::ack | tcp_flags::psh, "hello");
    EXPECT_TRUE(nothing_sent()); // delayed
    EXPECT_EQ(testing::bytes_of(c.read()), "hello");
    advance(milliseconds(40));
    expect_ack(take(), peer_nxt);
    // Two segments: the second is acknowledged at once.
    peer(tcp_flags::ack, "ab");
    EXPECT_TRUE(nothing_sent());
    peer(tcp_flags::ack, "cd");
    expect_ack(take(), peer_nxt);
    // Out of order: an immediate duplicate ACK, then the hole filled.
    inject(tcp_flags::ack, peer_nxt + 3, our_nxt, "xyz");
    expect_ack(take(), peer_nxt);
    inject(tcp_flags::ack, peer_nxt, our_nxt, "uvw");
    expect_ack(take(), peer_nxt + 6);
    peer_nxt += 6;
    EXPECT_EQ(testing::bytes_of(c.read()), "abcduvwxyz");
    EXPECT_EQ(stack().stats().bytes_in, 15u);
}

TEST_F(tcp_sm, out_of_window_data_is_acked_and_dropped) {
    auto c = open_passive();
    inject(tcp_flags::ack, peer_nxt + 2000000, our_nxt, "far");
    expect_ack(take(), peer_nxt);
    inject(tcp_flags::ack, peer_nxt - 10, our_nxt, "old");
    expect_ack(take(), peer_nxt);
    EXPECT_EQ(c.read().len(), 0u);
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::out_of_window), 2u);
}

TEST_F(tcp_sm, ack_of_unsent_data_gets_challenge_ack) {
    auto c = open_passive();
    inject(tcp_flags::ack, peer_nxt, our_nxt + 1000, "data");
    expect_ack(take(), peer_nxt); // data not taken
    EXPECT_EQ(c.read().len(), 0u);
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::bad_ack), 1u);
    EXPECT_EQ(stack().stats().challenge_acks, 1u);
}

TEST_F(tcp_sm, segment_without_ack_is_dropped) {
    auto c = open_passive();
    inject(0, peer_nxt, 0, "data");
    EXPECT_TRUE(nothing_sent());
    EXPECT_EQ(c.read().len(), 0u);
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::no_ack), 1u);
}

TEST_F(tcp_sm, passive_syn_received_reset_returns_to_listen) {
    listener.emplace(stack().listen(0, our_port));
    auto a = listener->accept();
    peer(tcp_flags::syn);
    auto sa = take();
    inject(tcp_flags::rst, peer_nxt + 5, 0); // in window, not exact: challenge ACK
    expect_ack(take(), peer_nxt);
    inject(tcp_flags::rst, peer_nxt, 0);
    EXPECT_TRUE(nothing_sent());
    EXPECT_FALSE(a.available());
    EXPECT_EQ(stack().connection_count(), 0u);
    // The listener is still there.
    inject(tcp_flags::syn, 5000, 0);
    EXPECT_TRUE(take().has(tcp_flags::syn));
    (void)sa;
}

TEST_F(tcp_sm, syn_received_bad_ack_gets_reset) {
    listener.emplace(stack().listen(0, our_port));
    peer(tcp_flags::syn);
    auto sa = take();
    inject(tcp_flags::ack, peer_nxt, sa.h.seq + 99);
    auto r = take();
    EXPECT_TRUE(r.has(tcp_flags::rst));
    EXPECT_EQ(r.h.seq, sa.h.seq + 99);
}

class tcp_rst_in_state : public tcp_sm, public ::testing::WithParamInterface<tcp_state> {};

TEST_P(tcp_rst_in_state, reset_outside_window_is_ignored) {
    auto c = drive_to(GetParam());
    inject(tcp_flags::rst, peer_nxt + 5000000, 0);
    EXPECT_TRUE(nothing_sent());
    EXPECT_EQ(c.state(), GetParam());
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::rst_ignored), 1u);
}

TEST_P(tcp_rst_in_state, reset_inside_window_gets_challenge_ack) {
    auto c = drive_to(GetParam());
    inject(tcp_flags::rst, peer_nxt + 1, 0);
    auto a = take();
    expect_ack(a, peer_nxt);
    EXPECT_EQ(a.h.seq, our_nxt);
    EXPECT_EQ(c.state(), GetParam());
    EXPECT_EQ(stack().stats().challenge_acks, 1u);
}

TEST_P(tcp_rst_in_state, syn_gets_challenge_ack) {
    auto c = drive_to(GetParam());
    inject(tcp_flags::syn, peer_nxt, 0);
    expect_ack(take(), peer_nxt);
    EXPECT_EQ(c.state(), GetParam());
}

TEST_P(tcp_rst_in_state, exact_reset_closes) {
    auto st = GetParam();
    auto c = drive_to(st);
    auto closed = c.wait_closed();
    inject(tcp_flags::rst, peer_nxt, 0);
    EXPECT_TRUE(nothing_sent());
    EXPECT_EQ(c.state(), tcp_state::closed);
    EXPECT_EQ(stack().connection_count(), 0u);
    bool quiet = st == tcp_state::closing || st == tcp_state::last_ack || st == tcp_state::time_wait;
    if (st != tcp_state::time_wait) { // TIME_WAIT already resolved wait_closed
        ASSERT_TRUE(closed.available());
        EXPECT_EQ(error_code(std::move(closed)), quiet ? 0 : ECONNRESET);
    } else {
        closed.get();
    }
    if (!quiet) {
        EXPECT_EQ(error_code(c.send(packet("x", 1))), ECONNRESET);
    }
}

INSTANTIATE_TEST_SUITE_P(states, tcp_rst_in_state,
                         ::testing::Values(tcp_state::established, tcp_state::fin_wait_1, tcp_state::fin_wait_2,
                                           tcp_state::close_wait, tcp_state::closing, tcp_state::last_ack,
                                           tcp_state::time_wait),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST_F(tcp_sm, challenge_acks_are_rate_limited) {
    cfg.challenge_acks_per_second = 3;
    auto c = drive_to(tcp_state::established);
    for (int i = 0; i < 10; ++i) {
        inject(tcp_flags::rst, peer_nxt + 1 + i, 0);
    }
    for (int i = 0; i < 3; ++i) {
        take();
    }
    EXPECT_TRUE(nothing_sent());
    advance(milliseconds(1000));
    inject(tcp_flags::rst, peer_nxt + 1, 0);
    expect_ack(take(), peer_nxt);
}

TEST_F(tcp_sm, active_close_through_time_wait) {
    auto c = drive_to(tcp_state::time_wait);
    auto closed = c.wait_closed();
    ASSERT_TRUE(closed.available());
    closed.get();
    // A retransmitted FIN in TIME_WAIT is acknowledged again.
    inject(tcp_flags::fin | tcp_flags::ack, peer_nxt - 1, our_nxt);
    expect_ack(take(), peer_nxt);
    EXPECT_EQ(stack().connection_count(), 1u);
    advance(milliseconds(2000));
    EXPECT_EQ(stack().connection_count(), 0u);
    EXPECT_EQ(c.state(), tcp_state::closed);
}

TEST_F(tcp_sm, newer_syn_reopens_a_connection_in_time_wait) {
    auto c = drive_to(tcp_state::time_wait);
    auto a = listener->accept();
    inject(tcp_flags::syn, peer_nxt + 100000, 0);
    auto sa = take();
    EXPECT_TRUE(sa.has(tcp_flags::syn) && sa.has(tcp_flags::ack));
    EXPECT_EQ(sa.h.ack, peer_nxt + 100001);
    EXPECT_EQ(c.state(), tcp_state::closed);
    inject(tcp_flags::ack, peer_nxt + 100001, sa.h.seq + 1);
    ASSERT_TRUE(a.available());
    EXPECT_EQ(a.get().state(), tcp_state::established);
}

TEST_F(tcp_sm, passive_close_and_half_close) {
    auto c = open_passive();
    peer(tcp_flags::fin | tcp_flags::ack | tcp_flags::psh, "bye");
    expect_ack(take(), peer_nxt); // a FIN is acknowledged at once
    EXPECT_EQ(c.state(), tcp_state::close_wait);
    auto w = c.wait_for_data();
    ASSERT_TRUE(w.available());
    EXPECT_EQ(testing::bytes_of(c.read()), "bye");
    EXPECT_TRUE(c.eof());
    // Half-closed: we may still send.
    c.set_nodelay(true);
    (void)c.send(packet("more", 4));
    auto d = take();
    EXPECT_EQ(testing::bytes_of(d.payload), "more");
    our_nxt += 4;
    c.shutdown_output();
    auto fin = take();
    EXPECT_TRUE(fin.has(tcp_flags::fin));
    EXPECT_EQ(c.state(), tcp_state::last_ack);
    our_nxt += 1;
    EXPECT_EQ(error_code(c.send(packet("late", 4))), EPIPE);
    peer(tcp_flags::ack);
    EXPECT_EQ(c.state(), tcp_state::closed);
    EXPECT_EQ(stack().connection_count(), 0u);
}

TEST_F(tcp_sm, closed_connection_leaves_fin_wait_2_after_a_timeout) {
    cfg.fin_wait_2_timeout = milliseconds(5000);
    auto c = open_passive();
    c.close();
    EXPECT_TRUE(take().has(tcp_flags::fin));
    our_nxt += 1;
    peer(tcp_flags::ack);
    EXPECT_EQ(c.state(), tcp_state::fin_wait_2);
    advance(milliseconds(4999));
    EXPECT_EQ(stack().connection_count(), 1u);
    advance(milliseconds(1));
    EXPECT_EQ(stack().connection_count(), 0u);
}

TEST_F(tcp_sm, half_closed_connection_waits_in_fin_wait_2) {
    cfg.fin_wait_2_timeout = milliseconds(5000);
    auto c = open_passive();
    c.shutdown_output(); // still reading: no timeout
    take();
    our_nxt += 1;
    peer(tcp_flags::ack);
    advance(milliseconds(60000));
    EXPECT_EQ(c.state(), tcp_state::fin_wait_2);
    peer(tcp_flags::ack, "late data");
    EXPECT_EQ(testing::bytes_of(c.read()), "late data");
}

TEST_F(tcp_sm, send_waits_for_room_in_the_send_buffer) {
    cfg.send_buffer = 1000;
    auto c = open_passive();
    std::string big(1500, 'b');
    auto f = c.send(packet(big.data(), big.size()));
    EXPECT_FALSE(f.available()); // 1500 queued > 1000
    std::vector<tcp_segment> segs;
    while (!nothing_sent()) {
        segs.push_back(take());
    }
    ASSERT_EQ(segs.size(), 2u); // 536 + 536; Nagle holds the 428 left
    inject(tcp_flags::ack, peer_nxt, our_nxt + 536);
    sched.run_until_idle();
    EXPECT_TRUE(f.available()); // 964 left: below the limit again
    f.get();
    EXPECT_TRUE(nothing_sent()); // 536 still in flight: the small tail waits
    inject(tcp_flags::ack, peer_nxt, our_nxt + 1072);
    EXPECT_EQ(take().payload.len(), 428u);
}

TEST_F(tcp_sm, simultaneous_close_goes_through_closing) {
    auto c = drive_to(tcp_state::closing);
    peer(tcp_flags::ack);
    EXPECT_EQ(c.state(), tcp_state::time_wait);
}

TEST_F(tcp_sm, abort_sends_reset_and_forgets) {
    auto c = open_passive();
    c.abort();
    auto r = take();
    EXPECT_TRUE(r.has(tcp_flags::rst));
    EXPECT_EQ(r.h.seq, our_nxt);
    EXPECT_EQ(stack().connection_count(), 0u);
    peer(tcp_flags::ack, "x");
    EXPECT_TRUE(take().has(tcp_flags::rst)); // the connection is gone
}

TEST_F(tcp_sm, close_with_unread_data_resets) {
    auto c = open_passive();
    peer(tcp_flags::ack, "unread");
    c.close();
    EXPECT_TRUE(take().has(tcp_flags::rst));
}

TEST_F(tcp_sm, nagle_holds_small_segments_until_acked) {
    auto c = open_passive();
    (void)c.send(packet("a", 1));
    EXPECT_EQ(testing::bytes_of(take().payload), "a");
    (void)c.send(packet("b", 1));
    (void)c.send(packet("c", 1));
    EXPECT_TRUE(nothing_sent());
    our_nxt += 1;
    peer(tcp_flags::ack);
    EXPECT_EQ(testing::bytes_of(take().payload), "bc");
    our_nxt += 2;
    c.set_nodelay(true);
    (void)c.send(packet("d", 1));
    (void)c.send(packet("e", 1));
    EXPECT_EQ(testing::bytes_of(take().payload), "d");
    EXPECT_EQ(testing::bytes_of(take().payload), "e");
}

TEST_F(tcp_sm, retransmission_backs_off_then_times_out) {
    cfg.data_retries = 3;
    auto c = open_passive();
    c.set_nodelay(true);
    (void)c.send(packet("data", 4));
    auto first = take();
    advance(milliseconds(999));
    EXPECT_TRUE(nothing_sent());
    advance(milliseconds(1));
    auto again = take();
    EXPECT_EQ(again.h.seq, first.h.seq);
    EXPECT_EQ(testing::bytes_of(again.payload), "data");
    advance(milliseconds(1999));
    EXPECT_TRUE(nothing_sent()); // doubled
    advance(milliseconds(1));
    EXPECT_EQ(take().h.seq, first.h.seq);
    auto closed = c.wait_closed();
    advance(milliseconds(4000));
    take();
    advance(milliseconds(8000));
    auto r = take();
    EXPECT_TRUE(r.has(tcp_flags::rst));
    ASSERT_TRUE(closed.available());
    EXPECT_EQ(error_code(std::move(closed)), ETIMEDOUT);
    EXPECT_EQ(stack().stats().timeouts, 4u);
}

TEST_F(tcp_sm, three_duplicate_acks_trigger_fast_retransmit) {
    cfg.congestion = tcp_congestion_algorithm::newreno;
    auto c = open_passive();
    std::string data(536 * 4, 'z');
    (void)c.send(packet(data.data(), data.size()));
    std::vector<tcp_segment> segs;
    while (!nothing_sent()) {
        segs.push_back(take());
    }
    ASSERT_EQ(segs.size(), 4u); // initial window: 4 segments of 536
    for (int i = 0; i < 3; ++i) {
        peer(tcp_flags::ack);
    }
    auto re = take();
    EXPECT_EQ(re.h.seq, our_nxt);
    EXPECT_EQ(re.payload.len(), 536u);
    EXPECT_EQ(stack().stats().fast_retransmits, 1u);
    // A partial ACK (RFC 6582) resends the next hole at once.
    inject(tcp_flags::ack, peer_nxt, our_nxt + 536);
    auto next = take();
    EXPECT_EQ(next.h.seq, our_nxt + 536);
    // The full ACK ends recovery.
    inject(tcp_flags::ack, peer_nxt, our_nxt + 4 * 536);
    EXPECT_GE(c.cwnd(), 2u * 536);
    auto acked = c.wait_send_acked();
    ASSERT_TRUE(acked.available());
}

TEST_F(tcp_sm, zero_window_is_probed_by_the_persist_timer) {
    auto c = open_passive(0);
    c.set_nodelay(true);
    (void)c.send(packet("waiting", 7));
    EXPECT_TRUE(nothing_sent());
    advance(milliseconds(1000));
    auto probe = take();
    EXPECT_EQ(probe.h.seq, our_nxt - 1);
    EXPECT_EQ(probe.payload.len(), 0u);
    advance(milliseconds(1000));
    EXPECT_TRUE(nothing_sent()); // backed off
    advance(milliseconds(1000));
    EXPECT_EQ(take().h.seq, our_nxt - 1);
    // The peer opens its window: the data goes.
    peer(tcp_flags::ack, "", 1000);
    EXPECT_EQ(testing::bytes_of(take().payload), "waiting");
}

TEST_F(tcp_sm, a_long_zero_window_never_times_out) {
    cfg.data_retries = 2;
    auto c = open_passive();
    c.set_nodelay(true);
    (void)c.send(packet("abc", 3));
    take();
    peer(tcp_flags::ack, "", 0); // acknowledges nothing new, closes the window
    unsigned probes = 0;
    for (int i = 0; i < 600; ++i) { // ten minutes
        advance(milliseconds(1000));
        while (!nothing_sent()) {
            auto s = take();
            ++probes;
            inject(tcp_flags::ack, peer_nxt, our_nxt, "", 0);
            (void)s;
        }
    }
    EXPECT_GT(probes, 5u);
    EXPECT_EQ(c.state(), tcp_state::established);
    peer(tcp_flags::ack, "", 1000);
    auto d = take();
    EXPECT_EQ(d.h.seq, our_nxt);
    EXPECT_EQ(testing::bytes_of(d.payload), "abc");
}

TEST_F(tcp_sm, our_zero_window_accepts_acks_but_not_data) {
    cfg.receive_buffer = 4;
    auto c = open_passive();
    c.set_nodelay(true);
    peer(tcp_flags::ack, "full");
    advance(milliseconds(40));
    auto a = take();
    EXPECT_EQ(a.h.window, 0);
    inject(tcp_flags::ack, peer_nxt, our_nxt, "more");
    auto b = take();
    EXPECT_EQ(b.h.ack, peer_nxt); // not taken
    EXPECT_EQ(testing::bytes_of(c.read()), "full");
    auto upd = take(); // reading opened the window: a window update
    EXPECT_EQ(upd.h.window, 4);
}

TEST_F(tcp_sm, keepalive_probes_then_gives_up) {
    auto c = open_passive();
    c.set_keepalive_parameters({seconds(10), seconds(1), 2});
    c.set_keepalive(true);
    EXPECT_TRUE(c.get_keepalive());
    auto closed = c.wait_closed();
    advance(milliseconds(10000));
    auto p = take();
    EXPECT_EQ(p.h.seq, our_nxt - 1);
    // An answer resets the count and the idle time.
    peer(tcp_flags::ack);
    advance(milliseconds(9999));
    EXPECT_TRUE(nothing_sent());
    advance(milliseconds(1));
    take();
    advance(milliseconds(1000));
    take();
    advance(milliseconds(1000));
    EXPECT_TRUE(take().has(tcp_flags::rst));
    ASSERT_TRUE(closed.available());
    EXPECT_EQ(error_code(std::move(closed)), ETIMEDOUT);
    EXPECT_THROW(c.set_keepalive_parameters({seconds(0), seconds(1), 1}), std::invalid_argument);
}

TEST_F(tcp_sm, paws_drops_old_timestamps) {
    cfg.timestamps = true;
    listener.emplace(stack().listen(0, our_port));
    auto a = listener->accept();
    tcp_option_values o;
    o.ts = tcp_option_values::timestamps{1000, 0};
    inject(tcp_flags::syn, peer_nxt, 0, "", 65535, o);
    peer_nxt += 1;
    auto sa = take();
    our_nxt = sa.h.seq + 1;
    o.ts = tcp_option_values::timestamps{1001, sa.opts.ts->value};
    inject(tcp_flags::ack, peer_nxt, our_nxt, "", 65535, o);
    auto c = a.get();
    o.ts = tcp_option_values::timestamps{900, 0};
    inject(tcp_flags::ack, peer_nxt, our_nxt, "stale", 65535, o);
    auto r = take();
    EXPECT_EQ(r.h.ack, peer_nxt);
    EXPECT_EQ(c.read().len(), 0u);
    EXPECT_EQ(stack().stats().drops_for(tcp_drop_reason::paws), 1u);
}

TEST_F(tcp_sm, random_segments_never_break_the_stack) {
    cfg.timestamps = true;
    cfg.window_scaling = true;
    std::mt19937_64 rng(7);
    uint64_t injected = 0;
    for (int round = 0; round < 4; ++round) {
        tcp.reset();
        listener.reset();
        l3.out.clear();
        auto c = open_passive();
        injected += 2;
        for (int i = 0; i < 1500; ++i) {
            tcp_option_values o;
            if (rng() % 2) {
                o.mss = uint16_t(rng());
            }
            if (rng() % 2) {
                o.wscale = uint8_t(rng());
            }
            if (rng() % 2) {
                o.ts = tcp_option_values::timestamps{uint32_t(rng()), uint32_t(rng())};
            }
            uint8_t flags = uint8_t(rng());
            uint32_t seq = rng() % 3 ? peer_nxt + uint32_t(rng() % 4000) - 2000 : uint32_t(rng());
            uint32_t ack = rng() % 3 ? our_nxt + uint32_t(rng() % 4000) - 2000 : uint32_t(rng());
            std::string data(rng() % 3000, char(rng()));
            inject(flags, seq, ack, data, uint16_t(rng()), o, rng() % 4 ? peer_port : uint16_t(rng()));
            ++injected;
            if (rng() % 50 == 0) {
                advance(milliseconds(rng() % 3000));
            }
            if (rng() % 10 == 0) {
                (void)c.read();
            }
            l3.out.clear();
        }
        EXPECT_EQ(stack().stats().segments_in, 2 + 1500u);
        uint64_t drops = 0;
        for (auto d : stack().stats().drops) {
            drops += d;
        }
        EXPECT_EQ(drops, stack().stats().dropped);
        EXPECT_LE(stack().stats().dropped, stack().stats().segments_in);
        c.abort();
        advance(milliseconds(120000));
    }
    EXPECT_EQ(injected, 4 * 1502u);
}

TEST_F(tcp_sm, connect_picks_ports_the_filter_accepts) {
    cfg.ephemeral_low = 40000;
    cfg.ephemeral_high = 40009;
    cfg.local_port_filter = [](uint32_t, uint16_t port, uint32_t, uint16_t) { return port % 3 == 0; };
    std::vector<future<mtcp::connection>> fs;
    for (int i = 0; i < 3; ++i) { // 40002, 40005, 40008
        fs.push_back(stack().connect(ip_a, ip_b, peer_port));
        auto syn = take();
        EXPECT_EQ(syn.h.src_port % 3, 0);
        EXPECT_GE(syn.h.src_port, 40000);
        EXPECT_LE(syn.h.src_port, 40009);
    }
    auto f = stack().connect(ip_a, ip_b, peer_port);
    ASSERT_TRUE(f.available());
    EXPECT_EQ(error_code(f.discard_result()), EADDRNOTAVAIL);
    EXPECT_TRUE(nothing_sent());
    tcp.reset(); // connects in progress fail when the stack goes away
    sched.run_until_idle();
    for (auto& pending : fs) {
        ASSERT_TRUE(pending.available());
        EXPECT_EQ(error_code(pending.discard_result()), ECONNABORTED);
    }
}

TEST_F(tcp_sm, listen_twice_on_a_port_fails) {
    listener.emplace(stack().listen(0, our_port));
    try {
        stack().listen(0, our_port);
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EADDRINUSE);
    }
    listener->abort_accept();
    EXPECT_NO_THROW(stack().listen(0, our_port));
}

TEST_F(tcp_sm, abort_accept_fails_waiting_accept) {
    listener.emplace(stack().listen(0, our_port));
    auto a = listener->accept();
    listener->abort_accept();
    ASSERT_TRUE(a.available());
    EXPECT_EQ(error_code(a.discard_result()), ECONNABORTED);
    inject(tcp_flags::syn, 1, 0);
    EXPECT_TRUE(take().has(tcp_flags::rst));
}

TEST_F(tcp_sm, connections_outliving_the_stack_fail_cleanly) {
    auto c = open_passive();
    tcp.reset();
    EXPECT_EQ(error_code(c.send(packet("x", 1))), ECONNABORTED);
    EXPECT_EQ(error_code(c.wait_for_data()), ECONNABORTED);
}

} // namespace
} // namespace seastar::net
