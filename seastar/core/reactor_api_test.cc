// Seastar's reactor API for programs: when_started, at_exit / at_destroy ordering,
// run_in_background, the idle-CPU handler, and idle/busy time.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/condition-variable.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/core/sleep.hh"
#include "seastar/testing/seastar_test.hh"

using namespace std::chrono_literals;

namespace seastar {
namespace {

TEST(reactor_api, when_started_resolves_once_the_loop_runs) {
    reactor r(testing::default_test_config());
    auto before = r.when_started();
    EXPECT_FALSE(before.available()); // nothing has run yet
    int code = r.run([&]() -> future<int> {
        co_await std::move(before);
        auto now = engine().when_started();
        EXPECT_TRUE(now.available()); // already running: ready at once
        co_await std::move(now);
        co_return 7;
    });
    EXPECT_EQ(code, 7);
}

TEST(reactor_api, wait_for_stop_times_out_while_running_and_resolves_on_exit) {
    reactor r(testing::default_test_config());
    bool timed_out = false;
    bool woke_stopping = false;
    bool ready_after_stop = false;
    int code = r.run([&]() -> future<int> {
        try {
            co_await engine().wait_for_stop(1ms);
        } catch (const condition_variable_timed_out&) {
            timed_out = true;
        }
        // A waiter with a long timeout wakes when exit() is called.
        engine().run_in_background(
            engine().wait_for_stop(std::chrono::hours(1)).then([&] { woke_stopping = engine().stopping(); }));
        engine().at_exit([&] {
            ready_after_stop = engine().wait_for_stop(std::chrono::hours(1)).available();
            return make_ready_future<>();
        });
        engine().exit(5);
        co_return 5;
    });
    EXPECT_EQ(code, 5);
    EXPECT_TRUE(timed_out);
    EXPECT_TRUE(woke_stopping);
    EXPECT_TRUE(ready_after_stop);
}

TEST(reactor_api, at_destroy_runs_after_at_exit_in_registration_order) {
    std::vector<std::string> order;
    EXPECT_EQ(testing::run_in_reactor([&]() -> future<> {
                  engine().at_destroy([&] { order.push_back("destroy 1"); });
                  seastar::at_exit([&]() -> future<> {
                      co_await sleep(1ms);
                      order.push_back("exit 1");
                  });
                  engine().at_destroy([&] { throw std::runtime_error("a failing at_destroy is logged"); });
                  engine().at_destroy([&] { order.push_back("destroy 2"); });
                  engine().at_exit([&] {
                      order.push_back("exit 2");
                      return make_ready_future<>();
                  });
                  co_return;
              }),
              0);
    EXPECT_EQ(order, (std::vector<std::string>{"exit 2", "exit 1", "destroy 1", "destroy 2"}));
}

TEST(reactor_api, shutdown_waits_for_background_work) {
    int finished = 0;
    bool destroyed_after = false;
    EXPECT_EQ(testing::run_in_reactor([&]() -> future<> {
                  engine().run_in_background([&]() -> future<> {
                      co_await sleep(5ms);
                      ++finished;
                  });
                  engine().run_in_background(sleep(2ms).then([&] { ++finished; }));
                  // A failure in the background is logged; it does not fail the program.
                  engine().run_in_background(
                      sleep(1ms).then([] { return make_exception_future<>(std::runtime_error("background")); }));
                  engine().at_destroy([&] { destroyed_after = finished == 2; });
                  co_return; // returns before the background work is done
              }),
              0);
    EXPECT_EQ(finished, 2);
    EXPECT_TRUE(destroyed_after);
}

TEST(reactor_api, idle_handler_runs_before_sleeping_and_can_keep_the_reactor_awake) {
    int calls = 0;
    int interrupted = 0;
    bool saw_work_waiting = false;
    auto cfg = testing::default_test_config();
    cfg.poll_mode = false;
    EXPECT_EQ(testing::run_in_reactor(
                  [&]() -> future<> {
                      set_idle_cpu_handler([&](work_waiting_on_reactor work_waiting) {
                          ++calls;
                          saw_work_waiting = saw_work_waiting || work_waiting();
                          // Keeps the reactor awake for a bounded number of turns.
                          if (interrupted < 3) {
                              ++interrupted;
                              return idle_cpu_handler_result::interrupted_by_higher_priority_task;
                          }
                          return idle_cpu_handler_result::no_more_work;
                      });
                      // Idle until the handler has let the reactor sleep once (bounded).
                      for (int i = 0; i < 2000 && calls <= 3; ++i) {
                          co_await sleep(1ms);
                      }
                      EXPECT_GT(calls, interrupted);
                      EXPECT_EQ(interrupted, 3);
                      set_idle_cpu_handler({});
                      int seen = calls;
                      co_await sleep(5ms);
                      EXPECT_EQ(calls, seen); // removed
                  },
                  cfg),
              0);
    EXPECT_FALSE(saw_work_waiting); // asked only when the reactor had nothing to do
}

TEST(reactor_api, idle_time_grows_while_the_reactor_sleeps) {
    auto cfg = testing::default_test_config();
    cfg.poll_mode = false;
    EXPECT_EQ(testing::run_in_reactor(
                  [&]() -> future<> {
                      auto wall0 = std::chrono::steady_clock::now();
                      auto idle0 = engine().total_idle_time();
                      auto busy0 = engine().total_busy_time();
                      co_await sleep(30ms);
                      auto busy1 = engine().total_busy_time();
                      auto idle1 = engine().total_idle_time();
                      auto wall1 = std::chrono::steady_clock::now();
                      EXPECT_GT(idle1, idle0); // it slept
                      EXPECT_GE(busy1, busy0);
                      EXPECT_LE(idle1 - idle0, wall1 - wall0); // idle time is a part of the time that passed
                  },
                  cfg),
              0);
}

} // namespace
} // namespace seastar
