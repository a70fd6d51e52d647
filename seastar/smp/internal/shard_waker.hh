// Wakes a shard that sleeps waiting for messages, without lost wake-ups and without a
// syscall while the shard is awake.
//
// A shard (the consumer) polls its incoming queues every loop turn. When it has nothing to do
// it may sleep in its reactor backend (epoll_wait, io_uring_enter, ...) on `fd()`, an eventfd.
// Other shards (producers) publish messages to its queues and then call `wake()`, which writes
// the eventfd only if the consumer said it is going to sleep.
//
// Protocol (the Dekker pattern; both fences are seq_cst):
//   consumer: prepare_to_sleep()   [sleeping = true; fence]
//             if (queues not empty) cancel_sleep() and run;
//             else block on fd(); after waking, finish_sleep().
//   producer: publish to the queue (any store, e.g. spsc_queue's release of its tail);
//             wake()               [fence; if (sleeping) { sleeping = false; write fd }]
// Why no wake-up is lost: the two fences are ordered in the single total order of seq_cst
// operations. If the consumer's fence comes first, the producer's load after its own fence
// sees sleeping == true (C++20 [atomics.order]: a store sequenced before a fence X is seen by
// a load sequenced after a fence Y when X precedes Y), so it writes the eventfd. If the
// producer's fence comes first, the same rule makes the message it published before its fence
// visible to the consumer's re-check after its fence, so the consumer does not block. Either
// way the message is handled. The producer clears `sleeping` as it writes, so several
// producers (or several messages) wake a sleeper with one eventfd write between them.
//
// Cost while the consumer is awake: one fence and one load of a line the consumer writes
// only when it goes to sleep; no syscall.
//
// Contract
// - Consumer functions (`prepare_to_sleep`, `cancel_sleep`, `finish_sleep`, `wait`) are
//   called by the one thread that owns the shard; `wake()` and the counters by any thread.
// - `create()` allocates and opens an eventfd (EFD_NONBLOCK | EFD_CLOEXEC); the waker owns it
//   and closes it when destroyed. Nothing else allocates; nothing throws (except bad_alloc
//   from create); `wake()` is noexcept and aborts only if the eventfd write fails for a reason
//   other than a full counter (which cannot lose a wake-up: the fd is then readable anyway).
// - Spurious wake-ups are possible (the fd may stay readable after a wake-up that arrived
//   while the consumer had already cancelled its sleep); the consumer re-checks its queues.
//
// Example (a reactor loop turn):
//
//     waker->prepare_to_sleep();
//     if (poll_queues()) {
//         waker->cancel_sleep();
//     } else {
//         backend.wait_for_events(/*includes*/ waker->fd());
//         waker->finish_sleep();
//     }
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"

namespace seastar::internal {

class shard_waker {
public:
    static absl::StatusOr<std::unique_ptr<shard_waker>> create();
    ~shard_waker();
    shard_waker(const shard_waker&) = delete;
    shard_waker& operator=(const shard_waker&) = delete;

    // The eventfd to poll for readability while sleeping. Owned by the waker.
    int fd() const noexcept { return _fd; }

    // ---- consumer (the owning shard's thread) ----

    // Announces that the consumer is about to sleep. The consumer must check its queues
    // after this call and before blocking.
    void prepare_to_sleep() noexcept;
    // The re-check found work: stay awake.
    void cancel_sleep() noexcept;
    // Called after blocking on fd() returned (for whatever reason): marks the consumer awake
    // and consumes a pending eventfd signal if there is one. Returns whether there was one.
    bool finish_sleep() noexcept;

    // A complete sleep for threads without a reactor (tests, simple loops): prepare, re-check
    // `has_work`, block in poll(2) on fd() until signalled or `timeout` passes, finish.
    // Returns true if it slept and was signalled, false if it did not sleep (work was found)
    // or the timeout passed.
    template <typename HasWork>
    bool wait(HasWork&& has_work, std::optional<std::chrono::milliseconds> timeout = std::nullopt) noexcept {
        prepare_to_sleep();
        if (has_work()) {
            cancel_sleep();
            return false;
        }
        return block(timeout);
    }

    // ---- producers (any thread), after publishing ----

    // Wakes the consumer if it is sleeping or about to sleep. No syscall when it is awake.
    void wake() noexcept;

    // Number of eventfd writes made by wake() so far (i.e. wake-up syscalls).
    std::uint64_t signals_sent() const noexcept { return _signals_sent.load(std::memory_order_relaxed); }

private:
    explicit shard_waker(int fd) noexcept : _fd(fd) {}
    bool block(std::optional<std::chrono::milliseconds> timeout) noexcept;

    const int _fd;
    // Written by the consumer twice per sleep and by the producer that wakes it: keep it off
    // the lines the producers' own counters (and the fd) live on.
    alignas(128) std::atomic<bool> _sleeping{false};
    alignas(128) std::atomic<std::uint64_t> _signals_sent{0};
};

} // namespace seastar::internal
