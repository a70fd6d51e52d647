// A bounded, lock-free, single-producer / single-consumer ring of T.
//
// This is the channel between one pair of shards: exactly one thread pushes and exactly one
// thread pops, at the same time, without locks or syscalls. It is usable on its own.
//
// Contract
// - Threads: at most one producer thread calls the push family (`push`, `emplace`,
//   `push(first, n)`) and at most one consumer thread calls the pop family (`pop`,
//   `pop(out, max)`, `consume`, `front`). Who the producer and consumer are may change only
//   across a synchronisation point (e.g. a thread join). `empty()`, `size()` and
//   `capacity()` may be called from any thread.
// - Capacity: a runtime value given to the constructor; it must be a power of two, at least 1
//   (so that an index maps to a slot with a mask). The queue holds exactly `capacity()` items.
// - Allocation: the constructor allocates the ring once (and may throw std::bad_alloc, or
//   std::invalid_argument for a bad capacity); nothing else allocates.
// - Exceptions: every operation is noexcept when T's move constructor (and, for the batched
//   forms, the source's conversion or the consumer's callback) is noexcept. If a constructor
//   throws during push, nothing is published for that item and the queue is unchanged apart
//   from items already published by the same batch; if a `consume` callback throws, the item
//   it was given counts as consumed.
// - Ownership: the queue owns the items between push and pop. Items still queued when the
//   queue is destroyed are destroyed with it (destruction must not race with either side).
// - `empty()` and `size()` are approximations when called while the other side runs: the
//   answer was true at some instant during the call and may be stale when it returns. For the
//   consumer, "not empty" is reliable (only it removes items); for the producer, "not full"
//   (size() < capacity()) is reliable.
//
// Memory ordering: each side owns one index and publishes it with a release store; the other
// side reads it with an acquire load. The producer's release of `tail` makes the constructed
// item visible to the consumer; the consumer's release of `head` makes its move-out and
// destruction of a slot happen before the producer reuses that slot. Each side keeps a
// private copy of the other's index and rereads the shared one only when its copy says
// "full" (producer) or "empty" (consumer), so in steady state each side touches only its own
// cache line, and the batched forms publish once per batch.
//
// Example:
//
//     seastar::spsc_queue<std::unique_ptr<msg>> q(128);
//     // producer thread
//     if (!q.push(std::make_unique<msg>())) { /* full: retry later */ }
//     // consumer thread
//     q.consume([](std::unique_ptr<msg>&& m) noexcept { handle(*m); }, 16);
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <iterator>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace seastar {

namespace internal {

// Indices live two cache lines apart: adjacent-line prefetchers (on x86) pull pairs of 64-byte
// lines, so one line of separation would still let the two sides disturb each other.
inline constexpr std::size_t spsc_false_sharing_range = 128;

} // namespace internal

template <typename T>
class spsc_queue {
    static_assert(std::is_nothrow_destructible_v<T>, "spsc_queue items must not throw from their destructor");
    static_assert(std::is_move_constructible_v<T>, "spsc_queue items must be movable");

    static constexpr std::size_t line = internal::spsc_false_sharing_range;

public:
    using value_type = T;

    // Allocates a ring of `capacity` slots. Throws std::invalid_argument unless `capacity` is a
    // power of two, and std::bad_alloc when memory runs out.
    explicit spsc_queue(std::size_t capacity) : _mask(check_capacity(capacity) - 1), _slots(allocate(capacity)) {}

    spsc_queue(const spsc_queue&) = delete;
    spsc_queue& operator=(const spsc_queue&) = delete;

    ~spsc_queue() {
        auto head = _consumer.head.load(std::memory_order_relaxed);
        auto tail = _producer.tail.load(std::memory_order_relaxed);
        for (; head != tail; ++head) {
            slot(head)->~T();
        }
        ::operator delete(static_cast<void*>(_slots), std::align_val_t(alignof(T)));
    }

    std::size_t capacity() const noexcept { return _mask + 1; }

    // ---- producer side ----

    // Constructs an item in place. Returns false (and constructs nothing) when full.
    template <typename... Args>
    bool emplace(Args&&... args) noexcept(std::is_nothrow_constructible_v<T, Args&&...>) {
        auto tail = _producer.tail.load(std::memory_order_relaxed);
        if (tail - _producer.cached_head == capacity()) {
            _producer.cached_head = _consumer.head.load(std::memory_order_acquire);
            if (tail - _producer.cached_head == capacity()) {
                return false;
            }
        }
        ::new (static_cast<void*>(slot(tail))) T(std::forward<Args>(args)...);
        _producer.tail.store(tail + 1, std::memory_order_release);
        return true;
    }

    // Moves `item` in. Returns false when full, in which case `item` is left untouched.
    bool push(T&& item) noexcept(std::is_nothrow_move_constructible_v<T>) { return emplace(std::move(item)); }

    bool push(const T& item) noexcept(std::is_nothrow_copy_constructible_v<T>)
        requires std::is_copy_constructible_v<T>
    {
        return emplace(item);
    }

    // Pushes up to `n` items constructed from `*first`, `*++first`, ... and publishes them at
    // once. Returns how many were pushed (fewer than `n` when the queue fills up, possibly 0);
    // exactly that many source items were read, so the caller retries from `first + count`.
    // Wrap the iterator in std::make_move_iterator to move items in: sources beyond the count
    // are left untouched.
    template <std::input_iterator It>
    std::size_t push(It first, std::size_t n) noexcept(std::is_nothrow_constructible_v<T, std::iter_reference_t<It>>) {
        auto tail = _producer.tail.load(std::memory_order_relaxed);
        auto free = capacity() - (tail - _producer.cached_head);
        if (free < n) {
            _producer.cached_head = _consumer.head.load(std::memory_order_acquire);
            free = capacity() - (tail - _producer.cached_head);
        }
        auto count = n < free ? n : free;
        if constexpr (std::is_nothrow_constructible_v<T, std::iter_reference_t<It>>) {
            // Two contiguous runs (before and after the wrap point) rather than masking each
            // index, so that copies of trivial types compile to vector moves.
            auto run = contiguous(tail, count);
            T* p = slot(tail);
            for (std::size_t i = 0; i != run; ++i, ++first) {
                ::new (static_cast<void*>(p + i)) T(*first);
            }
            for (std::size_t i = 0; i != count - run; ++i, ++first) {
                ::new (static_cast<void*>(_slots + i)) T(*first);
            }
        } else {
            std::size_t done = 0;
            try {
                for (; done != count; ++done, ++first) {
                    ::new (static_cast<void*>(slot(tail + done))) T(*first);
                }
            } catch (...) {
                _producer.tail.store(tail + done, std::memory_order_release);
                throw;
            }
        }
        if (count != 0) {
            _producer.tail.store(tail + count, std::memory_order_release);
        }
        return count;
    }

    // ---- consumer side ----

    // Moves the oldest item into `out`. Returns false (leaving `out` alone) when empty.
    bool pop(T& out) noexcept(std::is_nothrow_move_assignable_v<T>) {
        auto head = _consumer.head.load(std::memory_order_relaxed);
        if (!available(head)) {
            return false;
        }
        T* p = slot(head);
        out = std::move(*p); // if this throws, the item stays queued
        p->~T();
        _consumer.head.store(head + 1, std::memory_order_release);
        return true;
    }

    // Removes and returns the oldest item, or nullopt when empty.
    std::optional<T> pop() noexcept(std::is_nothrow_move_constructible_v<T>) {
        auto head = _consumer.head.load(std::memory_order_relaxed);
        if (!available(head)) {
            return std::nullopt;
        }
        T* p = slot(head);
        std::optional<T> result(std::move(*p));
        p->~T();
        _consumer.head.store(head + 1, std::memory_order_release);
        return result;
    }

    // The oldest item, or nullptr when empty. It stays in the queue (and the pointer valid)
    // until the consumer pops it.
    T* front() noexcept {
        auto head = _consumer.head.load(std::memory_order_relaxed);
        return available(head) ? slot(head) : nullptr;
    }

    // Moves up to `max` items to `*out++` and releases their slots at once. Returns how many.
    template <typename OutIt>
    std::size_t pop(OutIt out, std::size_t max) noexcept(noexcept(*out++ = std::declval<T&&>())) {
        return consume([&](T&& item) { *out++ = std::move(item); }, max);
    }

    // Calls `func(T&&)` on up to `max` items, oldest first, then releases their slots at once.
    // Returns how many items were consumed.
    template <typename Func>
    std::size_t consume(Func&& func,
                        std::size_t max = std::size_t(-1)) noexcept(std::is_nothrow_invocable_v<Func&, T&&>) {
        auto head = _consumer.head.load(std::memory_order_relaxed);
        auto ready = _consumer.cached_tail - head;
        if (ready < max) {
            _consumer.cached_tail = _producer.tail.load(std::memory_order_acquire);
            ready = _consumer.cached_tail - head;
        }
        auto count = ready < max ? ready : max;
        if constexpr (std::is_nothrow_invocable_v<Func&, T&&>) {
            auto run = contiguous(head, count);
            for (T *p = slot(head), *end = p + run; p != end; ++p) {
                func(std::move(*p));
                p->~T();
            }
            for (T *p = _slots, *end = p + (count - run); p != end; ++p) {
                func(std::move(*p));
                p->~T();
            }
        } else {
            std::size_t done = 0;
            try {
                for (; done != count; ++done) {
                    T* p = slot(head + done);
                    try {
                        func(std::move(*p));
                    } catch (...) {
                        p->~T();
                        ++done;
                        throw;
                    }
                    p->~T();
                }
            } catch (...) {
                _consumer.head.store(head + done, std::memory_order_release);
                throw;
            }
        }
        if (count != 0) {
            _consumer.head.store(head + count, std::memory_order_release);
        }
        return count;
    }

    // ---- either side, approximate (see the contract above) ----

    std::size_t size() const noexcept {
        // Reading head first keeps the difference non-negative: head never passes tail.
        auto head = _consumer.head.load(std::memory_order_acquire);
        auto tail = _producer.tail.load(std::memory_order_acquire);
        auto n = tail - head;
        return n < capacity() ? n : capacity();
    }

    bool empty() const noexcept { return size() == 0; }

private:
    static std::size_t check_capacity(std::size_t capacity) {
        if (!std::has_single_bit(capacity)) {
            throw std::invalid_argument("spsc_queue capacity must be a power of two");
        }
        return capacity;
    }

    static T* allocate(std::size_t capacity) {
        if (capacity > std::size_t(-1) / sizeof(T)) {
            throw std::bad_alloc();
        }
        return static_cast<T*>(::operator new(capacity * sizeof(T), std::align_val_t(alignof(T))));
    }

    T* slot(std::size_t index) const noexcept { return _slots + (index & _mask); }

    // How many of `count` slots starting at `index` come before the end of the ring.
    std::size_t contiguous(std::size_t index, std::size_t count) const noexcept {
        auto to_end = capacity() - (index & _mask);
        return count < to_end ? count : to_end;
    }

    // Consumer: whether slot `head` holds an item, refreshing the cached tail only when the
    // cached copy says the queue is empty.
    bool available(std::size_t head) noexcept {
        if (head != _consumer.cached_tail) {
            return true;
        }
        _consumer.cached_tail = _producer.tail.load(std::memory_order_acquire);
        return head != _consumer.cached_tail;
    }

    // Read-only after construction, shared by both sides.
    alignas(line) const std::size_t _mask;
    T* const _slots;

    // Written by the producer only (tail), read by the consumer.
    struct alignas(line) producer_side {
        std::atomic<std::size_t> tail{0};
        std::size_t cached_head = 0;
    } _producer;

    // Written by the consumer only (head), read by the producer.
    struct alignas(line) consumer_side {
        std::atomic<std::size_t> head{0};
        std::size_t cached_tail = 0;
    } _consumer;
};

} // namespace seastar
