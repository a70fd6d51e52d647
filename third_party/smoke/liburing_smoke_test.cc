// liburing: a ring can be set up and a no-op completes (or the kernel says
// clearly that io_uring is unavailable, which the reactor must also handle).
#include <liburing.h>

#include <cerrno>

#include "gtest/gtest.h"

TEST(LiburingSmoke, NopRoundTrip) {
    io_uring ring;
    int r = io_uring_queue_init(4, &ring, 0);
    if (r == -ENOSYS || r == -EPERM) {
        GTEST_SKIP() << "io_uring unavailable in this kernel: " << r;
    }
    ASSERT_EQ(r, 0);
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    ASSERT_NE(sqe, nullptr);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 1234);
    ASSERT_EQ(io_uring_submit(&ring), 1);
    io_uring_cqe* cqe = nullptr;
    ASSERT_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
    EXPECT_EQ(io_uring_cqe_get_data64(cqe), 1234u);
    EXPECT_EQ(cqe->res, 0);
    io_uring_cqe_seen(&ring, cqe);
    io_uring_queue_exit(&ring);
}
