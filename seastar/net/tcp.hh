// TCP (RFC 9293) for the native stack: one instance per shard over an
// abstract lower layer.
//
// basic_tcp<Clock> keeps the connection table and the listeners of one
// shard. It sends segments through a tcp_l3 (the IPv4 layer, or a test's
// in-memory wire) and is given every received TCP segment through
// received(). It implements the whole state machine (simultaneous open and
// close, half-close, abortive close, TIME_WAIT), MSS / window scaling /
// timestamps negotiation, the retransmission timer of RFC 6298, fast
// retransmit and NewReno recovery (RFC 6582) or CUBIC (RFC 9438), delayed
// ACKs, Nagle (off with set_nodelay), keepalive, zero-window probes from a
// persist timer, RST checks with RFC 5961 challenge ACKs, a SYN backlog per
// listener and RFC 6528 initial sequence numbers.
//
// Clock: steady_clock_type in programs (`tcp`), manual_clock in tests, so
// every timer-driven behaviour can be stepped deterministically.
//
// Contract:
//   * One shard: every call, timer and callback on the thread that made it.
//   * tcp_l3::send() must not call received() of the same instance before
//     returning (queue instead); segments are otherwise delivered in any order.
//   * Handles (connection, listener) may outlive the basic_tcp: their
//     operations then fail with ECONNABORTED.
//   * Errors reach futures as std::system_error: ECONNREFUSED (RST to a SYN),
//     ECONNRESET (RST later), ETIMEDOUT (retransmissions or keepalive gave up),
//     EPIPE (send after shutdown_output), EADDRINUSE, ECONNABORTED.
//   * Allocation: per connection and per queued segment; send() copies no
//     payload (segments share the caller's packets).
//
//     struct wire : seastar::net::tcp_l3 { ... };   // adapter to IPv4
//     seastar::net::tcp stack(my_wire, {});
//     auto l = stack.listen(0, 80);
//     auto c = co_await l.accept();
//     co_await c.wait_for_data();
//     auto p = c.read();
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "seastar/core/abort_source.hh"
#include "seastar/core/future.hh"
#include "seastar/core/timer.hh"
#include "seastar/net/api.hh"
#include "seastar/net/packet.hh"
#include "seastar/net/tcp_congestion.hh"
#include "seastar/net/tcp_segment.hh"

namespace seastar::net {

// What TCP needs from the layer below (IPv4). Addresses in host byte order.
class tcp_l3 {
public:
    virtual ~tcp_l3() = default;
    // Sends one TCP segment (header included, checksum filled, or holding
    // the pseudo-header sum when tx_checksum_offload()) from `local` to
    // `remote` as IPv4 protocol 6. Must not fail: drop and count instead.
    virtual void send(uint32_t local, uint32_t remote, packet segment) = 0;
    // The IPv4 MTU toward `remote` (TCP's MSS is this minus 40).
    virtual uint16_t mtu(uint32_t remote) const noexcept = 0;
    // Segmentation offload (TSO): the largest TCP segment, header included,
    // that send_large() takes for the device to cut into segments of at most
    // the MSS; 0 when nothing below segments (then TCP never sends a segment
    // above the MSS).
    virtual uint32_t tso_max_segment() const noexcept { return 0; }
    // Sends a segment larger than the MSS (only when tso_max_segment() allows
    // it), for the device to cut into segments of `mss` payload bytes (the
    // last one less; FIN and PSH only on the last). The checksum is left to
    // the device, as with tx_checksum_offload().
    virtual void send_large(uint32_t local, uint32_t remote, packet segment, uint16_t mss) {
        (void)mss;
        send(local, remote, std::move(segment));
    }
    // The device completes the checksum of outgoing segments.
    virtual bool tx_checksum_offload() const noexcept { return false; }
    // The device has verified the checksum of incoming segments.
    virtual bool rx_checksum_verified() const noexcept { return false; }
};

enum class tcp_state : uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};
const char* to_string(tcp_state s) noexcept;

