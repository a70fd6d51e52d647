// A bounded single-producer / single-consumer ring of non-null pointers, in
// which a slot's own value says whether it is full: the producer stores a
// pointer into an empty (null) slot, the consumer takes it and stores null
// back. Neither side reads an index the other one writes, so a message costs
// the consumer one cache-line transfer (the slot) where an index-based queue
// costs two (the producer's index, then the slot). This is the channel
// between two shards, where the latency of one request is what counts.
//
// Contract
// - One producer thread calls push(); one consumer thread calls consume()
//   and empty(). size() is for a quiescent ring (both sides stopped).
// - Capacity: a power of two, at least 16 (the slots fill whole lines),
//   fixed at construction.
// - Items are plain pointers that must not be null; the ring never owns what
//   they point to.
//
// Memory ordering: the producer publishes an item with a release store of
// the slot, which makes the pointee's contents visible to the consumer's
// acquire load. The consumer's release store of null orders its use of the
// slot before the producer's acquire load that finds it empty again.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <new>
#include <stdexcept>

namespace seastar::internal {

template <typename T>
class pointer_ring {
    // Each side's private index on a line of its own (two lines apart, as
    // adjacent-line prefetchers pull pairs of lines).
    static constexpr std::size_t line = 128;
    // The slots fill whole lines of their own.
    static constexpr std::size_t min_capacity = line / sizeof(void*);

public:
    explicit pointer_ring(std::size_t capacity)
        : _mask(check(capacity) - 1), _slots(static_cast<std::atomic<T*>*>(
                                          ::operator new(capacity * sizeof(std::atomic<T*>), std::align_val_t(line)))) {
        for (std::size_t i = 0; i < capacity; ++i) {
            ::new (static_cast<void*>(_slots + i)) std::atomic<T*>(nullptr);
        }
    }

    ~pointer_ring() { ::operator delete(static_cast<void*>(_slots), std::align_val_t(line)); }

    pointer_ring(const pointer_ring&) = delete;
    pointer_ring& operator=(const pointer_ring&) = delete;

    std::size_t capacity() const noexcept { return _mask + 1; }

    // Producer: pushes items[0..n) in order, stopping at the first slot still
    // full. Returns how many were pushed.
    std::size_t push(T* const* items, std::size_t n) noexcept {
        std::size_t tail = _producer.tail;
        std::size_t i = 0;
        for (; i < n; ++i) {
            auto& s = _slots[(tail + i) & _mask];
            if (s.load(std::memory_order_acquire) != nullptr) {
                break; // full: the consumer has not taken this one yet
            }
            s.store(items[i], std::memory_order_release);
        }
        _producer.tail = tail + i;
        return i;
    }

    // Consumer: takes up to `max` items in order and hands each to fn.
    // Returns how many were taken.
    template <typename Func>
    std::size_t consume(Func&& fn, std::size_t max) noexcept {
        std::size_t head = _consumer.head;
        std::size_t n = 0;
        for (; n < max; ++n) {
            auto& s = _slots[(head + n) & _mask];
            T* p = s.load(std::memory_order_acquire);
            if (p == nullptr) {
                break;
            }
            s.store(nullptr, std::memory_order_release);
            _consumer.head = head + n + 1;
            fn(p);
        }
        return n;
    }

    // Consumer: nothing to take right now.
    bool empty() const noexcept { return _slots[_consumer.head & _mask].load(std::memory_order_acquire) == nullptr; }

    // Items in the ring; exact only while neither side runs.
    std::size_t size() const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i <= _mask; ++i) {
            n += _slots[i].load(std::memory_order_acquire) != nullptr;
        }
        return n;
    }

private:
    static std::size_t check(std::size_t capacity) {
        if (capacity < min_capacity || !std::has_single_bit(capacity)) {
            throw std::invalid_argument("pointer_ring: capacity must be a power of two, at least 16");
        }
        return capacity;
    }

    struct alignas(line) producer_side {
        std::size_t tail = 0;
    };
    struct alignas(line) consumer_side {
        std::size_t head = 0;
    };

    const std::size_t _mask;
    std::atomic<T*>* const _slots;
    producer_side _producer;
    consumer_side _consumer;
};

} // namespace seastar::internal
