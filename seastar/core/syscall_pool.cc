#include "seastar/core/internal/syscall_pool.hh"

#include <pthread.h>
#include <signal.h>

namespace seastar::internal {

syscall_pool::syscall_pool(std::function<void()> wake) : _wake(std::move(wake)) {}

syscall_pool::~syscall_pool() {
    if (_thread.joinable()) {
        {
            std::lock_guard lock(_mutex);
            _stop = true;
        }
        _cv.notify_one();
        _thread.join();
    }
    complete_ready();
}

void syscall_pool::submit(std::unique_ptr<syscall_work_item> item) {
    if (!_thread.joinable()) {
        // Signals belong to the reactor thread; the helper never takes them.
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        try {
            _thread = std::thread([this] { run(); });
        } catch (...) {
            pthread_sigmask(SIG_SETMASK, &old, nullptr);
            throw;
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    {
        std::lock_guard lock(_mutex);
        _pending.push_back(std::move(item));
    }
    ++_in_flight;
    _cv.notify_one();
}

void syscall_pool::run() noexcept {
    std::unique_lock lock(_mutex);
    for (;;) {
        _cv.wait(lock, [this] { return _stop || !_pending.empty(); });
        if (_pending.empty()) {
            return;  // stopping, and nothing left to do
        }
        auto item = std::move(_pending.front());
        _pending.pop_front();
        lock.unlock();
        item->process();
        lock.lock();
        _done.push_back(std::move(item));
        _has_done.store(true);
        lock.unlock();
        _wake();
        lock.lock();
    }
}

bool syscall_pool::complete_ready() noexcept {
    if (!_has_done.load(std::memory_order_relaxed)) {
        return false;
    }
    std::deque<std::unique_ptr<syscall_work_item>> done;
    {
        std::lock_guard lock(_mutex);
        done.swap(_done);
        _has_done.store(false);
    }
    for (auto& item : done) {
        item->complete();
        --_in_flight;
    }
    return !done.empty();
}

} // namespace seastar::internal
