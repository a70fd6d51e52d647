// io_intent: a handle that cancels the disk requests issued with it.
//
// Pass a pointer to an io_intent to dma_read/dma_write (or the file streams'
// callers); cancel() then fails every request of it that is still queued in
// the I/O scheduler with cancelled_error. Requests already handed to the
// kernel complete normally (the kernel cannot take them back safely).
//
// Contract: shard-local, not copyable; moving it moves its queued requests
// (the new intent cancels them, the moved-from one holds none). Destroying
// an intent cancels what is still queued. cancel() is
// idempotent; requests issued with an intent after cancel() fail at once.
//
//     seastar::io_intent intent;
//     auto f = file.dma_read(0, buf, 4096, &intent);
//     intent.cancel();   // f fails with seastar::cancelled_error if still queued
#pragma once

#include <exception>
#include <utility>

namespace seastar {

class io_intent;

// The error of a request cancelled through its io_intent.
class cancelled_error : public std::exception {
public:
    const char* what() const noexcept override { return "the I/O request was cancelled"; }
};

namespace internal {

// A queued request as an intent sees it: an intrusive list node that the
// intent can cancel.
class cancellable_queue_entry {
    cancellable_queue_entry* _prev = nullptr;
    cancellable_queue_entry* _next = nullptr;
    friend class seastar::io_intent;

protected:
    ~cancellable_queue_entry() = default;

public:
    // Fails the request with cancelled_error and takes it off its queue.
    virtual void cancel() noexcept = 0;
    // Takes the entry off its intent's list (when it is dispatched or done).
    void unlink() noexcept {
        if (_prev) {
            _prev->_next = _next;
        }
        if (_next) {
            _next->_prev = _prev;
        }
        _prev = _next = nullptr;
    }
    bool linked() const noexcept { return _prev != nullptr; }
};

} // namespace internal

class io_intent {
    // Sentinel of a circular list; empty when it points at itself.
    struct head final : internal::cancellable_queue_entry {
        void cancel() noexcept override {}
    } _head;
    bool _cancelled = false;

public:
    io_intent() noexcept { link_self(); }
    io_intent(io_intent&& o) noexcept : _cancelled(o._cancelled) {
        link_self();
        if (o._head._next != &o._head) {
            _head._next = std::exchange(o._head._next, &o._head);
            _head._prev = std::exchange(o._head._prev, &o._head);
            _head._next->_prev = &_head;
            _head._prev->_next = &_head;
        }
    }
    io_intent(const io_intent&) = delete;
    io_intent& operator=(const io_intent&) = delete;
    ~io_intent() { cancel(); }

    void cancel() noexcept {
        _cancelled = true;
        while (_head._next != &_head) {
            auto e = _head._next;
            e->unlink();
            e->cancel();
        }
    }
    bool cancelled() const noexcept { return _cancelled; }

    // Puts a queued request on this intent's list (the scheduler does it).
    void enqueue(internal::cancellable_queue_entry& e) noexcept {
        e._prev = _head._prev;
        e._next = &_head;
        _head._prev->_next = &e;
        _head._prev = &e;
    }

private:
    void link_self() noexcept { _head._prev = _head._next = &_head; }
};

} // namespace seastar
