#include "seastar/core/pipe.hh"

#include "seastar/core/local_scheduler.hh"
#include "seastar/testing/future_checks.hh"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

namespace seastar {
namespace {

using testing::failed_with;

class pipe_test : public ::testing::Test {
protected:
    local_scheduler sched;
};

TEST_F(pipe_test, items_arrive_in_order_then_eof) {
    pipe<int> p(2);
    auto reader = std::move(p.reader);
    {
        auto writer = std::move(p.writer);
        sched.wait(writer.write(1));
        sched.wait(writer.write(2));
        auto blocked = writer.write(3); // buffer full
        EXPECT_FALSE(blocked.available());
        EXPECT_EQ(sched.wait(reader.read()), std::optional<int>(1));
        EXPECT_TRUE(blocked.available());
        blocked.get();
    } // writer gone: EOF after the buffered items
    EXPECT_EQ(sched.wait(reader.read()), std::optional<int>(2));
    EXPECT_EQ(sched.wait(reader.read()), std::optional<int>(3));
    EXPECT_EQ(sched.wait(reader.read()), std::nullopt);
    EXPECT_EQ(sched.wait(reader.read()), std::nullopt); // EOF stays
}

TEST_F(pipe_test, waiting_reader_gets_eof_when_writer_goes_away) {
    pipe<int> p(1);
    auto reader = std::move(p.reader);
    auto writer = std::make_unique<pipe_writer<int>>(std::move(p.writer));
    auto r = reader.read();
    EXPECT_FALSE(r.available());
    writer.reset();
    EXPECT_EQ(sched.wait(std::move(r)), std::nullopt);
}

TEST_F(pipe_test, write_fails_after_reader_is_gone) {
    pipe<int> p(1);
    auto writer = std::move(p.writer);
    auto reader = std::make_unique<pipe_reader<int>>(std::move(p.reader));
    sched.wait(writer.write(1));
    auto blocked = writer.write(2);
    EXPECT_FALSE(blocked.available());
    reader.reset();
    EXPECT_TRUE(failed_with<broken_pipe_exception>(blocked));
    auto later = writer.write(3);
    EXPECT_TRUE(failed_with<broken_pipe_exception>(later));
}

TEST_F(pipe_test, unread_puts_one_item_back) {
    pipe<int> p(2);
    auto reader = std::move(p.reader);
    auto writer = std::move(p.writer);
    sched.wait(writer.write(5));
    auto v = sched.wait(reader.read());
    ASSERT_TRUE(v);
    reader.unread(std::move(*v));
    EXPECT_THROW(reader.unread(6), unread_overflow_exception);
    EXPECT_EQ(sched.wait(reader.read()), std::optional<int>(5));
    sched.wait(writer.write(7));
    EXPECT_EQ(sched.wait(reader.read()), std::optional<int>(7));
}

TEST_F(pipe_test, moved_from_ends_and_buffer_lifetime) {
    auto item = std::make_shared<int>(1);
    {
        pipe<std::shared_ptr<int>> p(4);
        auto writer = std::move(p.writer);
        sched.wait(writer.write(std::shared_ptr<int>(item)));
        sched.wait(writer.write(std::shared_ptr<int>(item)));
        EXPECT_EQ(item.use_count(), 3);
        pipe_reader<std::shared_ptr<int>> reader = std::move(p.reader);
        // The moved-from reader in `p` is empty: reading it is EOF, destroying it is harmless.
        EXPECT_EQ(sched.wait(p.reader.read()), std::nullopt);
        auto failed = p.writer.write(std::shared_ptr<int>(item));
        EXPECT_TRUE(failed_with<broken_pipe_exception>(failed));
    } // both ends gone: the buffer and its items are freed
    EXPECT_EQ(item.use_count(), 1);
}

TEST_F(pipe_test, producer_consumer_loop) {
    pipe<int> p(3);
    auto reader = std::move(p.reader);
    auto writer = std::make_unique<pipe_writer<int>>(std::move(p.writer));
    std::vector<int> got;
    std::vector<future<>> writes;
    for (int i = 0; i < 10; ++i) {
        writes.push_back(writer->write(int(i)));
    }
    for (int i = 0; i < 10; ++i) {
        auto v = sched.wait(reader.read());
        ASSERT_TRUE(v);
        got.push_back(*v);
    }
    writer.reset();
    EXPECT_EQ(sched.wait(reader.read()), std::nullopt);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(got[i], i);
        ASSERT_TRUE(writes[i].available());
        writes[i].get();
    }
}

} // namespace
} // namespace seastar
