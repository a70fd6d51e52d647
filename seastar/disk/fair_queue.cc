#include "seastar/core/fair_queue.hh"

#include <algorithm>

namespace seastar {

void fair_queue::register_priority_class(class_id id, double shares) {
    if (id >= _classes.size()) {
        throw std::invalid_argument("fair_queue: class id out of range");
    }
    auto& pc = _classes[id];
    if (pc.registered) {
        throw std::logic_error("fair_queue: class registered twice");
    }
    pc = priority_class{};
    pc.registered = true;
    pc.shares = std::max(shares, 1.0);
    pc.vtime = _last_vtime;
}

void fair_queue::unregister_priority_class(class_id id) {
    auto& pc = get(id);
    if (pc.head) {
        throw std::logic_error("fair_queue: unregistering a class with queued requests");
    }
    pc.registered = false;
}

void fair_queue::update_shares_for_class(class_id id, double shares) {
    get(id).shares = std::max(shares, 1.0);
}

void fair_queue::queue(class_id id, fair_queue_entry& e) {
    auto& pc = get(id);
    if (!pc.head) {
        // Waking from idle: no credit for the time it had nothing queued.
        pc.vtime = std::max(pc.vtime, _last_vtime);
    }
    e._class = id;
    e._queued = true;
    e._next = nullptr;
    e._prev = pc.tail;
    if (pc.tail) {
        pc.tail->_next = &e;
    } else {
        pc.head = &e;
    }
    pc.tail = &e;
    pc.stats.queued++;
    ++_waiters;
}

void fair_queue::pop_front(priority_class& pc) noexcept {
    auto e = pc.head;
    pc.head = e->_next;
    if (pc.head) {
        pc.head->_prev = nullptr;
    } else {
        pc.tail = nullptr;
    }
    e->_next = e->_prev = nullptr;
    e->_queued = false;
    pc.stats.queued--;
    --_waiters;
}

void fair_queue::notify_request_cancelled(fair_queue_entry& e) noexcept {
    if (!e._queued) {
        return;
    }
    auto& pc = _classes[e._class];
    if (e._prev) {
        e._prev->_next = e._next;
    } else {
        pc.head = e._next;
    }
    if (e._next) {
        e._next->_prev = e._prev;
    } else {
        pc.tail = e._prev;
    }
    e._next = e._prev = nullptr;
    e._queued = false;
    pc.stats.queued--;
    --_waiters;
}

} // namespace seastar
