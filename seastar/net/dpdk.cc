#include "seastar/net/dpdk.hh"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include <rte_bus.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include "seastar/core/deleter.hh"
#include "seastar/core/reactor.hh"
#include "seastar/net/toeplitz.hh"

namespace seastar {

namespace dpdk {

namespace {

struct eal_state {
    std::mutex m;
    bool started = false;
    std::string error; // non-empty: EAL failed and cannot be restarted
};

eal_state& eal() {
    static eal_state s;
    return s;
}

bool has_lcore_option(const std::vector<std::string>& args) {
    for (auto& a : args) {
        if (a == "-l" || a == "-c" || a.starts_with("--lcores") || (a.starts_with("-l") && a.size() > 2) ||
            (a.starts_with("-c") && a.size() > 2)) {
            return true;
        }
    }
    return false;
}

// Why EAL failed, in words, from rte_errno (as rte_eal_init documents it).
std::string eal_failure(int err, const std::vector<std::string>& args) {
    bool no_huge = false;
    for (auto& a : args) {
        no_huge |= a == "--no-huge";
    }
    switch (err) {
    case EACCES:
        return no_huge ? "permission denied (EAL needs root for its devices)"
                       : "no usable huge pages (reserve some in /proc/sys/vm/nr_hugepages and mount hugetlbfs, "
                         "or pass --no-huge in --dpdk-eal-args)";
    case ENOMEM:
        return no_huge ? "not enough memory for EAL (-m)" : "not enough huge pages (or pass --no-huge)";
    case EINVAL:
        return "bad EAL arguments";
    case ENODEV:
        return "a device could not be created (check --vdev)";
    case EALREADY:
        return "EAL was started already by other code in this process";
    case EPROTO:
        return "the PCI bus is not present or not readable (pass --no-pci)";
    case ENOEXEC:
        return "a device driver could not be loaded (check --vdev)";
    default:
        return fmt::format("{} (rte_errno {})", rte_strerror(err), err);
    }
}

} // namespace

std::vector<std::string> split_args(std::string_view s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(uint8_t(s[i]))) {
            ++i;
        }
        size_t j = i;
        while (j < s.size() && !std::isspace(uint8_t(s[j]))) {
            ++j;
        }
        if (j > i) {
            out.emplace_back(s.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

void eal_init(const eal_config& cfg) {
    auto& s = eal();
    std::lock_guard lock(s.m);
    if (s.started) {
        return;
    }
    if (!s.error.empty()) {
        throw std::runtime_error(s.error);
    }
    // EAL pins the calling thread to its lcore; the shards do their own pinning.
    cpu_set_t saved;
    bool have_saved = ::pthread_getaffinity_np(::pthread_self(), sizeof(saved), &saved) == 0;
    std::vector<std::string> args{"seastar"};
    if (!has_lcore_option(cfg.extra_args)) {
        // One lcore (EAL starts no thread for it) on the CPUs we may use.
        std::string cpus;
        for (int c = 0; have_saved && c < CPU_SETSIZE; ++c) {
            if (CPU_ISSET(c, &saved)) {
                cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
            }
        }
        args.push_back(cpus.empty() ? "-l" : "--lcores");
        args.push_back(cpus.empty() ? "0" : "0@(" + cpus + ")");
    }
    if (cfg.hugepages) {
        args.push_back("--huge-dir");
        args.push_back(*cfg.hugepages);
    }
    args.insert(args.end(), cfg.extra_args.begin(), cfg.extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    int r = rte_eal_init(int(args.size()), argv.data());
    int err = rte_errno;
    if (have_saved) {
        ::pthread_setaffinity_np(::pthread_self(), sizeof(saved), &saved);
    }
    if (r < 0) {
        std::string line;
        for (size_t i = 1; i < args.size(); ++i) {
            line += (i > 1 ? " " : "") + args[i];
        }
        s.error = fmt::format("DPDK EAL could not start: {} (EAL arguments: {})", eal_failure(err, args), line);
        throw std::runtime_error(s.error);
    }
    s.started = true;
}

bool eal_initialized() noexcept {
    auto& s = eal();
    std::lock_guard lock(s.m);
    return s.started;
}

unsigned port_count() {
    return eal_initialized() ? rte_eth_dev_count_avail() : 0;
}

namespace {

void check_port(uint16_t port) {
    if (!eal_initialized()) {
        throw std::runtime_error("DPDK: EAL is not started");
    }
    if (!rte_eth_dev_is_valid_port(port)) {
        throw std::runtime_error(fmt::format("DPDK port {} does not exist ({} port(s) available; add devices with "
                                             "--vdev or bind a NIC to a DPDK driver)",
                                             port, rte_eth_dev_count_avail()));
    }
}

} // namespace

link_status port_link_status(uint16_t port) {
    check_port(port);
    rte_eth_link l{};
    if (rte_eth_link_get_nowait(port, &l) != 0) {
        return {};
    }
    return {l.link_status == RTE_ETH_LINK_UP, l.link_speed, l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX};
}

std::vector<std::pair<std::string, uint64_t>> port_xstats(uint16_t port) {
    check_port(port);
    int n = rte_eth_xstats_get_names(port, nullptr, 0);
    if (n <= 0) {
        return {};
    }
    std::vector<rte_eth_xstat_name> names(n);
    std::vector<rte_eth_xstat> values(n);
    int got_names = rte_eth_xstats_get_names(port, names.data(), n);
    int got = rte_eth_xstats_get(port, values.data(), n);
    std::vector<std::pair<std::string, uint64_t>> out;
    for (int i = 0; i < got && i < got_names; ++i) {
        auto id = values[i].id;
        if (id < uint64_t(got_names)) {
            out.emplace_back(names[id].name, values[i].value);
        }
    }
    return out;
}

} // namespace dpdk

namespace {

using namespace net;

constexpr uint16_t rx_burst = 32;
constexpr unsigned mbufs_per_queue = 8191;
constexpr uint16_t default_ring_size = 512;

// A mempool that lives until the last packet holding one of its mbufs is
// gone (packets may outlive the queue and the device, on any shard).
struct pool_ref {
    rte_mempool* mp;
    explicit pool_ref(rte_mempool* p) noexcept : mp(p) {}
    ~pool_ref() { rte_mempool_free(mp); }
};

class dpdk_qp;

// Receives in bursts from the reactor loop; never lets the reactor sleep
// while the queue exists (DPDK's drivers are polled).
class rx_poller final : public internal::poller {
public:
    explicit rx_poller(dpdk_qp& q) noexcept : _q(q) {}
    bool poll() noexcept override;
    bool try_enter_interrupt_mode() noexcept override { return false; }

private:
    dpdk_qp& _q;
};

// How a queue sends: what the port was configured to do with an mbuf.
struct tx_caps {
    // Frames may leave as chains of mbufs (RTE_ETH_TX_OFFLOAD_MULTI_SEGS).
    bool multi_seg = false;
    // Large fragments go out attached to mbufs rather than copied.
    bool zero_copy = false;
    // The port is a virtual device (no DMA: any memory will do).
    bool virtual_device = false;
    // TSO: the largest frame (Ethernet header included) a cut segment may
    // make; the segment size is lowered to fit.
    uint32_t tso_frame_limit = 0;
};

// Fragments at least this long are attached to mbufs instead of copied.
constexpr size_t zero_copy_min = 512;
// The frame's first bytes (its headers) are always copied, so the head
// mbuf holds them whole and writable, as drivers and tx_prepare expect.
constexpr size_t copied_prefix = 128;
// An mbuf describes at most 64 KiB - 1 of an external buffer.
constexpr size_t max_attach = 32768;

struct tx_completions;

// The bytes of one transmitted frame that its mbufs point into: the
// frame's packet, held until DPDK drops the last mbuf attached to it.
struct tx_hold {
    rte_mbuf_ext_shared_info shinfo{};
    packet p;
    std::shared_ptr<tx_completions> done;
    tx_hold* next = nullptr; // in tx_completions::foreign

    // DPDK's free callback (any thread).
    static void release(void*, void* opaque) noexcept;
};

// Where transmitted packets whose bytes are attached to mbufs (zero copy)
// come back to die once the driver freed the last of those mbufs. The
// driver usually frees them inside rte_eth_tx_burst() on the queue's own
// shard, where the packet is destroyed at once; when another thread frees
// them (a net_ring peer receiving on another shard), the packet is queued
// here and destroyed by the queue's poller, so its deleter runs on the
// shard that owns it.
struct tx_completions {
    std::thread::id owner = std::this_thread::get_id();
    std::mutex m;
    tx_hold* foreign = nullptr; // a list, through tx_hold::next
    std::atomic<bool> pending{false};
    bool open = true;

    // Called by a thread other than the owner.
    void push(tx_hold* h) noexcept {
        std::unique_lock lock(m);
        if (open) {
            h->next = foreign;
            foreign = h;
            pending.store(true, std::memory_order_release);
            return;
        }
        // The queue is gone: nobody is left to run it on its shard; the
        // allocator still returns the memory to its owner.
        lock.unlock();
        delete h;
    }
    void drain() noexcept {
        if (!pending.load(std::memory_order_acquire)) {
            return;
        }
        tx_hold* got;
        {
            std::lock_guard lock(m);
            got = std::exchange(foreign, nullptr);
            pending.store(false, std::memory_order_relaxed);
        }
        while (got) {
            delete std::exchange(got, got->next);
        }
    }
    void close() noexcept {
        {
            std::lock_guard lock(m);
            open = false;
        }
        pending.store(true, std::memory_order_relaxed);
        drain();
    }
};

void tx_hold::release(void*, void* opaque) noexcept {
    auto* h = static_cast<tx_hold*>(opaque);
    auto done = h->done; // outlives the hold, whichever way it goes
    if (std::this_thread::get_id() == done->owner) {
        delete h;
    } else {
        done->push(h);
    }
}

class dpdk_qp final : public qp {
public:
    dpdk_qp(uint16_t port, uint16_t qid, std::shared_ptr<pool_ref> pool, const hw_features& hw, tx_caps tx)
        : _port(port), _qid(qid), _pool(std::move(pool)), _hw(hw), _tx(tx), _poller(*this) {
        engine().register_poller(&_poller);
    }
    ~dpdk_qp() override {
        engine().unregister_poller(&_poller);
        // Frames still in the ring go back to their pool.
        rte_mbuf* bufs[rx_burst];
        for (int i = 0; i < 64; ++i) {
            uint16_t n = rte_eth_rx_burst(_port, _qid, bufs, rx_burst);
            if (n == 0) {
                break;
            }
            rte_pktmbuf_free_bulk(bufs, n);
        }
        _done->close();
    }

    bool poll_rx() noexcept {
        _done->drain();
        rte_mbuf* bufs[rx_burst];
        uint16_t n = rte_eth_rx_burst(_port, _qid, bufs, rx_burst);
        for (uint16_t i = 0; i < n; ++i) {
            deliver(to_frame(bufs[i]));
        }
        return n > 0;
    }

protected:
    void send_batch(std::vector<frame>& batch) noexcept override {
        std::vector<rte_mbuf*> out;
        out.reserve(batch.size());
        for (auto& f : batch) {
            if (auto* m = to_mbuf(f)) {
                out.push_back(m);
            } else {
                _stats.tx_dropped++;
            }
        }
        // The driver's last touches (pseudo-header sums as its hardware
        // wants them); a frame it refuses is dropped.
        size_t ok = 0;
        while (ok < out.size()) {
            ok += rte_eth_tx_prepare(_port, _qid, out.data() + ok, uint16_t(out.size() - ok));
            if (ok < out.size()) {
                rte_pktmbuf_free(out[ok]);
                out.erase(out.begin() + ptrdiff_t(ok));
                _stats.tx_dropped++;
            }
        }
        size_t sent = 0;
        // The ring may be full for a moment: retry a bounded number of times.
        for (int tries = 0; sent < out.size() && tries < 100; ++tries) {
            sent += rte_eth_tx_burst(_port, _qid, out.data() + sent, uint16_t(out.size() - sent));
        }
        if (sent < out.size()) {
            _stats.tx_dropped += out.size() - sent;
            rte_pktmbuf_free_bulk(out.data() + sent, unsigned(out.size() - sent));
        }
        _done->drain();
    }

private:
    uint16_t _port;
    uint16_t _qid;
    std::shared_ptr<pool_ref> _pool;
    hw_features _hw;
    tx_caps _tx;
    std::shared_ptr<tx_completions> _done = std::make_shared<tx_completions>();
    rx_poller _poller;

    frame to_frame(rte_mbuf* head) noexcept {
        frame f;
        std::vector<fragment> frags;
        frags.reserve(head->nb_segs);
        // A chain (scattered or merged by LRO) is one packet of several
        // fragments.
        for (rte_mbuf* m = head; m; m = m->next) {
            if (m->data_len) {
                frags.push_back({rte_pktmbuf_mtod(m, char*), m->data_len});
            }
        }
        // The whole chain goes back to its pool when the packet is freed,
        // from whichever shard holds it last (the mempool is thread-safe).
        f.p = packet(std::move(frags), make_deleter([head, pool = _pool] { rte_pktmbuf_free(head); }));
        uint64_t fl = head->ol_flags;
        if (_hw.rx_csum_offload && (fl & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
            f.oi.rx_csum_good = true;
        }
        if (fl & RTE_MBUF_F_RX_RSS_HASH) {
            f.oi.rss_hash = head->hash.rss;
        }
        return f;
    }

    // The IO address of [p, p + n) for the port, or nothing when the
    // device could not reach it there (then the bytes are copied).
    std::optional<rte_iova_t> iova_of(const char* p, size_t n) const noexcept {
        bool va = rte_eal_iova_mode() == RTE_IOVA_VA;
        if (_tx.virtual_device) {
            // No DMA: the address only has to be well-formed.
            return va ? rte_iova_t(reinterpret_cast<uintptr_t>(p)) : rte_mem_virt2iova(p);
        }
        // A NIC reaches only memory that DPDK mapped for it, and in
        // physical-address mode only within one contiguous segment.
        const rte_memseg* ms = rte_mem_virt2memseg(p, nullptr);
        if (!ms || p + n > static_cast<const char*>(ms->addr) + ms->len) {
            return std::nullopt;
        }
        if (va) {
            return rte_iova_t(reinterpret_cast<uintptr_t>(p));
        }
        rte_iova_t io = rte_mem_virt2iova(p);
        if (io == RTE_BAD_IOVA) {
            return std::nullopt;
        }
        return io;
    }

    // Appends a fresh mbuf to the chain; false when the pool is empty.
    bool grow(rte_mbuf* head, rte_mbuf*& tail) noexcept {
        rte_mbuf* m = rte_pktmbuf_alloc(_pool->mp);
        if (!m) {
            return false;
        }
        if (rte_pktmbuf_chain(head, m) != 0) {
            rte_pktmbuf_free(m);
            return false;
        }
        tail = m;
        return true;
    }

    // Copies [src, src + n) at the end of the chain.
    bool append_copy(rte_mbuf* head, rte_mbuf*& tail, const char* src, size_t n) noexcept {
        while (n) {
            // Bytes go after an attached buffer into a fresh mbuf.
            size_t room = RTE_MBUF_HAS_EXTBUF(tail) ? 0 : rte_pktmbuf_tailroom(tail);
            if (room == 0) {
                if (!grow(head, tail)) {
                    return false;
                }
                continue;
            }
            size_t k = std::min(room, n);
            std::memcpy(rte_pktmbuf_mtod_offset(tail, char*, tail->data_len), src, k);
            tail->data_len += uint16_t(k);
            head->pkt_len += uint32_t(k);
            src += k;
            n -= k;
        }
        return true;
    }

    // Attaches [src, src + n) (which `hold` keeps alive) to new mbufs at the
    // end of the chain.
    bool append_attached(rte_mbuf* head, rte_mbuf*& tail, const char* src, size_t n, rte_iova_t io,
                         tx_hold& hold) noexcept {
        while (n) {
            if (!grow(head, tail)) {
                return false;
            }
            size_t k = std::min(n, max_attach);
            rte_mbuf_ext_refcnt_update(&hold.shinfo, 1);
            rte_pktmbuf_attach_extbuf(tail, const_cast<char*>(src), io, uint16_t(k), &hold.shinfo);
            tail->data_len = uint16_t(k);
            head->pkt_len += uint32_t(k);
            src += k;
            io += k;
            n -= k;
        }
        return true;
    }

    // Builds the frame's mbuf chain: small pieces copied, large ones
    // attached (zero copy, when the port allows it), and the offload
    // metadata; null when the pool is empty.
    rte_mbuf* to_mbuf(frame& f) noexcept {
        rte_mbuf* head = rte_pktmbuf_alloc(_pool->mp);
        if (!head) {
            return nullptr;
        }
        rte_mbuf* tail = head;
        tx_hold* hold = nullptr;
        if (_tx.zero_copy && f.p.len() >= copied_prefix + zero_copy_min) {
            hold = new (std::nothrow) tx_hold;
            if (hold) {
                hold->shinfo.free_cb = &tx_hold::release;
                hold->shinfo.fcb_opaque = hold;
                // The builder's own reference, dropped at the end.
                rte_mbuf_ext_refcnt_set(&hold->shinfo, 1);
            }
        }
        bool ok = true;
        size_t off = 0;
        for (auto& fr : f.p.fragments()) {
            const char* src = fr.base;
            size_t left = fr.size;
            if (off < copied_prefix) {
                size_t k = std::min(left, copied_prefix - off);
                ok = ok && append_copy(head, tail, src, k);
                src += k;
                left -= k;
                off += k;
            }
            if (!left) {
                continue;
            }
            std::optional<rte_iova_t> io;
            if (hold && left >= zero_copy_min) {
                io = iova_of(src, left);
            }
            ok = ok && (io ? append_attached(head, tail, src, left, *io, *hold) : append_copy(head, tail, src, left));
            off += left;
        }
        if (hold) {
            // Attached mbufs now keep the packet; the frame's own handle goes.
            hold->done = _done;
            hold->p = std::move(f.p);
        }
        if (!ok) {
            rte_pktmbuf_free(head);
        }
        if (hold && rte_mbuf_ext_refcnt_update(&hold->shinfo, -1) == 0) {
            // Nothing was attached (or everything was freed again).
            delete hold;
        }
        if (!ok) {
            return nullptr;
        }
        set_offloads(head, f.oi);
        return head;
    }

    void set_offloads(rte_mbuf* head, const offload_info& oi) noexcept {
        if (!oi.needs_ip_csum && !oi.needs_csum && !oi.tso_seg_size) {
            return;
        }
        head->l2_len = 14;
        head->l3_len = oi.ip_hdr_len;
        head->ol_flags |= RTE_MBUF_F_TX_IPV4;
        if (oi.needs_ip_csum) {
            head->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
        }
        if (oi.needs_csum) {
            head->ol_flags |= oi.protocol == 6 ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
        }
        uint32_t hdrs = 14u + oi.ip_hdr_len + oi.l4_hdr_len;
        if (oi.tso_seg_size && oi.protocol == 6 && _tx.tso_frame_limit > hdrs &&
            head->pkt_len > hdrs + oi.tso_seg_size) {
            // The device cuts it into segments of tso_segsz payload bytes,
            // each with a copy of the headers (and its own checksums).
            head->l4_len = oi.l4_hdr_len;
            head->tso_segsz = uint16_t(std::min<uint32_t>(oi.tso_seg_size, _tx.tso_frame_limit - hdrs));
            head->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
        }
    }
};

bool rx_poller::poll() noexcept {
    return _q.poll_rx();
}

class dpdk_device final : public device {
public:
    dpdk_device(uint16_t port, uint16_t queues, bool use_lro) : _port(port) {
        dpdk::port_link_status(port); // checks that EAL runs and the port exists
        rte_eth_dev_info info{};
        if (int r = rte_eth_dev_info_get(port, &info); r != 0) {
            fail("cannot read the device's information", r);
        }
        uint16_t n = std::max<uint16_t>(1, std::min<uint16_t>({queues, info.max_rx_queues, info.max_tx_queues}));
        _queues = n;
        rte_eth_conf conf{};
        if (n > 1 && info.flow_type_rss_offloads) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            std::memcpy(_rss_key, default_rsskey_40bytes, sizeof(_rss_key));
            conf.rx_adv_conf.rss_conf.rss_key = _rss_key;
            conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(_rss_key);
            conf.rx_adv_conf.rss_conf.rss_hf =
                info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
            if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH) {
                conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
                _hw.rx_rss_hash = true;
            }
        }
        if ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)) {
            conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
            _hw.tx_csum_ip_offload = true;
        }
        constexpr uint64_t l4_tx = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
        if ((info.tx_offload_capa & l4_tx) == l4_tx) {
            conf.txmode.offloads |= l4_tx;
            _hw.tx_csum_l4_offload = true;
        }
        constexpr uint64_t l4_rx = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
        if ((info.rx_offload_capa & l4_rx) == l4_rx) {
            conf.rxmode.offloads |= l4_rx;
            _hw.rx_csum_offload = true;
        }
        const rte_bus* bus = info.device ? rte_dev_bus(info.device) : nullptr;
        _tx.virtual_device = bus && std::string_view(rte_bus_name(bus)) == "vdev";
        if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
            conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
            _tx.multi_seg = true;
            _tx.zero_copy = true;
        }
        // TSO: the device rewrites lengths, sequence numbers and both
        // checksums of every piece, so it must do checksums as well.
        if (_tx.multi_seg && _hw.tx_csum_ip_offload && _hw.tx_csum_l4_offload &&
            (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO)) {
            conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
            _hw.tx_tso = true;
        }
        // LRO: merged segments arrive as chains of mbufs (scatter).
        constexpr uint64_t lro_rx = RTE_ETH_RX_OFFLOAD_TCP_LRO | RTE_ETH_RX_OFFLOAD_SCATTER;
        if (use_lro && (info.rx_offload_capa & lro_rx) == lro_rx) {
            conf.rxmode.offloads |= lro_rx;
            conf.rxmode.max_lro_pkt_size =
                info.max_lro_pkt_size ? std::min<uint32_t>(info.max_lro_pkt_size, 65535 + 14) : 65535 + 14;
            _hw.rx_lro = true;
        }
        if (int r = rte_eth_dev_configure(port, n, n, &conf); r != 0) {
            fail(fmt::format("cannot configure {} queue(s)", n), r);
        }
        uint16_t rx_desc = default_ring_size, tx_desc = default_ring_size;
        rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
        int socket = rte_eth_dev_socket_id(port);
        if (socket < 0) {
            socket = SOCKET_ID_ANY;
        }
        static std::atomic<unsigned> pool_seq{0};
        for (uint16_t q = 0; q < n; ++q) {
            auto name = fmt::format("ss{}p{}q{}", pool_seq++, port, q);
            // No per-lcore cache: the shards' threads are not EAL lcores.
            rte_mempool* mp =
                rte_pktmbuf_pool_create(name.c_str(), mbufs_per_queue, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
            if (!mp) {
                fail(fmt::format("cannot create the mempool of queue {} ({} mbufs)", q, mbufs_per_queue), -rte_errno);
            }
            _pools.push_back(std::make_shared<pool_ref>(mp));
            if (int r = rte_eth_rx_queue_setup(port, q, rx_desc, unsigned(socket), nullptr, mp); r != 0) {
                fail(fmt::format("cannot set up receive queue {}", q), r);
            }
            if (int r = rte_eth_tx_queue_setup(port, q, tx_desc, unsigned(socket), nullptr); r != 0) {
                fail(fmt::format("cannot set up transmit queue {}", q), r);
            }
        }
        rte_ether_addr mac{};
        rte_eth_macaddr_get(port, &mac);
        if (rte_is_zero_ether_addr(&mac)) {
            // Some virtual ports (rings) have none: a locally administered
            // one, which the port keeps if it can (it is promiscuous anyway).
            rte_eth_random_addr(mac.addr_bytes);
            rte_eth_dev_default_mac_addr_set(port, &mac);
        }
        std::memcpy(_mac.mac.data(), mac.addr_bytes, 6);
        uint16_t mtu = 1500;
        rte_eth_dev_get_mtu(port, &mtu);
        _hw.mtu = std::min<uint16_t>(mtu, 1500);
        _hw.max_packet_len = _hw.mtu + 14u;
        if (_hw.tx_tso) {
            // A whole IPv4 datagram, within the segments the port takes
            // for one frame (copies fill 2 KiB mbufs, attachments 32 KiB).
            uint32_t segs = std::max<uint32_t>(1, info.tx_desc_lim.nb_seg_max);
            _hw.max_packet_len = std::min<uint32_t>(65535 + 14, segs * 2048u);
            // net_tap compares each piece, Ethernet header included, with
            // the MTU; hardware counts from the IP header.
            bool whole_frame = std::string_view(info.driver_name) == "net_tap";
            _tx.tso_frame_limit = _hw.mtu + (whole_frame ? 0u : 14u);
            if (_hw.max_packet_len <= _hw.mtu + 14u) {
                _hw.tx_tso = false;
                _hw.max_packet_len = _hw.mtu + 14u;
            }
        }
        if (int r = rte_eth_dev_start(port); r != 0) {
            fail("cannot start the port", r);
        }
        _started = true;
        rte_eth_promiscuous_enable(port);
        if (conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS && info.reta_size > 0) {
            program_reta(info.reta_size, n);
        }
        _taken.resize(n);
    }

    ~dpdk_device() override {
        if (_started) {
            rte_eth_dev_stop(_port);
        }
    }

    ethernet_address hw_address() const noexcept override { return _mac; }
    const net::hw_features& hw_features() const noexcept override { return _hw; }
    unsigned hw_queues_count() const noexcept override { return _queues; }
    // The port's redirection table when it could be written or read (its
    // size is a power of two: the NIC indexes it with the hash's low bits).
    unsigned hash2qid(uint32_t hash) const noexcept override {
        return _reta.empty() ? device::hash2qid(hash) : _reta[hash % _reta.size()];
    }
    std::unique_ptr<qp> make_queue(unsigned qid) override {
        std::lock_guard lock(_m);
        if (qid >= _queues) {
            throw std::out_of_range(
                fmt::format("DPDK port {}: queue {} does not exist ({} queues)", _port, qid, _queues));
        }
        if (_taken[qid]) {
            throw std::logic_error(fmt::format("DPDK port {}: queue {} exists already", _port, qid));
        }
        _taken[qid] = true;
        return std::make_unique<dpdk_qp>(_port, uint16_t(qid), _pools[qid], _hw, _tx);
    }

private:
    // Entry i -> queue i % queues, so that the stack's hash2qid() of its own
    // Toeplitz hash names the queue the port delivers a flow to. A port that
    // refuses the update keeps its table: it is read back (if the port lets
    // us), or else hash2qid() falls back to the default table (frames that
    // land elsewhere are forwarded by the stack).
    void program_reta(uint16_t size, uint16_t queues) {
        constexpr unsigned group = RTE_ETH_RETA_GROUP_SIZE;
        std::vector<rte_eth_rss_reta_entry64> table((size + group - 1) / group);
        for (uint16_t i = 0; i < size; ++i) {
            auto& e = table[i / group];
            e.mask |= uint64_t(1) << (i % group);
            e.reta[i % group] = uint16_t(i % queues);
        }
        if (rte_eth_dev_rss_reta_update(_port, table.data(), size) != 0) {
            for (auto& e : table) {
                e.mask = ~uint64_t(0);
            }
            if (rte_eth_dev_rss_reta_query(_port, table.data(), size) != 0) {
                return;
            }
        }
        _reta.resize(size);
        for (uint16_t i = 0; i < size; ++i) {
            _reta[i] = table[i / group].reta[i % group];
        }
    }

    uint16_t _port;
    unsigned _queues = 1;
    std::vector<uint16_t> _reta;
    bool _started = false;
    uint8_t _rss_key[40];
    ethernet_address _mac;
    net::hw_features _hw;
    tx_caps _tx;
    std::vector<std::shared_ptr<pool_ref>> _pools;
    std::mutex _m;
    std::vector<bool> _taken;

    [[noreturn]] void fail(const std::string& what, int r) {
        // Pools made so far are freed by _pools; the port is left configured.
        throw std::runtime_error(fmt::format("DPDK port {}: {}: {}", _port, what, rte_strerror(-r)));
    }
};

} // namespace

std::shared_ptr<net::device> create_dpdk_net_device(uint16_t port_idx, uint16_t num_queues, bool use_lro, bool) {
    return std::make_shared<dpdk_device>(port_idx, num_queues, use_lro);
}

} // namespace seastar
