#include "seastar/util/closeable.hh"

#include <stdexcept>
#include <vector>

#include "seastar/core/gate.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/thread.hh"
#include "seastar/util/later.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

struct service {
    std::vector<const char*>* log;
    bool fail = false;
    future<> stop() {
        log->push_back("stop");
        return fail ? make_exception_future<>(std::runtime_error("stop failed")) : make_ready_future<>();
    }
};

TEST(closeable, deferred_close_closes_at_scope_exit_inside_a_thread) {
    local_scheduler sched;
    gate g;
    sched.wait(async([&] {
        auto closer = deferred_close(g);
        EXPECT_FALSE(g.is_closed());
    }));
    EXPECT_TRUE(g.is_closed());

    gate g2;
    sched.wait(async([&] {
        auto closer = deferred_close(g2);
        closer.close_now();
        EXPECT_TRUE(g2.is_closed());
    }));
    gate g3;
    sched.wait(async([&] {
        auto closer = deferred_close(g3);
        closer.cancel();
    }));
    EXPECT_FALSE(g3.is_closed());
}

TEST(closeable, deferred_stop_stops_once) {
    local_scheduler sched;
    std::vector<const char*> log;
    service s{&log};
    sched.wait(async([&] {
        auto stopper = deferred_stop(s);
        auto moved = std::move(stopper);
        moved.stop_now();
    }));
    EXPECT_EQ(log.size(), 1u);
}

struct resource {
    int* closes;
    future<> close() {
        ++*closes;
        return make_ready_future<>();
    }
};

TEST(closeable, with_closeable_closes_after_the_function) {
    local_scheduler sched;
    int closes = 0;
    int closes_seen_inside = -1;
    auto f = with_closeable(resource{&closes}, [&](resource& r) {
        return yield().then([&] {
            closes_seen_inside = closes;
            return 7;
        });
    });
    EXPECT_EQ(sched.wait(std::move(f)), 7);
    EXPECT_EQ(closes_seen_inside, 0);
    EXPECT_EQ(closes, 1);

    std::vector<const char*> log;
    auto failing = with_stoppable(service{&log, true}, [](service&) { return make_ready_future<>(); });
    EXPECT_THROW(sched.wait(std::move(failing)), std::runtime_error);
    EXPECT_EQ(log.size(), 1u);
}

} // namespace
} // namespace seastar
