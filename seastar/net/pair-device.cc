#include "seastar/net/pair-device.hh"

#include <stdexcept>

namespace seastar::net {

namespace {

class pair_qp;

// What both ends share: the queue of each end, when it exists.
struct pair_link {
    pair_qp* end[2] = {nullptr, nullptr};
};

class pair_qp final : public qp {
    std::shared_ptr<pair_link> _link;
    unsigned _side;

public:
    pair_qp(std::shared_ptr<pair_link> link, unsigned side) : _link(std::move(link)), _side(side) {
        _link->end[_side] = this;
    }
    ~pair_qp() override { _link->end[_side] = nullptr; }
    void receive_from_peer(frame f) noexcept { deliver(std::move(f)); }

protected:
    void send_batch(std::vector<frame>& batch) noexcept override {
        for (auto& f : batch) {
            auto peer = _link->end[1 - _side];
            if (!peer) {
                _stats.tx_dropped++;
                continue;
            }
            // The receiver sees what a NIC would: no transmit offload state.
            peer->receive_from_peer(frame{std::move(f.p), {}});
        }
    }
};

class pair_device final : public device {
    std::shared_ptr<pair_link> _link;
    unsigned _side;
    ethernet_address _mac;
    net::hw_features _hw;

public:
    pair_device(std::shared_ptr<pair_link> link, unsigned side, ethernet_address mac, uint16_t mtu)
        : _link(std::move(link)), _side(side), _mac(mac) {
        _hw.mtu = mtu;
        _hw.max_packet_len = mtu + 14u;
    }
    ethernet_address hw_address() const noexcept override { return _mac; }
    const net::hw_features& hw_features() const noexcept override { return _hw; }
    std::unique_ptr<qp> make_queue(unsigned qid) override {
        if (qid != 0) {
            throw std::out_of_range("pair device: one queue only");
        }
        if (_link->end[_side]) {
            throw std::logic_error("pair device: queue 0 exists already");
        }
        return std::make_unique<pair_qp>(_link, _side);
    }
};

} // namespace

std::pair<std::shared_ptr<device>, std::shared_ptr<device>> make_device_pair(ethernet_address mac_a,
                                                                             ethernet_address mac_b, uint16_t mtu) {
    auto link = std::make_shared<pair_link>();
    return {std::make_shared<pair_device>(link, 0, mac_a, mtu), std::make_shared<pair_device>(link, 1, mac_b, mtu)};
}

} // namespace seastar::net
