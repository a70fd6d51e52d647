#include "seastar/core/reactor.hh"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/lowres_clock.hh"
#include "seastar/core/manual_clock.hh"
#include "seastar/core/sleep.hh"
#include "seastar/core/timer.hh"
#include "seastar/core/with_timeout.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/log.hh"

using namespace std::chrono_literals;

namespace seastar {
namespace {

template <typename Func>
struct fn_task final : task {
    Func f;
    explicit fn_task(Func&& fn) : f(std::move(fn)) {}
    void run_and_dispose() noexcept override {
        f();
        delete this;
    }
};
template <typename Func>
task* make_fn_task(Func f) {
    return new fn_task<Func>(std::move(f));
}

// Lets every task queued so far run.
future<> yield_now() {
    auto p = std::make_unique<promise<>>();
    auto f = p->get_future();
    engine().add_task(make_fn_task([p = std::move(p)]() mutable { p->set_value(); }));
    return f;
}

SEASTAR_TEST_CASE(reactor, tasks_run_in_fifo_order) {
    if (engine().config().shuffle_tasks) {
        co_return; // the order checked here is exactly what shuffling breaks
    }
    std::vector<int> order;
    promise<> done;
    for (int i = 0; i < 100; ++i) {
        engine().add_task(make_fn_task([&order, i] { order.push_back(i); }));
    }
    engine().add_task(make_fn_task([&done] { done.set_value(); }));
    co_await done.get_future();
    EXPECT_EQ(order.size(), 100u);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(order[i], i);
    }
}

// A poller may unregister (and destroy) a poller that comes after it, or register a new
// one, from inside poll(): the loop never polls one that was unregistered.
SEASTAR_TEST_CASE(reactor, pollers_may_come_and_go_while_the_loop_polls) {
    struct counting final : internal::poller {
        bool registered = true;
        int polled_after_unregistering = 0;
        int polls = 0;
        std::function<void()> on_poll;
        bool poll() noexcept override {
            ++polls;
            polled_after_unregistering += !registered;
            if (on_poll) {
                std::exchange(on_poll, {})();
            }
            return false;
        }
    };
    counting first, last, added;
    engine().register_poller(&first);
    engine().register_poller(&last);
    first.on_poll = [&] {
        engine().unregister_poller(&last);
        last.registered = false;
    };
    for (int i = 0; i < 3; ++i) {
        co_await sleep(1ms); // the loop polls while it waits
    }
    EXPECT_GT(first.polls, 0);
    EXPECT_EQ(last.polled_after_unregistering, 0);
    // Registered from inside poll(): polled from then on.
    first.on_poll = [&] { engine().register_poller(&added); };
    for (int i = 0; i < 3; ++i) {
        co_await sleep(1ms);
    }
    EXPECT_GT(added.polls, 0);
    engine().unregister_poller(&first);
    engine().unregister_poller(&added);
}

SEASTAR_TEST_CASE(reactor, urgent_tasks_run_first) {
    if (engine().config().shuffle_tasks) {
        co_return; // the order checked here is exactly what shuffling breaks
    }
    std::vector<int> order;
    promise<> done;
    engine().add_task(make_fn_task([&order] { order.push_back(1); }));
    engine().add_task(make_fn_task([&order] { order.push_back(2); }));
    engine().add_urgent_task(make_fn_task([&order] { order.push_back(0); }));
    engine().add_task(make_fn_task([&done] { done.set_value(); }));
    co_await done.get_future();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(reactor_shuffle, shuffled_tasks_all_run_in_some_other_order) {
    reactor_config cfg = testing::default_test_config();
    cfg.shuffle_tasks = true;
    cfg.shuffle_seed = 12345;
    std::vector<int> order;
    testing::run_in_reactor(
        [&order]() -> future<> {
            promise<> done;
            int left = 200;
            for (int i = 0; i < 200; ++i) {
                engine().add_task(make_fn_task([&, i] {
                    order.push_back(i);
                    if (--left == 0) {
                        done.set_value();
                    }
                }));
            }
            co_await done.get_future();
        },
        cfg);
    ASSERT_EQ(order.size(), 200u);
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(sorted[i], i);
    }
    EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
}

// A task run starts with need_preempt() false. On a loaded machine the thread
// may lose the CPU for longer than a quota between a task run's start and the
// check, so a fresh run is looked for a few times rather than assumed.
future<bool> a_fresh_task_run_clears_need_preempt() {
    for (int i = 0; i < 100; ++i) {
        co_await yield_now();
        if (!need_preempt()) {
            co_return true;
        }
    }
    co_return false;
}

SEASTAR_TEST_CASE(reactor, need_preempt_turns_true_when_the_quota_ends) {
    EXPECT_TRUE(co_await a_fresh_task_run_clears_need_preempt());
    auto give_up = std::chrono::steady_clock::now() + 20s;
    while (!need_preempt() && std::chrono::steady_clock::now() < give_up) {
    }
    EXPECT_TRUE(need_preempt());
    // A new task run clears it.
    EXPECT_TRUE(co_await a_fresh_task_run_clears_need_preempt());
}

SEASTAR_TEST_CASE(reactor, preemption_lets_timers_run_during_endless_tasks) {
    bool fired = false;
    timer<> t([&] { fired = true; });
    t.arm(1ms);
    // A chain of tasks that never stops by itself: timers still fire because
    // the loop polls between task quotas.
    for (int i = 0; i < 100000000 && !fired; ++i) {
        co_await yield_now();
    }
    EXPECT_TRUE(fired);
}

SEASTAR_TEST_CASE(reactor, tasks_processed_counts_tasks) {
    auto before = engine().tasks_processed();
    for (int i = 0; i < 10; ++i) {
        co_await yield_now();
    }
    EXPECT_GE(engine().tasks_processed(), before + 10);
}

SEASTAR_TEST_CASE(reactor, task_run_observer_brackets_task_runs) {
    struct obs : internal::task_run_observer {
        int starts = 0, ends = 0;
        bool inside = false;
        void start_task_run(std::chrono::steady_clock::time_point) noexcept override {
            ++starts;
            inside = true;
        }
        void end_task_run() noexcept override {
            ++ends;
            inside = false;
        }
    } o;
    engine().set_task_run_observer(&o);
    co_await sleep(1ms);
    EXPECT_TRUE(o.inside); // this continuation runs inside a task run
    int s0 = o.starts, e0 = o.ends;
    co_await sleep(1ms);
    co_await sleep(1ms);
    EXPECT_TRUE(o.inside);
    engine().set_task_run_observer(nullptr);
    // From inside one run to inside a later one: as many ends as starts.
    EXPECT_GE(o.starts - s0, 2);
    EXPECT_EQ(o.starts - s0, o.ends - e0);
}

TEST(reactor_lifecycle, one_reactor_per_thread) {
    reactor r(testing::default_test_config());
    EXPECT_TRUE(engine_is_ready());
    EXPECT_EQ(&engine(), &r);
    EXPECT_THROW(reactor r2(testing::default_test_config()), std::logic_error);
}

TEST(reactor_lifecycle, no_engine_after_destruction) {
    {
        reactor r(testing::default_test_config());
    }
    EXPECT_FALSE(engine_is_ready());
}

TEST(reactor_lifecycle, run_returns_main_value) {
    reactor r(testing::default_test_config());
    EXPECT_EQ(r.run([]() -> future<int> {
        co_await sleep(1ms);
        co_return 7;
    }),
              7);
}

TEST(reactor_lifecycle, failed_main_gives_exit_code_1_and_is_reported) {
    std::ostringstream out;
    logger::set_ostream(&out);
    {
        reactor r(testing::default_test_config());
        EXPECT_EQ(r.run([]() -> future<int> { return make_exception_future<int>(std::runtime_error("bad config")); }),
                  1);
    }
    logger::set_ostream(nullptr);
    EXPECT_NE(out.str().find("bad config"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("ERROR"), std::string::npos);
}

TEST(reactor_lifecycle, exit_runs_at_exit_functions_in_reverse_order) {
    std::vector<int> order;
    reactor r(testing::default_test_config());
    int code = r.run([&]() -> future<int> {
        engine().at_exit([&]() -> future<> {
            order.push_back(1);
            co_return;
        });
        engine().at_exit([&]() -> future<> {
            co_await sleep(1ms); // the next one waits for this one
            order.push_back(2);
        });
        engine().at_exit([&]() -> future<> { return make_exception_future<>(std::runtime_error("failing at_exit")); });
        engine().exit(3);
        engine().exit(4); // the first exit() wins
        co_return 5;      // ignored: shutdown already started
    });
    EXPECT_EQ(code, 3);
    EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(reactor_lifecycle, handle_signal_runs_handler_as_task) {
    reactor r(testing::default_test_config());
    int calls = 0;
    int code = r.run([&]() -> future<int> {
        promise<> got;
        engine().handle_signal(SIGUSR1, [&] {
            ++calls;
            got.set_value();
        });
        ::raise(SIGUSR1);
        co_await got.get_future();
        co_return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(calls, 1);
    EXPECT_THROW(r.handle_signal(0, [] {}), std::invalid_argument);
    EXPECT_THROW(r.handle_signal(65, [] {}), std::invalid_argument);
}

TEST(reactor_lifecycle, sigterm_starts_orderly_shutdown) {
    auto cfg = testing::default_test_config();
    cfg.handle_sigint_sigterm = true;
    bool at_exit_ran = false;
    int code;
    {
        reactor r(cfg);
        promise<> shutting_down;
        code = r.run([&]() -> future<int> {
            engine().at_exit([&] {
                at_exit_ran = true;
                shutting_down.set_value();
                return make_ready_future<>();
            });
            // Delivered from another thread, while the reactor sleeps.
            std::thread([] { ::kill(::getpid(), SIGTERM); }).join();
            co_await shutting_down.get_future(); // only the signal's shutdown gets us here
            co_return 9;                         // ignored: the shutdown already chose exit code 0
        });
    }
    EXPECT_EQ(code, 0);
    EXPECT_TRUE(at_exit_ran);
}

SEASTAR_TEST_CASE(reactor, run_blocking_returns_value_from_another_thread) {
    auto main_id = std::this_thread::get_id();
    auto id = co_await engine().run_blocking([] { return std::this_thread::get_id(); });
    EXPECT_NE(id, main_id);
    int v = co_await engine().run_blocking([] {
        std::this_thread::sleep_for(5ms); // the reactor sleeps meanwhile and must be woken
        return 42;
    });
    EXPECT_EQ(v, 42);
    struct stat st;
    int r = co_await engine().run_blocking([&st] { return ::stat("/", &st); });
    EXPECT_EQ(r, 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
}

SEASTAR_TEST_CASE(reactor, run_blocking_propagates_exceptions) {
    bool caught = false;
    try {
        co_await engine().run_blocking([] { throw std::runtime_error("blocking failed"); });
    } catch (const std::runtime_error& e) {
        caught = std::string(e.what()) == "blocking failed";
    }
    EXPECT_TRUE(caught);
}

SEASTAR_TEST_CASE(reactor, run_blocking_keeps_submission_order) {
    if (engine().config().shuffle_tasks) {
        co_return; // the order checked here is exactly what shuffling breaks
    }
    std::vector<int> order;
    std::vector<future<>> fs;
    for (int i = 0; i < 20; ++i) {
        fs.push_back(engine().run_blocking([] {}).then([&order, i] { order.push_back(i); }));
    }
    for (auto& f : fs) {
        co_await std::move(f);
    }
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(order[i], i);
    }
}

TEST(reactor_backend_choice, unknown_backend_is_rejected) {
    reactor_config cfg;
    cfg.backend = "kqueue";
    EXPECT_THROW(reactor r(cfg), std::invalid_argument);
}

TEST(reactor_backend_choice, explicit_unavailable_backend_fails_clearly) {
    ::setenv("SEASTAR_UNAVAILABLE_BACKENDS", "io_uring", 1);
    reactor_config cfg;
    cfg.backend = "io_uring";
    try {
        reactor r(cfg);
        ADD_FAILURE() << "an unavailable backend was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("requested reactor backend 'io_uring' cannot be used"), std::string::npos)
            << e.what();
    }
    ::unsetenv("SEASTAR_UNAVAILABLE_BACKENDS");
}

TEST(reactor_backend_choice, default_falls_back_with_one_log_line) {
    ::setenv("SEASTAR_UNAVAILABLE_BACKENDS", "linux-aio,io_uring", 1);
    std::ostringstream out;
    logger::set_ostream(&out);
    {
        reactor r;
        EXPECT_EQ(r.backend_name(), "epoll");
    }
    logger::set_ostream(nullptr);
    ::unsetenv("SEASTAR_UNAVAILABLE_BACKENDS");
    auto s = out.str();
    EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1) << s;
    EXPECT_NE(s.find("linux-aio"), std::string::npos) << s;
    EXPECT_NE(s.find("using epoll"), std::string::npos) << s;
}

TEST(reactor_backend_choice, all_unavailable_fails_start) {
    ::setenv("SEASTAR_UNAVAILABLE_BACKENDS", "linux-aio,io_uring,epoll", 1);
    EXPECT_THROW(reactor r, std::runtime_error);
    ::unsetenv("SEASTAR_UNAVAILABLE_BACKENDS");
}

} // namespace
} // namespace seastar