struct tcp_config {
    tcp_congestion_algorithm congestion = tcp_congestion_algorithm::cubic;
    uint32_t receive_buffer = 1 << 20; // bytes a connection buffers for the reader
    uint32_t send_buffer = 1 << 20;    // bytes send() accepts before waiting
    bool window_scaling = true;
    bool timestamps = true;
    std::chrono::milliseconds initial_rto{1000};
    std::chrono::milliseconds min_rto{200};
    std::chrono::milliseconds max_rto{60000};
    std::chrono::milliseconds delayed_ack{40};
    std::chrono::milliseconds time_wait{60000}; // 2 * MSL
    std::chrono::milliseconds fin_wait_2_timeout{60000};
    unsigned syn_retries = 6;
    unsigned data_retries = 15;
    unsigned challenge_acks_per_second = 1000; // RFC 5961 section 7
    uint16_t ephemeral_low = 32768;
    uint16_t ephemeral_high = 60999;
    // When set, connect() picks only ephemeral ports this accepts (e.g. a
    // native stack keeping a connection on the shard its RSS hash selects).
    // Arguments: local ip, local port, remote ip, remote port.
    std::function<bool(uint32_t, uint16_t, uint32_t, uint16_t)> local_port_filter;
    // Key of the RFC 6528 ISN function; random when unset.
    std::optional<std::array<uint64_t, 2>> isn_key;
};

struct tcp_stats {
    uint64_t segments_in = 0;
    uint64_t segments_out = 0;
    uint64_t bytes_in = 0;  // payload accepted in order
    uint64_t bytes_out = 0; // payload sent, retransmissions included
    uint64_t retransmitted_segments = 0;
    uint64_t timeouts = 0;
    uint64_t fast_retransmits = 0;
    uint64_t resets_in = 0;
    uint64_t resets_out = 0;
    uint64_t challenge_acks = 0;
    uint64_t active_opens = 0;
    uint64_t passive_opens = 0;
    uint64_t dropped = 0;
    std::array<uint64_t, tcp_drop_reason_count> drops{};
    uint64_t drops_for(tcp_drop_reason r) const noexcept { return drops[std::size_t(r)]; }
};

namespace internal {
template <typename Clock>
class tcb;
template <typename Clock>
class tcp_listener_state;
} // namespace internal

template <typename Clock>
class basic_tcp {
public:
    using clock = Clock;

    // One connection; a cheap handle (copies share the connection).
    // Dropping the last handle closes it as close() does.
    class connection {
        std::shared_ptr<internal::tcb<Clock>> _tcb;

    public:
        connection() noexcept = default;
        explicit connection(std::shared_ptr<internal::tcb<Clock>> t) noexcept;
        connection(connection&&) noexcept = default;
        connection& operator=(connection&&) noexcept;
        ~connection();

        explicit operator bool() const noexcept { return bool(_tcb); }
        // Queues `p`; ready when the send buffer has room again.
        future<> send(packet p);
        // Ready when read() has bytes, at end of stream, or on error.
        future<> wait_for_data();
        // The bytes received in order so far (empty if none); opens the window.
        packet read();
        // The peer sent FIN and everything before it was read.
        bool eof() const noexcept;
        // FIN after the queued data (half-close); reads stay possible.
        void shutdown_output();
        // Discards what arrives from now on.
        void shutdown_input();
        // Graceful close of both directions.
        void close();
        // Abortive close: RST now, queued data discarded.
        void abort();
        // Ready when the connection has left the table's live states
        // (CLOSED or TIME_WAIT); fails if it ended with an error.
        future<> wait_closed();
        // Ready when no more input will come: FIN received, shutdown_input(),
        // or the connection ended (failing if it ended with an error).
        future<> wait_input_shutdown();
        // Ready when everything sent so far has been acknowledged.
        future<> wait_send_acked();

        void set_nodelay(bool v) noexcept;
        bool get_nodelay() const noexcept;
        void set_keepalive(bool v);
        bool get_keepalive() const noexcept;
        // Throws std::invalid_argument unless idle, interval and count are positive.
        void set_keepalive_parameters(const tcp_keepalive_params& p);
        tcp_keepalive_params get_keepalive_parameters() const noexcept;

