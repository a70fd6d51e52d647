// A program that links the reactor with the epoll backend only: the backend
// registers itself, the others are absent (and with them liburing: checked by
// //seastar:layering_test), and asking for one of them fails at start-up,
// naming what is linked in.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/internal/reactor_backend.hh"
#include "seastar/core/internal/reactor_backend_selector.hh"
#include "seastar/core/reactor.hh"

namespace seastar {
namespace {

reactor_config config(std::string backend) {
    reactor_config cfg;
    cfg.backend = std::move(backend);
    cfg.handle_sigint_sigterm = false;
    return cfg;
}

TEST(reactor_epoll_only, only_epoll_is_registered) {
    EXPECT_EQ(internal::registered_reactor_backends(), std::vector<std::string>{"epoll"});
    EXPECT_EQ(internal::find_reactor_backend("io_uring"), nullptr);
    EXPECT_EQ(internal::find_reactor_backend("linux-aio"), nullptr);
}

TEST(reactor_epoll_only, default_choice_is_epoll) {
    reactor r(config(""));
    EXPECT_EQ(r.backend_name(), "epoll");
}

TEST(reactor_epoll_only, a_backend_not_linked_in_is_a_clear_error) {
    for (auto name : {"io_uring", "linux-aio", "kqueue"}) {
        try {
            reactor r(config(name));
            ADD_FAILURE() << "a reactor started with backend '" << name << "'";
        } catch (const std::invalid_argument& e) {
            std::string what = e.what();
            EXPECT_NE(what.find(std::string("'") + name + "'"), std::string::npos) << what;
            EXPECT_NE(what.find("linked in: epoll)"), std::string::npos) << what;
        }
    }
}

TEST(reactor_epoll_only, a_backend_without_its_blocking_thread_is_refused) {
    internal::backend_options opts; // no blocking-I/O thread
    EXPECT_THROW(internal::find_reactor_backend("epoll")(opts), std::invalid_argument);
}

size_t thread_count() {
    size_t n = 0;
    if (auto dir = ::opendir("/proc/self/task")) {
        while (auto e = ::readdir(dir)) {
            n += e->d_name[0] != '.';
        }
        ::closedir(dir);
    }
    return n;
}

// Disk I/O under epoll runs on the shard's one blocking-I/O thread, which
// run_blocking() uses too; both complete on the shard.
TEST(reactor_epoll_only, disk_io_and_run_blocking_share_the_blocking_thread) {
    char path[] = "/tmp/reactor_epoll_only_XXXXXX";
    int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::unlink(path);
    reactor r(config("epoll"));
    // A sanitizer's runtime starts a thread of its own at the first thread
    // a program makes: let that happen before counting.
    std::thread([] {}).join();
    int code = r.run([fd]() -> future<int> {
        auto threads_before = thread_count();
        const char text[] = "written by the blocking thread";
        auto n = co_await engine().submit_io(internal::io_request::make_write(fd, 0, text, sizeof(text)));
        EXPECT_EQ(n, sizeof(text));
        auto helper = co_await engine().run_blocking([] { return ::gettid(); });
        EXPECT_NE(helper, ::gettid());
        EXPECT_EQ(co_await engine().submit_io(internal::io_request::make_fdatasync(fd)), 0u);
        char back[sizeof(text)] = {};
        EXPECT_EQ(co_await engine().submit_io(internal::io_request::make_read(fd, 0, back, sizeof(back))),
                  sizeof(text));
        EXPECT_EQ(std::memcmp(back, text, sizeof(text)), 0);
        bool failed = false;
        try {
            co_await engine().submit_io(internal::io_request::make_read(-1, 0, back, sizeof(back)));
        } catch (const std::system_error& e) {
            failed = e.code().value() == EBADF;
        }
        EXPECT_TRUE(failed);
        // One thread serves the backend's disk I/O and run_blocking().
        EXPECT_EQ(thread_count(), threads_before + 1);
        co_return 0;
    });
    EXPECT_EQ(code, 0);
    ::close(fd);
}

} // namespace
} // namespace seastar
