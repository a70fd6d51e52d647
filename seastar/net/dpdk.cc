#include "seastar/net/dpdk.hh"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
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

class dpdk_qp final : public qp {
public:
    dpdk_qp(uint16_t port, uint16_t qid, std::shared_ptr<pool_ref> pool, const hw_features& hw)
        : _port(port), _qid(qid), _pool(std::move(pool)), _hw(hw), _poller(*this) {
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
    }

    bool poll_rx() noexcept {
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
        size_t sent = 0;
        // The ring may be full for a moment: retry a bounded number of times.
        for (int tries = 0; sent < out.size() && tries < 100; ++tries) {
            sent += rte_eth_tx_burst(_port, _qid, out.data() + sent, uint16_t(out.size() - sent));
        }
        if (sent < out.size()) {
            _stats.tx_dropped += out.size() - sent;
            rte_pktmbuf_free_bulk(out.data() + sent, unsigned(out.size() - sent));
        }
    }

private:
    uint16_t _port;
    uint16_t _qid;
    std::shared_ptr<pool_ref> _pool;
    hw_features _hw;
    rx_poller _poller;

    frame to_frame(rte_mbuf* head) noexcept {
        frame f;
        std::vector<fragment> frags;
        frags.reserve(head->nb_segs);
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

    // Copies the frame into one mbuf, or a chain when it is larger than a
    // segment; null when the pool is empty.
    rte_mbuf* to_mbuf(const frame& f) noexcept {
        rte_mbuf* head = rte_pktmbuf_alloc(_pool->mp);
        if (!head) {
            return nullptr;
        }
        rte_mbuf* tail = head;
        for (auto& fr : f.p.fragments()) {
            const char* src = fr.base;
            size_t left = fr.size;
            while (left) {
                size_t room = rte_pktmbuf_tailroom(tail);
                if (room == 0) {
                    rte_mbuf* m = rte_pktmbuf_alloc(_pool->mp);
                    if (!m || rte_pktmbuf_chain(head, m) != 0) {
                        rte_pktmbuf_free(m);
                        rte_pktmbuf_free(head);
                        return nullptr;
                    }
                    tail = m;
                    continue;
                }
                size_t n = std::min(room, left);
                std::memcpy(rte_pktmbuf_mtod_offset(tail, char*, tail->data_len), src, n);
                tail->data_len += uint16_t(n);
                head->pkt_len += uint32_t(n);
                src += n;
                left -= n;
            }
        }
        if (f.oi.needs_ip_csum || f.oi.needs_csum) {
            head->l2_len = 14;
            head->l3_len = f.oi.ip_hdr_len;
            head->ol_flags |= RTE_MBUF_F_TX_IPV4;
            if (f.oi.needs_ip_csum) {
                head->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
            }
            if (f.oi.needs_csum) {
                head->ol_flags |= f.oi.protocol == 6 ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
            }
        }
        return head;
    }
};

bool rx_poller::poll() noexcept {
    return _q.poll_rx();
}

class dpdk_device final : public device {
public:
    dpdk_device(uint16_t port, uint16_t queues) : _port(port) {
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
        return std::make_unique<dpdk_qp>(_port, uint16_t(qid), _pools[qid], _hw);
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
    std::vector<std::shared_ptr<pool_ref>> _pools;
    std::mutex _m;
    std::vector<bool> _taken;

    [[noreturn]] void fail(const std::string& what, int r) {
        // Pools made so far are freed by _pools; the port is left configured.
        throw std::runtime_error(fmt::format("DPDK port {}: {}: {}", _port, what, rte_strerror(-r)));
    }
};

} // namespace

std::shared_ptr<net::device> create_dpdk_net_device(uint16_t port_idx, uint16_t num_queues, bool, bool) {
    return std::make_shared<dpdk_device>(port_idx, num_queues);
}

} // namespace seastar