        tcp_state state() const noexcept;
        uint32_t local_ip() const noexcept;
        uint16_t local_port() const noexcept;
        uint32_t remote_ip() const noexcept;
        uint16_t remote_port() const noexcept;
        // Negotiated values, for tests and statistics.
        uint16_t send_mss() const noexcept;
        bool timestamps_enabled() const noexcept;
        uint8_t send_window_scale() const noexcept;
        uint32_t cwnd() const noexcept;
    };

    class listener {
        std::shared_ptr<internal::tcp_listener_state<Clock>> _state;

    public:
        listener() noexcept = default;
        explicit listener(std::shared_ptr<internal::tcp_listener_state<Clock>> s) noexcept;
        listener(listener&&) noexcept = default;
        listener& operator=(listener&&) noexcept;
        ~listener();
        // The next established connection.
        future<connection> accept();
        // Fails a waiting accept() with ECONNABORTED and stops listening.
        void abort_accept();
        uint16_t port() const noexcept;
        uint32_t ip() const noexcept;
    };

    basic_tcp(tcp_l3& l3, tcp_config cfg);
    ~basic_tcp();
    basic_tcp(const basic_tcp&) = delete;
    basic_tcp& operator=(const basic_tcp&) = delete;

    // Passive open on `port` (local address `ip`, 0 for any). `backlog`
    // bounds half-open plus not-yet-accepted connections. Throws EADDRINUSE.
    listener listen(uint32_t ip, uint16_t port, unsigned backlog = 128);
    // Active open; ready once ESTABLISHED. `local_port` 0 picks a free one.
    future<connection> connect(uint32_t local_ip, uint32_t remote_ip, uint16_t remote_port, uint16_t local_port = 0);
    // As above; if `as` is aborted before the connection is established,
    // the attempt is dropped (RST if the peer already answered) and the
    // future fails with ECONNABORTED.
    future<connection> connect(uint32_t local_ip, uint32_t remote_ip, uint16_t remote_port, uint16_t local_port,
                               abort_source& as);
    // One received segment (TCP header first) from `src` to `dst`.
    void received(packet segment, uint32_t src, uint32_t dst);

    const tcp_stats& stats() const noexcept { return _stats; }
    const tcp_config& config() const noexcept { return _cfg; }
    std::size_t connection_count() const noexcept { return _conns.size(); }

    // Used by the connection logic (tcp.cc).
    struct key {
        uint32_t local_ip, remote_ip;
        uint16_t local_port, remote_port;
        bool operator==(const key&) const = default;
    };
    struct key_hash {
        std::size_t operator()(const key& k) const noexcept;
    };
    tcp_stats& mutable_stats() noexcept { return _stats; }
    tcp_l3& l3() noexcept { return _l3; }
    void drop(tcp_drop_reason r) noexcept;
    void forget(const key& k) noexcept;
    uint32_t make_isn(const key& k) const noexcept;
    bool allow_challenge_ack() noexcept;
    void send_reset_for(const tcp_segment& s, uint32_t src, uint32_t dst);
    void forget_listener(uint32_t ip, uint16_t port) noexcept;

private:
    tcp_l3& _l3;
    tcp_config _cfg;
    tcp_stats _stats;
    std::array<uint64_t, 2> _isn_key;
    std::unordered_map<key, std::shared_ptr<internal::tcb<Clock>>, key_hash> _conns;
    std::map<std::pair<uint32_t, uint16_t>, std::weak_ptr<internal::tcp_listener_state<Clock>>> _listeners;
    // Connections removed from inside their own timer callbacks, freed later.
    std::vector<std::shared_ptr<internal::tcb<Clock>>> _dead;
    timer<Clock> _reaper;
    typename Clock::time_point _challenge_window_start{};
    unsigned _challenge_acks_in_window = 0;
    uint16_t _next_ephemeral;

    std::shared_ptr<internal::tcp_listener_state<Clock>> find_listener(uint32_t ip, uint16_t port);
    std::shared_ptr<internal::tcb<Clock>> start_connect(uint32_t local_ip, uint32_t remote_ip, uint16_t remote_port,
                                                        uint16_t local_port);
    void passive_open(internal::tcp_listener_state<Clock>& l, tcp_segment& s, uint32_t src, uint32_t dst);
};

using tcp = basic_tcp<steady_clock_type>;

} // namespace seastar::net
