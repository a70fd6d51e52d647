#include "seastar/core/expiring_fifo.hh"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace seastar {
namespace {

struct expired_log {
    std::vector<std::pair<int, bool>> items; // payload, had a reason
};

struct recorder {
    expired_log* log;
    void operator()(int& v, const std::optional<std::exception_ptr>& ex) noexcept {
        log->items.emplace_back(v, ex.has_value());
    }
};

using fifo = expiring_fifo<int, recorder>;

TEST(expiring_fifo, fifo_order_and_size) {
    expired_log log;
    fifo f(recorder{&log});
    EXPECT_TRUE(f.empty());
    for (int i = 0; i < 5; ++i) {
        f.push_back(int(i));
    }
    EXPECT_EQ(f.size(), 5u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(f.front(), i);
        f.pop_front();
    }
    EXPECT_TRUE(f.empty());
    EXPECT_TRUE(log.items.empty());
}

TEST(expiring_fifo, abort_expires_only_its_entries) {
    expired_log log;
    fifo f(recorder{&log});
    abort_source as;
    f.push_back(1);
    f.push_back(2, as);
    f.push_back(3);
    f.push_back(4, as);
    as.request_abort_ex(std::make_exception_ptr(std::runtime_error("x")));
    ASSERT_EQ(log.items.size(), 2u);
    EXPECT_EQ(log.items[0], std::make_pair(2, true));
    EXPECT_EQ(log.items[1], std::make_pair(4, true));
    EXPECT_EQ(f.size(), 2u);
    EXPECT_EQ(f.front(), 1);
    f.pop_front();
    EXPECT_EQ(f.front(), 3);
    f.pop_front();
    EXPECT_TRUE(f.empty());
}

TEST(expiring_fifo, expiring_head_and_tail_keeps_links_valid) {
    expired_log log;
    fifo f(recorder{&log});
    abort_source head, tail;
    f.push_back(1, head);
    f.push_back(2);
    f.push_back(3, tail);
    head.request_abort();
    EXPECT_EQ(f.front(), 2);
    tail.request_abort();
    EXPECT_EQ(f.size(), 1u);
    f.push_back(4);
    f.pop_front();
    EXPECT_EQ(f.front(), 4);
    ASSERT_EQ(log.items.size(), 2u);
    EXPECT_EQ(log.items[0], std::make_pair(1, false)); // plain abort: no reason given
}

TEST(expiring_fifo, popped_entry_is_not_expired_later) {
    expired_log log;
    fifo f(recorder{&log});
    abort_source as;
    f.push_back(1, as);
    f.pop_front();
    as.request_abort();
    EXPECT_TRUE(log.items.empty());
}

TEST(expiring_fifo, push_with_aborted_source_expires_at_once) {
    expired_log log;
    fifo f(recorder{&log});
    abort_source as;
    as.request_abort();
    f.push_back(9, as);
    EXPECT_TRUE(f.empty());
    ASSERT_EQ(log.items.size(), 1u);
    EXPECT_EQ(log.items[0], std::make_pair(9, false));
}

TEST(expiring_fifo, destroying_fifo_before_source_is_safe) {
    abort_source as;
    {
        expired_log log;
        fifo f(recorder{&log});
        f.push_back(1, as);
        f.push_back(2, as);
    }
    as.request_abort(); // no dangling callbacks
    SUCCEED();
}

TEST(expiring_fifo, handler_may_touch_the_fifo) {
    struct refill {
        expiring_fifo<int, refill>* self;
        int* seen_size;
        void operator()(int&, const std::optional<std::exception_ptr>&) noexcept {
            *seen_size = int(self->size());
            if (!self->empty()) {
                self->pop_front();
            }
        }
    };
    struct holder {
        int seen = -1;
        expiring_fifo<int, refill> f;
        holder() : f(refill{&f, &seen}) {}
    } h;
    abort_source as;
    h.f.push_back(1, as);
    h.f.push_back(2);
    as.request_abort();
    EXPECT_EQ(h.seen, 1); // the expired entry was already gone when the handler ran
    EXPECT_TRUE(h.f.empty());
}

TEST(expiring_fifo, owns_payloads) {
    auto p = std::make_shared<int>(1);
    {
        expiring_fifo<std::shared_ptr<int>> f;
        abort_source as;
        f.push_back(p);
        f.push_back(std::shared_ptr<int>(p), as);
        EXPECT_EQ(p.use_count(), 3);
        as.request_abort();
        EXPECT_EQ(p.use_count(), 2);
    }
    EXPECT_EQ(p.use_count(), 1);
}

} // namespace
} // namespace seastar
