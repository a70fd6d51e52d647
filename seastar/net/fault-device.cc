#include "seastar/net/fault-device.hh"

#include <deque>
#include <functional>
#include <stdexcept>
#include <vector>

#include "seastar/core/task.hh"
#include "seastar/core/timer.hh"

namespace seastar::net {

namespace {

// splitmix64: small, fast and the same everywhere.
class rng {
    uint64_t _s;

public:
    explicit rng(uint64_t seed) noexcept : _s(seed) {}
    uint64_t next() noexcept {
        uint64_t z = (_s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1).
    double uniform() noexcept { return double(next() >> 11) * 0x1.0p-53; }
};

void check(const fault_config& c) {
    for (double v : {c.drop, c.corrupt, c.duplicate, c.reorder, c.delay}) {
        if (!(v >= 0 && v <= 1)) {
            throw std::invalid_argument("fault_device: a share must be in [0, 1]");
        }
    }
    if (c.drop + c.corrupt + c.duplicate + c.reorder + c.delay > 1 + 1e-9) {
        throw std::invalid_argument("fault_device: the shares sum to more than 1");
    }
}

// One direction: takes bursts of frames, passes on what survives.
class fault_pipe {
public:
    using output = std::function<void(frame)>;

    fault_pipe(const fault_config& cfg, uint64_t seed, fault_stats& stats, output out)
        : _cfg(cfg), _rng(seed), _stats(stats), _out(std::move(out)), _delay_timer([this] { release_delayed(); }) {}

    void process(std::vector<frame>& burst) noexcept {
        std::optional<frame> held; // waiting to be swapped with the next frame
        for (auto& f : burst) {
            _stats.frames++;
            double x = _rng.uniform();
            double edge = _cfg.drop;
            if (x < edge) {
                _stats.dropped++;
                continue;
            }
            if (x < (edge += _cfg.corrupt)) {
                if (corruptible(f.p)) {
                    _stats.corrupted++;
                    f.p = corrupted_copy(f.p);
                }
            } else if (x < (edge += _cfg.duplicate)) {
                _stats.duplicated++;
                emit(frame{f.p.share(), f.oi}, held);
            } else if (x < (edge += _cfg.reorder)) {
                if (!held) {
                    _stats.reordered++;
                    held = std::move(f);
                    continue;
                }
            } else if (x < (edge += _cfg.delay)) {
                _stats.delayed++;
                _delayed.push_back({std::chrono::steady_clock::now() + _cfg.delay_time, std::move(f)});
                if (!_delay_timer.armed()) {
                    _delay_timer.arm(_delayed.front().first);
                }
                continue;
            }
            emit(std::move(f), held);
        }
        if (held) {
            _out(std::move(*held));
        }
    }

private:
    // Passes f on, then the frame held back to follow it.
    void emit(frame f, std::optional<frame>& held) noexcept {
        _out(std::move(f));
        if (held) {
            _out(std::move(*held));
            held.reset();
        }
    }
    // Corruption hits IPv4 frames after the Ethernet header, where the IP
    // and L4 checksums must catch it (a link's frame check sequence catches
    // the rest, so ARP and Ethernet headers arrive intact on real links).
    static bool corruptible(const packet& p) {
        if (p.len() <= 14 || p.frag(0).size < 14) {
            return false;
        }
        auto b = p.frag(0).base;
        return uint8_t(b[12]) == 0x08 && uint8_t(b[13]) == 0x00;
    }
    packet corrupted_copy(packet& p) {
        packet copy;
        for (auto& fr : p.fragments()) {
            copy.append(packet(fr.base, fr.size));
        }
        copy.linearize();
        uint64_t bit = 14 * 8 + _rng.next() % (uint64_t(copy.len() - 14) * 8);
        copy.frag(0).base[bit / 8] ^= char(1u << (bit % 8));
        return copy;
    }
    void release_delayed() noexcept {
        auto now = std::chrono::steady_clock::now();
        while (!_delayed.empty() && _delayed.front().first <= now) {
            auto f = std::move(_delayed.front().second);
            _delayed.pop_front();
            _out(std::move(f));
        }
        if (!_delayed.empty()) {
            _delay_timer.arm(_delayed.front().first);
        }
    }

    fault_config _cfg;
    rng _rng;
    fault_stats& _stats;
    output _out;
    std::deque<std::pair<std::chrono::steady_clock::time_point, frame>> _delayed;
    timer<> _delay_timer;
};

class fault_qp final : public qp {
    std::unique_ptr<qp> _inner;
    fault_pipe _tx;
    fault_pipe _rx;
    std::vector<frame> _rx_burst;

    // Runs the receive burst after the inner queue's task.
    struct rx_task final : task {
        fault_qp* owner;
        explicit rx_task(fault_qp* q) noexcept : owner(q) {}
        void run_and_dispose() noexcept override {
            if (owner) {
                owner->_rx_pending = nullptr;
                owner->run_rx();
            }
            delete this;
        }
    };
    rx_task* _rx_pending = nullptr;

    void run_rx() noexcept {
        auto burst = std::move(_rx_burst);
        _rx_burst.clear();
        _rx.process(burst);
    }

public:
    fault_qp(std::unique_ptr<qp> inner, const fault_options& o, fault_stats& tx_stats, fault_stats& rx_stats)
        : _inner(std::move(inner)), _tx(o.tx, o.seed, tx_stats, [this](frame f) { _inner->send(std::move(f)); }),
          _rx(o.rx, o.seed ^ 0x5bd1e995, rx_stats, [this](frame f) { deliver(std::move(f)); }) {
        _inner->receive([this](frame f) {
            _rx_burst.push_back(std::move(f));
            if (!_rx_pending) {
                _rx_pending = new rx_task(this);
                schedule(_rx_pending);
            }
        });
    }
    ~fault_qp() override {
        if (_rx_pending) {
            _rx_pending->owner = nullptr;
        }
    }

protected:
    void send_batch(std::vector<frame>& batch) noexcept override { _tx.process(batch); }
};

class fault_device_impl final : public fault_device {
    std::shared_ptr<device> _inner;
    fault_options _opts;
    fault_stats _tx_stats;
    fault_stats _rx_stats;

public:
    fault_device_impl(std::shared_ptr<device> inner, fault_options o) : _inner(std::move(inner)), _opts(o) {
        check(o.tx);
        check(o.rx);
    }
    ethernet_address hw_address() const noexcept override { return _inner->hw_address(); }
    const net::hw_features& hw_features() const noexcept override { return _inner->hw_features(); }
    unsigned hw_queues_count() const noexcept override { return _inner->hw_queues_count(); }
    unsigned hash2qid(uint32_t hash) const noexcept override { return _inner->hash2qid(hash); }
    std::unique_ptr<qp> make_queue(unsigned qid) override {
        fault_options o = _opts;
        o.seed = _opts.seed + qid * 0x100000001b3ull;
        return std::make_unique<fault_qp>(_inner->make_queue(qid), o, _tx_stats, _rx_stats);
    }
    const fault_stats& tx_stats() const noexcept override { return _tx_stats; }
    const fault_stats& rx_stats() const noexcept override { return _rx_stats; }
};

} // namespace

std::shared_ptr<fault_device> make_fault_device(std::shared_ptr<device> inner, fault_options opts) {
    return std::make_shared<fault_device_impl>(std::move(inner), opts);
}

} // namespace seastar::net
