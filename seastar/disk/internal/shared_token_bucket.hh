// The capacity of one device, shared by every shard that uses it.
//
// A lock-free rate limiter in "theoretical arrival time" form: the bucket
// remembers when the device will have finished everything granted so far
// (`tat`, in nanoseconds of a monotonic clock). A grab of `cost` nanoseconds
// of device time succeeds while that backlog is at most `burst` ahead of now,
// and pushes `tat` by `cost`. So over any interval the shards together are
// granted at most interval + burst of device time, and a busy shard can take
// what idle shards leave (nothing is reserved per shard).
//
// Contract: any thread; try_grab() is one atomic compare-and-swap loop, no
// allocation. A request costlier than the burst still passes when the
// backlog is empty, so nothing starves.
//
//     internal::shared_token_bucket b(1'500'000);   // 1.5 ms of queue
//     if (b.try_grab(cost_ns, now_ns)) { submit(); }
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <sys/types.h>

namespace seastar::internal {

class shared_token_bucket {
    std::atomic<int64_t> _tat{0};
    int64_t _burst;

public:
    explicit shared_token_bucket(int64_t burst_ns) noexcept : _burst(burst_ns) {}

    bool try_grab(int64_t cost, int64_t now) noexcept {
        auto tat = _tat.load(std::memory_order_relaxed);
        for (;;) {
            auto base = std::max(tat, now);
            if (base - now > _burst) {
                return false;
            }
            if (_tat.compare_exchange_weak(tat, base + cost, std::memory_order_relaxed)) {
                return true;
            }
        }
    }
    // Nanoseconds of granted work the device has not finished yet.
    int64_t backlog(int64_t now) const noexcept {
        return std::max<int64_t>(_tat.load(std::memory_order_relaxed) - now, 0);
    }
    int64_t burst() const noexcept { return _burst; }
};

// The process-wide bucket of device `dev` (made on first use with `burst_ns`).
std::shared_ptr<shared_token_bucket> device_token_bucket(dev_t dev, int64_t burst_ns);

} // namespace seastar::internal
