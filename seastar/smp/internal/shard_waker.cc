#include "seastar/smp/internal/shard_waker.hh"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace seastar::internal {

absl::StatusOr<std::unique_ptr<shard_waker>> shard_waker::create() {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return absl::InternalError(std::string("eventfd: ") + std::strerror(err) + " (errno " + std::to_string(err) +
                                   ")");
    }
    return std::unique_ptr<shard_waker>(new shard_waker(fd));
}

shard_waker::~shard_waker() {
    ::close(_fd);
}

void shard_waker::prepare_to_sleep() noexcept {
    _sleeping.store(true, std::memory_order_relaxed);
    // Orders the store above before the caller's re-check of its queues (see the header).
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

void shard_waker::cancel_sleep() noexcept {
    // A producer may have cleared the flag and written the fd meanwhile; that leaves one
    // spurious wake-up for a later sleep, which the protocol tolerates.
    _sleeping.store(false, std::memory_order_relaxed);
}

bool shard_waker::finish_sleep() noexcept {
    _sleeping.store(false, std::memory_order_relaxed);
    std::uint64_t count;
    // Non-blocking: EAGAIN means we woke for another reason (a timeout, another fd).
    return ::read(_fd, &count, sizeof(count)) == sizeof(count);
}

bool shard_waker::block(std::optional<std::chrono::milliseconds> timeout) noexcept {
    pollfd pfd{_fd, POLLIN, 0};
    int timeout_ms = timeout ? int(timeout->count()) : -1;
    int r;
    do {
        r = ::poll(&pfd, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    bool signalled = finish_sleep();
    return r > 0 && signalled;
}

void shard_waker::wake() noexcept {
    // Orders the caller's publication (before this call) before the load of the flag.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!_sleeping.load(std::memory_order_relaxed)) {
        return; // the fast path: the consumer is awake and will see the message
    }
    // Only the producer that flips the flag writes: one syscall per sleep.
    if (!_sleeping.exchange(false, std::memory_order_relaxed)) {
        return;
    }
    _signals_sent.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t one = 1;
    ssize_t r;
    do {
        r = ::write(_fd, &one, sizeof(one));
    } while (r < 0 && errno == EINTR);
    if (r < 0 && errno != EAGAIN) {
        // EAGAIN means the counter is at its maximum, so the fd is readable already.
        std::fprintf(stderr, "shard_waker: eventfd write failed: %s\n", std::strerror(errno));
        std::abort();
    }
}

} // namespace seastar::internal
