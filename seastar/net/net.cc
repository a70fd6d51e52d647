#include "seastar/net/net.hh"

#include "seastar/core/task.hh"

namespace seastar::net {

// Runs the batch once the task that queued the first frame is done. The qp
// forgets it (and it does nothing) if the qp is destroyed first.
class qp::flush_task final : public task {
public:
    qp* owner;
    explicit flush_task(qp* q) noexcept : owner(q) {}
    void run_and_dispose() noexcept override {
        if (owner) {
            owner->_pending_flush = nullptr;
            owner->flush();
        }
        delete this;
    }
};

qp::qp() = default;

qp::~qp() {
    if (_pending_flush) {
        _pending_flush->owner = nullptr;
    }
}

void qp::receive(std::function<void(frame)> receiver) {
    _receiver = std::move(receiver);
}

void qp::send(frame f) {
    _tx.push_back(std::move(f));
    if (_tx.size() >= tx_batch) {
        flush();
        return;
    }
    schedule_flush();
}

void qp::schedule_flush() {
    if (!_pending_flush) {
        _pending_flush = new flush_task(this);
        schedule(_pending_flush);
    }
}

void qp::flush() noexcept {
    if (_tx.empty()) {
        return;
    }
    if (_flushing) {
        // Sent from inside send_batch() (a device that delivers to a peer at
        // once, and the peer answered): these frames go after the batch in
        // progress, never before it.
        schedule_flush();
        return;
    }
    auto batch = std::move(_tx);
    _tx.clear();
    for (auto& f : batch) {
        _stats.tx_frames++;
        _stats.tx_bytes += f.p.len();
    }
    _stats.tx_batches++;
    _flushing = true;
    send_batch(batch);
    _flushing = false;
    if (!_tx.empty()) {
        schedule_flush();
    }
}

void qp::deliver(frame f) noexcept {
    if (!_receiver) {
        _stats.rx_dropped++;
        return;
    }
    _stats.rx_frames++;
    _stats.rx_bytes += f.p.len();
    _receiver(std::move(f));
}

} // namespace seastar::net
