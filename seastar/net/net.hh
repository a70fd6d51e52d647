// The device interface of the native stack: a NIC (or TAP, or an in-process
// pair) seen as queues of Ethernet frames, one queue per shard that owns it.
//
//   * device: the hardware: its MAC address, its features (offloads it
//     performs, MTU, whether it hashes flows for RSS) and how many queues it
//     has. make_queue(i) creates queue i, on the shard that will own it.
//   * qp (queue pair): receive is a stream of frames handed, in order, to the
//     receiver installed with receive(); transmit is send(), which queues the
//     frame and sends the batch once the current task is done (or when
//     tx_batch frames are waiting), so a burst costs one device call.
//   * offload_info travels with a frame: on transmit, what the device must
//     finish (checksums, segmentation) when it advertised the feature; on
//     receive, what it did (checksum verified, RSS hash). A layer above
//     never asks a device for a feature it did not advertise: it does the
//     work in software instead.
//
// Contract: a qp is used only on the shard that created it; nothing blocks;
// send() never fails (a frame the device cannot take is dropped and counted
// in stats().tx_dropped); the receiver runs inside the qp's own task and must
// not destroy the qp. Destroying a qp drops frames still queued.
//
//     auto q = dev->make_queue(0);
//     q->receive([] (net::frame f) { handle(std::move(f.p)); });
//     q->send(net::frame{std::move(p), {}});
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "seastar/net/ethernet.hh"
#include "seastar/net/packet.hh"

namespace seastar::net {

struct hw_features {
    // Transmit: the device fills the IPv4 header checksum / the L4 checksum.
    bool tx_csum_ip_offload = false;
    bool tx_csum_l4_offload = false;
    // Receive: the device may mark frames whose L4 checksum it verified
    // (offload_info::rx_csum_good). IPv4 header checksums are always checked.
    bool rx_csum_offload = false;
    // TCP segmentation offload: frames up to max_packet_len, cut by the device.
    bool tx_tso = false;
    // Large receive offload: the device may hand up merged TCP segments.
    bool rx_lro = false;
    // The device supplies offload_info::rss_hash on received frames.
    bool rx_rss_hash = false;
    // Largest IP packet (without Ethernet header) on the wire.
    uint16_t mtu = 1500;
    // Largest frame send() accepts (bigger than mtu + 14 only with tx_tso).
    uint32_t max_packet_len = 1514;
};

struct offload_info {
    // Transmit.
    uint8_t protocol = 0;       // IP protocol of the payload (6 TCP, 17 UDP)
    bool needs_ip_csum = false; // set the IPv4 header checksum
    bool needs_csum = false;    // set the L4 checksum (its field holds the pseudo-header sum)
    uint8_t ip_hdr_len = 20;
    uint8_t l4_hdr_len = 0;
    uint16_t l4_csum_offset = 0; // of the L4 checksum field, from the L4 header
    uint16_t tso_seg_size = 0;   // 0: no segmentation
    // Receive.
    bool rx_csum_good = false; // the L4 checksum was verified (or need not be)
    std::optional<uint32_t> rss_hash;
};

struct frame {
    packet p;
    offload_info oi;
};

struct qp_stats {
    uint64_t rx_frames = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_frames = 0;
    uint64_t tx_bytes = 0;
    uint64_t tx_batches = 0;
    uint64_t tx_dropped = 0; // the device could not take them
    uint64_t rx_dropped = 0; // no receiver installed, or the device failed to read
};

class qp {
public:
    static constexpr std::size_t tx_batch = 64;

    qp();
    virtual ~qp();
    qp(const qp&) = delete;
    qp& operator=(const qp&) = delete;

    // Installs the receiver of every frame this queue gets (replaces the
    // previous one). Frames arriving with no receiver are dropped and counted.
    void receive(std::function<void(frame)> receiver);
    // Queues f for transmission in the current batch.
    void send(frame f);
    // Sends what is queued now (from inside send_batch(): after the batch
    // being sent, from a task, so frames leave in the order they were queued).
    void flush() noexcept;
    const qp_stats& stats() const noexcept { return _stats; }

protected:
    // Transmits every frame of the batch (counting what it cannot take in
    // _stats.tx_dropped). Called on the owning shard.
    virtual void send_batch(std::vector<frame>& batch) noexcept = 0;
    // For implementations: hands one received frame to the receiver.
    void deliver(frame f) noexcept;
    qp_stats _stats;

private:
    class flush_task;
    std::function<void(frame)> _receiver;
    std::vector<frame> _tx;
    flush_task* _pending_flush = nullptr;
    bool _flushing = false;

    void schedule_flush();
};

class device {
public:
    virtual ~device() = default;
    virtual ethernet_address hw_address() const noexcept = 0;
    virtual const net::hw_features& hw_features() const noexcept = 0;
    virtual unsigned hw_queues_count() const noexcept { return 1; }
    // The queue a device with several queues delivers a frame of RSS hash
    // `hash` to (its redirection table; by default entry hash % 128 of a
    // 128-entry table filled round robin).
    virtual unsigned hash2qid(uint32_t hash) const noexcept { return (hash & 127) % hw_queues_count(); }
    // Creates queue `qid` (< hw_queues_count()); call on the shard that will
    // own it, once per queue. Throws std::out_of_range for a bad id,
    // std::logic_error when the queue exists already.
    virtual std::unique_ptr<qp> make_queue(unsigned qid) = 0;
};

} // namespace seastar::net
