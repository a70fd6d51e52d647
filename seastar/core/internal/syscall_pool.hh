// syscall_pool: a helper thread that runs blocking calls for one shard.
//
// The shard submits work items; the helper thread runs each item's process()
// (the blocking part: open, fsync, stat, getaddrinfo, a pread on a file the
// backend cannot submit asynchronously), queues it back, and calls the wake
// function so a sleeping reactor notices. The shard then calls
// complete_ready(), which runs each finished item's complete() on the shard
// (typically fulfilling a promise) and frees it. Items complete in order.
//
// Contract: submit() and complete_ready() are called from the owning shard
// only; the thread starts on the first submit(). submit() may allocate and
// throw std::bad_alloc / std::system_error (thread creation). The destructor
// waits for items in progress and completes what finished; it must run on the
// owning shard. The helper thread blocks all signals.
//
//     pool.submit(std::make_unique<my_item>(...));
//     ... later, in the reactor's poll phase:
//     pool.complete_ready();
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace seastar::internal {

class syscall_work_item {
public:
    virtual ~syscall_work_item() = default;
    // On the helper thread. Must not throw.
    virtual void process() noexcept = 0;
    // On the shard, after process().
    virtual void complete() noexcept = 0;
};

class syscall_pool {
    std::function<void()> _wake;
    std::mutex _mutex;
    std::condition_variable _cv;
    std::deque<std::unique_ptr<syscall_work_item>> _pending;   // guarded by _mutex
    std::deque<std::unique_ptr<syscall_work_item>> _done;      // guarded by _mutex
    bool _stop = false;                                        // guarded by _mutex
    std::atomic<bool> _has_done{false};
    size_t _in_flight = 0;  // shard only
    std::thread _thread;

    void run() noexcept;

public:
    // `wake` is called from the helper thread after an item finished.
    explicit syscall_pool(std::function<void()> wake);
    ~syscall_pool();
    syscall_pool(const syscall_pool&) = delete;
    syscall_pool& operator=(const syscall_pool&) = delete;

    void submit(std::unique_ptr<syscall_work_item> item);
    // Runs complete() of finished items; true if there were any.
    bool complete_ready() noexcept;
    // True if a finished item awaits complete_ready() (any thread; seq_cst).
    bool has_completions() const noexcept { return _has_done.load(); }
    // Items submitted and not yet completed.
    size_t in_flight() const noexcept { return _in_flight; }
};

} // namespace seastar::internal
