#include "seastar/core/thread.hh"

#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstring>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/local_scheduler.hh"
#include "seastar/core/scheduling.hh"
#include "seastar/core/task.hh"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define THREAD_TEST_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define THREAD_TEST_TSAN 1
#endif
#if __has_feature(undefined_behavior_sanitizer)
#define THREAD_TEST_UBSAN 1
#endif
#endif

namespace seastar {
namespace {

// Runs `f` as a task of the current scheduler (a "later" continuation).
template <typename Func>
void run_later(Func f) {
    struct later final : task {
        Func func;
        explicit later(Func&& fn) : func(std::move(fn)) {}
        void run_and_dispose() noexcept override {
            func();
            delete this;
        }
    };
    schedule(new later(std::move(f)));
}

TEST(thread, get_blocks_only_the_thread_until_another_task_resolves_it) {
    local_scheduler sched;
    promise<int> p;
    std::vector<std::string> log;
    auto f = async([&] {
        log.push_back("thread: waiting");
        int v = p.get_future().get();
        log.push_back("thread: got " + std::to_string(v));
        return v * 2;
    });
    // The body ran until it waited; the creator keeps going.
    ASSERT_EQ(log, std::vector<std::string>{"thread: waiting"});
    EXPECT_FALSE(f.available());
    EXPECT_FALSE(thread::running_in_thread());
    run_later([&] {
        log.push_back("task: resolving");
        p.set_value(21);
    });
    EXPECT_EQ(sched.wait(std::move(f)), 42);
    EXPECT_EQ(log, (std::vector<std::string>{"thread: waiting", "task: resolving", "thread: got 21"}));
}

TEST(thread, thread_object_join_and_running_in_thread) {
    local_scheduler sched;
    bool inside = false;
    bool ran = false;
    thread th([&] {
        inside = thread::running_in_thread();
        ran = true;
    });
    EXPECT_TRUE(ran); // the body starts in the constructor
    EXPECT_TRUE(inside);
    EXPECT_FALSE(thread::running_in_thread());
    auto j = th.join();
    sched.wait(std::move(j));
}

TEST(thread, body_may_own_move_only_state) {
    local_scheduler sched;
    int seen = 0;
    thread th([p = std::make_unique<int>(5), &seen] { seen = *p; });
    sched.wait(th.join());
    EXPECT_EQ(seen, 5);
    auto f = async([p = std::make_unique<std::string>("moved")] { return *p; });
    EXPECT_EQ(sched.wait(std::move(f)), "moved");
}

TEST(thread, many_threads_interleave) {
    local_scheduler sched;
    constexpr int n_threads = 50;
    constexpr int n_steps = 20;
    std::vector<int> order;
    std::vector<future<int>> fs;
    for (int i = 0; i < n_threads; ++i) {
        fs.push_back(async([i, &order] {
            int sum = 0;
            for (int s = 0; s < n_steps; ++s) {
                order.push_back(i);
                // Each step waits for a value produced by a later task.
                promise<int> p;
                auto f = p.get_future();
                run_later([p = std::move(p), s]() mutable { p.set_value(s); });
                sum += f.get();
            }
            return sum;
        }));
    }
    for (auto& f : fs) {
        EXPECT_EQ(sched.wait(std::move(f)), n_steps * (n_steps - 1) / 2);
    }
    ASSERT_EQ(order.size(), std::size_t(n_threads * n_steps));
    // Round-robin: every thread did its step s before any did step s + 1.
    for (int s = 0; s < n_steps; ++s) {
        for (int i = 0; i < n_threads; ++i) {
            EXPECT_EQ(order[std::size_t(s * n_threads + i)], i);
        }
    }
}

TEST(thread, exception_from_body_fails_join_and_async) {
    local_scheduler sched;
    thread th([] { throw std::runtime_error("from thread"); });
    auto j = th.join();
    EXPECT_THROW(
        {
            try {
                sched.wait(std::move(j));
            } catch (const std::runtime_error& e) {
                EXPECT_EQ(std::string(e.what()), "from thread");
                throw;
            }
        },
        std::runtime_error);

    auto f = async([]() -> int {
        thread::yield();
        throw std::invalid_argument("after a yield");
    });
    EXPECT_THROW(sched.wait(std::move(f)), std::invalid_argument);

    // A failed future returned by the body fails async's future too.
    auto g = async([] { return make_exception_future<int>(std::logic_error("returned")); });
    EXPECT_THROW(sched.wait(std::move(g)), std::logic_error);
}

TEST(thread, async_passes_arguments_and_waits_for_returned_future) {
    local_scheduler sched;
    promise<std::string> p;
    auto f =
        async([&p](std::string a,
                   int b) { return p.get_future().then([a, b](std::string c) { return a + std::to_string(b) + c; }); },
              std::string("x"), 7);
    EXPECT_FALSE(f.available());
    run_later([&] { p.set_value("y"); });
    EXPECT_EQ(sched.wait(std::move(f)), "x7y");

    auto v = async([] {});
    sched.wait(std::move(v));
}

TEST(thread, nested_async) {
    local_scheduler sched;
    std::vector<std::string> log;
    auto f = async([&] {
        log.push_back("outer start");
        auto inner = async([&] {
            log.push_back("inner start");
            EXPECT_TRUE(thread::running_in_thread());
            thread::yield();
            log.push_back("inner end");
            return 5;
        });
        log.push_back("outer after inner started");
        int v = inner.get();
        EXPECT_TRUE(thread::running_in_thread());
        log.push_back("outer end");
        return v + 1;
    });
    EXPECT_EQ(sched.wait(std::move(f)), 6);
    EXPECT_EQ(log, (std::vector<std::string>{"outer start", "inner start", "outer after inner started", "inner end",
                                             "outer end"}));
}

TEST(thread, yield_queues_behind_tasks_already_queued) {
    local_scheduler sched;
    std::vector<std::string> log;
    run_later([&] { log.push_back("task 1"); });
    auto f = async([&] {
        log.push_back("thread before yield");
        run_later([&] { log.push_back("task 2"); });
        thread::yield();
        log.push_back("thread after yield");
    });
    run_later([&] { log.push_back("task 3"); });
    sched.wait(std::move(f));
    sched.run_until_idle();
    EXPECT_EQ(log,
              (std::vector<std::string>{"thread before yield", "task 1", "task 2", "thread after yield", "task 3"}));
}

TEST(thread, should_yield_follows_the_task_quota) {
    local_scheduler sched;
    bool other_ran = false;
    bool other2 = false;
    auto f = async([&] {
        EXPECT_FALSE(thread::should_yield());
        sched.set_need_preempt(true);
        EXPECT_TRUE(thread::should_yield());
        // The next task starts a new quota, as a reactor would.
        run_later([&] {
            other_ran = true;
            sched.set_need_preempt(false);
        });
        thread::maybe_yield(); // yields: the quota is used up
        EXPECT_TRUE(other_ran);
        EXPECT_FALSE(thread::should_yield()); // a new quota started with our task
        run_later([&] { other2 = true; });
        thread::maybe_yield(); // does not yield
        EXPECT_FALSE(other2);
    });
    sched.wait(std::move(f));
}

TEST(thread, runs_in_its_scheduling_group_and_keeps_it) {
    local_scheduler sched;
    // Only the default group can be created before the reactor adds group
    // creation; use the internal index constructor for a second group value.
    const scheduling_group other = internal::scheduling_group_from_index(3);
    ASSERT_FALSE(other == current_scheduling_group());
    std::vector<scheduling_group> seen;
    bool started = false;
    thread_attributes attr;
    attr.sched_group = other;
    auto f = async(attr, [&] {
        started = true;
        seen.push_back(current_scheduling_group());
        promise<> p;
        auto pf = p.get_future();
        run_later([&p] { p.set_value(); }); // a task of the default group
        pf.get();
        seen.push_back(current_scheduling_group());
        thread::yield();
        seen.push_back(current_scheduling_group());
        // Continuations created inside the thread carry its group.
        promise<> p2;
        auto c = p2.get_future().then([] { return current_scheduling_group(); });
        run_later([&p2] { p2.set_value(); });
        return c.get();
    });
    // Another group: the body starts later, as a task of that group.
    EXPECT_FALSE(started);
    EXPECT_TRUE(sched.wait(std::move(f)) == other);
    ASSERT_EQ(seen.size(), 3u);
    for (auto sg : seen) {
        EXPECT_TRUE(sg == other);
    }
    EXPECT_TRUE(current_scheduling_group() == default_scheduling_group());

    // Default attributes: the creator's group.
    auto g = async([] { return current_scheduling_group(); });
    EXPECT_TRUE(sched.wait(std::move(g)) == default_scheduling_group());
}

TEST(thread, larger_stack_size_allows_deeper_recursion) {
    local_scheduler sched;
    thread_attributes attr;
    attr.stack_size = 2 * 1024 * 1024;
    auto f = async(attr, [] {
        // About 1 MiB of frames: more than the default 128 KiB stack.
        struct r {
            [[gnu::noinline]] static int go(int n) {
                volatile char buf[1024];
                buf[0] = char(n);
                return n == 0 ? 0 : go(n - 1) + buf[0] - char(n) + 1;
            }
        };
        return r::go(1000);
    });
    EXPECT_EQ(sched.wait(std::move(f)), 1000);
}

std::uintptr_t thread_top = 0;

[[gnu::noinline]] int recurse_forever_ish(int n) {
    volatile char buf[1024];
    buf[0] = char(n);
    return n == 0 ? 0 : recurse_forever_ish(n - 1) + buf[0];
}

TEST(thread_death, stack_overflow_hits_the_guard_page) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    auto overflow = [] {
        local_scheduler sched;
        // 10 MiB of frames against a 128 KiB stack.
        auto f = async([] { return recurse_forever_ish(10000); });
        (void)sched.wait(std::move(f));
    };
#if defined(THREAD_TEST_TSAN)
    // The sanitizers' deadly-signal handlers see the fault below the stack
    // pointer and call it a stack overflow, then exit (tsan: status 66).
    EXPECT_EXIT(overflow(), testing::ExitedWithCode(66), "stack-overflow");
#elif defined(THREAD_TEST_ASAN) || defined(THREAD_TEST_UBSAN)
    EXPECT_EXIT(overflow(), testing::ExitedWithCode(1), "stack-overflow");
#else
    EXPECT_EXIT(overflow(), testing::KilledBySignal(SIGSEGV), "");
    // And the fault is in the guard page right below the thread's stack.
    EXPECT_EXIT(
        {
            static char alt[64 * 1024];
            stack_t ss{};
            ss.ss_sp = alt;
            ss.ss_size = sizeof(alt);
            sigaltstack(&ss, nullptr);
            struct sigaction sa{};
            sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
            sa.sa_sigaction = [](int, siginfo_t* si, void*) {
                auto addr = reinterpret_cast<std::uintptr_t>(si->si_addr);
                // The stack is 128 KiB below the body's first frame; its
                // guard page is the 4 KiB under that.
                bool in_guard = addr < thread_top - 120 * 1024 && addr + 4096 + 16 * 1024 >= thread_top - 128 * 1024;
                const char* msg = in_guard ? "fault in the guard page\n" : "fault elsewhere\n";
                (void)!write(2, msg, strlen(msg));
                _exit(in_guard ? 3 : 4);
            };
            sigaction(SIGSEGV, &sa, nullptr);
            local_scheduler sched;
            auto f = async([] {
                char probe;
                thread_top = reinterpret_cast<std::uintptr_t>(&probe);
                return recurse_forever_ish(10000);
            });
            (void)sched.wait(std::move(f));
        },
        testing::ExitedWithCode(3), "fault in the guard page");
#endif
}

TEST(thread, get_outside_a_thread_on_a_pending_future_throws) {
    local_scheduler sched;
    promise<> p;
    auto f = p.get_future();
    EXPECT_THROW(f.get(), future_not_available);
    p.set_value();
    f.get();
}

} // namespace
} // namespace seastar
