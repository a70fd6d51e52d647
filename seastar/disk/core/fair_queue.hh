// fair_queue: divides a resource between classes by their shares, in
// virtual time.
//
// Each class has a FIFO of entries and a virtual time. Dispatching picks the
// non-empty class with the smallest virtual time and advances that time by
// entry cost / class shares; so two classes that keep their queues full get
// dispatched cost in proportion to their shares. A class that was idle
// restarts at the virtual time of the last dispatch, so idling banks no
// credit. Costs are in the caller's unit (the I/O queue uses nanoseconds of
// device time from its disk model).
//
// Contract: shard-local, no allocation on queue/dispatch (entries are
// intrusive: the caller owns them and keeps them alive while queued). A class
// id is below max_classes (one per scheduling group). Queueing to a class that
// is not registered throws std::logic_error; shares below 1 are raised to 1.
//
//     seastar::fair_queue fq;
//     fq.register_priority_class(0, 100);
//     fq.queue(0, entry);                   // entry: a fair_queue_entry
//     fq.dispatch_requests([](seastar::fair_queue_entry& e) { return true; },   // room for e?
//                          [](seastar::fair_queue_entry& e) { start(e); });
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace seastar {

class fair_queue;

class fair_queue_entry {
    fair_queue_entry* _next = nullptr;
    fair_queue_entry* _prev = nullptr;
    double _cost;
    unsigned _class = 0;
    bool _queued = false;
    friend class fair_queue;

public:
    explicit fair_queue_entry(double cost) noexcept : _cost(cost) {}
    fair_queue_entry(const fair_queue_entry&) = delete;
    fair_queue_entry& operator=(const fair_queue_entry&) = delete;
    double cost() const noexcept { return _cost; }
    bool queued() const noexcept { return _queued; }
};

class fair_queue {
public:
    using class_id = unsigned;
    static constexpr unsigned max_classes = 64;

    struct class_stats {
        uint64_t dispatched = 0;
        double dispatched_cost = 0;
        size_t queued = 0;
    };

private:
    struct priority_class {
        bool registered = false;
        double shares = 1;
        double vtime = 0;
        fair_queue_entry* head = nullptr;
        fair_queue_entry* tail = nullptr;
        class_stats stats;
    };
    std::vector<priority_class> _classes;
    double _last_vtime = 0;
    size_t _waiters = 0;

    priority_class& get(class_id id) {
        if (id >= _classes.size() || !_classes[id].registered) {
            throw std::logic_error("fair_queue: class is not registered");
        }
        return _classes[id];
    }
    void pop_front(priority_class& pc) noexcept;

public:
    fair_queue() : _classes(max_classes) {}
    fair_queue(const fair_queue&) = delete;
    fair_queue& operator=(const fair_queue&) = delete;

    // Throws std::invalid_argument for an id >= max_classes, std::logic_error
    // if the class is registered already.
    void register_priority_class(class_id id, double shares);
    // The class's queue must be empty (std::logic_error otherwise).
    void unregister_priority_class(class_id id);
    bool is_registered(class_id id) const noexcept { return id < _classes.size() && _classes[id].registered; }
    void update_shares_for_class(class_id id, double shares);
    double shares(class_id id) const noexcept { return _classes.at(id).shares; }

    // Appends `e` to class `id`'s queue (throws std::logic_error if not registered).
    void queue(class_id id, fair_queue_entry& e);
    // Takes a queued entry off its queue without dispatching it.
    void notify_request_cancelled(fair_queue_entry& e) noexcept;

    // Dispatches entries in virtual-time order while can_dispatch(entry)
    // says there is room for the next one; dispatch(entry) is called after
    // the entry is off the queue (it may destroy it). Returns how many.
    template <typename CanDispatch, typename Dispatch>
    size_t dispatch_requests(CanDispatch&& can_dispatch, Dispatch&& dispatch) {
        size_t n = 0;
        while (_waiters) {
            priority_class* best = nullptr;
            for (auto& pc : _classes) {
                if (pc.head && (!best || pc.vtime < best->vtime)) {
                    best = &pc;
                }
            }
            auto& e = *best->head;
            if (!can_dispatch(e)) {
                break;
            }
            _last_vtime = best->vtime;
            best->vtime += e._cost / best->shares;
            best->stats.dispatched++;
            best->stats.dispatched_cost += e._cost;
            pop_front(*best);
            ++n;
            dispatch(e);
        }
        return n;
    }

    // Entries queued, over all classes.
    size_t waiters() const noexcept { return _waiters; }
    class_stats get_class_stats(class_id id) const noexcept { return _classes.at(id).stats; }
};

} // namespace seastar
