#include "seastar/core/iostream.hh"

#include <gtest/gtest.h>

#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/local_scheduler.hh"

namespace seastar {
namespace {

using tb = temporary_buffer<char>;

std::string str(const tb& b) {
    return {b.get(), b.size()};
}

// A future that becomes ready only after the scheduler ran a task: makes
// sources and sinks asynchronous, so the slow paths really suspend.
struct wake_task final : task {
    promise<> pr;
    void run_and_dispose() noexcept override {
        pr.set_value();
        delete this;
    }
};

future<> later() {
    auto t = new wake_task;
    auto f = t->pr.get_future();
    schedule(t);
    return f;
}

struct test_error : std::runtime_error {
    test_error() : std::runtime_error("test error") {}
};

// Hands out the given buffers, then EOF (empty buffers) forever.
class vector_source final : public data_source_impl {
    std::deque<tb> _bufs;
    bool _async;
    int _fail_at;
    int _gets = 0;
    int* _closes;

public:
    vector_source(std::vector<std::string> parts, bool async, int fail_at, int* closes)
        : _async(async), _fail_at(fail_at), _closes(closes) {
        for (auto& p : parts) {
            _bufs.push_back(tb::copy_of(p));
        }
    }
    future<tb> get() override {
        if (_gets++ == _fail_at) {
            return make_exception_future<tb>(test_error());
        }
        tb b;
        if (!_bufs.empty()) {
            b = std::move(_bufs.front());
            _bufs.pop_front();
        }
        if (_async) {
            return later().then([b = std::move(b)]() mutable { return std::move(b); });
        }
        return make_ready_future<tb>(std::move(b));
    }
    future<> close() override {
        if (_closes) {
            ++*_closes;
        }
        return make_ready_future<>();
    }
    const tb& front() const { return _bufs.front(); }
};

struct source_options {
    bool async = false;
    int fail_at = -1;
    int* closes = nullptr;
};

input_stream<char> make_input(std::vector<std::string> parts, source_options o = {}) {
    return input_stream<char>(
        data_source(std::make_unique<vector_source>(std::move(parts), o.async, o.fail_at, o.closes)));
}

class input_stream_test : public ::testing::TestWithParam<bool> {
protected:
    local_scheduler sched;
    source_options opts() { return {.async = GetParam()}; }
};

TEST_P(input_stream_test, read_hands_over_buffers_then_eof) {
    auto in = make_input({"abc", "de"}, opts());
    EXPECT_EQ(str(sched.wait(in.read())), "abc");
    EXPECT_FALSE(in.eof());
    EXPECT_EQ(str(sched.wait(in.read())), "de");
    EXPECT_TRUE(sched.wait(in.read()).empty());
    EXPECT_TRUE(in.eof());
    EXPECT_TRUE(sched.wait(in.read()).empty());
}

TEST(input_stream, read_does_not_copy) {
    local_scheduler sched;
    auto src = std::make_unique<vector_source>(std::vector<std::string>{"abcdef"}, false, -1, nullptr);
    auto p = src->front().get();
    input_stream<char> in(data_source(std::move(src)));
    auto a = sched.wait(in.read_exactly(2));
    EXPECT_EQ(a.get(), p); // shared, not copied
    auto b = sched.wait(in.read_up_to(3));
    EXPECT_EQ(b.get(), p + 2);
    auto c = sched.wait(in.read_exactly(1)); // exactly what is left: handed over
    EXPECT_EQ(c.get(), p + 5);
    EXPECT_EQ(str(a) + str(b) + str(c), "abcdef");
}

TEST_P(input_stream_test, read_exactly_across_buffers) {
    auto in = make_input({"ab", "cde", "f", "ghij"}, opts());
    EXPECT_EQ(str(sched.wait(in.read_exactly(4))), "abcd");
    EXPECT_EQ(str(sched.wait(in.read_exactly(3))), "efg");
    EXPECT_EQ(str(sched.wait(in.read_exactly(3))), "hij");
    EXPECT_FALSE(in.eof());
    EXPECT_TRUE(sched.wait(in.read_exactly(3)).empty());
    EXPECT_TRUE(in.eof());
}

TEST_P(input_stream_test, read_exactly_at_eof_returns_short_buffer) {
    auto in = make_input({"abc", "de"}, opts());
    auto b = sched.wait(in.read_exactly(10));
    EXPECT_EQ(str(b), "abcde"); // short: the stream ended
    EXPECT_TRUE(in.eof());
    EXPECT_TRUE(sched.wait(in.read_exactly(1)).empty());
    EXPECT_TRUE(sched.wait(in.read()).empty());
}

TEST_P(input_stream_test, read_exactly_zero_and_empty_stream) {
    auto in = make_input({"abc"}, opts());
    EXPECT_TRUE(sched.wait(in.read_exactly(0)).empty());
    EXPECT_FALSE(in.eof());
    EXPECT_EQ(str(sched.wait(in.read_exactly(3))), "abc");
    auto empty = make_input({}, opts());
    EXPECT_TRUE(sched.wait(empty.read_exactly(5)).empty());
    EXPECT_TRUE(empty.eof());
}

TEST_P(input_stream_test, read_up_to) {
    auto in = make_input({"abcdef", "gh"}, opts());
    EXPECT_EQ(str(sched.wait(in.read_up_to(4))), "abcd");
    EXPECT_EQ(str(sched.wait(in.read_up_to(100))), "ef"); // never waits for more than one buffer
    EXPECT_EQ(str(sched.wait(in.read_up_to(100))), "gh");
    EXPECT_TRUE(sched.wait(in.read_up_to(100)).empty());
    EXPECT_TRUE(in.eof());
}

TEST_P(input_stream_test, skip_within_and_across_buffers) {
    auto in = make_input({"abc", "defg", "hij", "klm"}, opts());
    sched.wait(in.skip(1));
    EXPECT_EQ(str(sched.wait(in.read_exactly(1))), "b");
    sched.wait(in.skip(4)); // "c" from the buffer, "def" from the source
    EXPECT_EQ(str(sched.wait(in.read_exactly(2))), "gh");
    sched.wait(in.skip(4)); // "ij", then "kl": exactly into the last buffer
    EXPECT_EQ(str(sched.wait(in.read())), "m");
    sched.wait(in.skip(0));
    sched.wait(in.skip(100)); // past the end
    EXPECT_TRUE(sched.wait(in.read()).empty());
    EXPECT_TRUE(in.eof());
}

// Reads records "<len digit><payload>" and stops after `want` of them.
struct record_consumer {
    std::vector<std::string>* records;
    size_t want;
    std::string partial;
    int pending_len = -1;
    bool saw_eof = false;

    future<consumption_result<char>> operator()(tb buf) {
        if (buf.empty()) {
            saw_eof = true;
            return make_ready_future<consumption_result<char>>(continue_consuming{});
        }
        while (!buf.empty()) {
            if (pending_len < 0) {
                pending_len = buf[0] - '0';
                buf.trim_front(1);
                continue;
            }
            auto now = std::min<size_t>(pending_len - partial.size(), buf.size());
            partial.append(buf.get(), now);
            buf.trim_front(now);
            if (partial.size() == size_t(pending_len)) {
                records->push_back(std::move(partial));
                partial.clear();
                pending_len = -1;
                if (records->size() == want) {
                    return make_ready_future<consumption_result<char>>(stop_consuming<char>(std::move(buf)));
                }
            }
        }
        return make_ready_future<consumption_result<char>>(continue_consuming{});
    }
};

TEST_P(input_stream_test, consume_stops_mid_buffer_and_keeps_the_rest) {
    auto in = make_input({"3ab", "c2de1", "fTAIL", "more"}, opts());
    std::vector<std::string> records;
    sched.wait(in.consume(record_consumer{&records, 3}));
    EXPECT_EQ(records, (std::vector<std::string>{"abc", "de", "f"}));
    EXPECT_FALSE(in.eof());
    // what the consumer handed back comes first
    EXPECT_EQ(str(sched.wait(in.read())), "TAIL");
    EXPECT_EQ(str(sched.wait(in.read())), "more");
}

TEST_P(input_stream_test, consume_to_eof_sees_empty_buffer) {
    auto in = make_input({"2ab", "1c"}, opts());
    std::vector<std::string> records;
    record_consumer c{&records, 100};
    sched.wait(in.consume(c)); // by reference: we can inspect it afterwards
    EXPECT_TRUE(c.saw_eof);
    EXPECT_TRUE(in.eof());
    EXPECT_EQ(records, (std::vector<std::string>{"ab", "c"}));
}

TEST_P(input_stream_test, consume_skip_bytes) {
    auto in = make_input({"HDR", "0123", "456789", "END"}, opts());
    int calls = 0;
    std::string seen;
    sched.wait(in.consume([&](tb buf) -> future<consumption_result<char>> {
        ++calls;
        seen += str(buf);
        if (calls == 1) {
            return make_ready_future<consumption_result<char>>(skip_bytes(7)); // "0123456"
        }
        return make_ready_future<consumption_result<char>>(stop_consuming<char>(tb()));
    }));
    EXPECT_EQ(seen, "HDR789");
    EXPECT_EQ(str(sched.wait(in.read())), "END");
}

TEST_P(input_stream_test, consume_older_optional_form) {
    auto in = make_input({"abc", "de|fg"}, opts());
    std::string seen;
    sched.wait(in.consume([&](tb buf) -> future<std::optional<tb>> {
        auto bar = std::find(buf.begin(), buf.end(), '|');
        if (bar == buf.end()) {
            seen += str(buf);
            return make_ready_future<std::optional<tb>>(std::nullopt);
        }
        auto pos = bar - buf.begin();
        seen.append(buf.get(), pos);
        buf.trim_front(pos + 1);
        return make_ready_future<std::optional<tb>>(std::move(buf));
    }));
    EXPECT_EQ(seen, "abcde");
    EXPECT_EQ(str(sched.wait(in.read())), "fg");
}

TEST_P(input_stream_test, consumer_failure_propagates) {
    auto in = make_input({"abc"}, opts());
    auto f = in.consume([](tb) -> future<consumption_result<char>> { throw test_error(); });
    EXPECT_THROW(sched.wait(std::move(f)), test_error);
}

TEST_P(input_stream_test, source_failure_fails_reads) {
    auto o = opts();
    o.fail_at = 1;
    auto in = make_input({"abc", "def"}, o);
    EXPECT_EQ(str(sched.wait(in.read_exactly(2))), "ab");
    EXPECT_THROW(sched.wait(in.read_exactly(2)), test_error);
    o.fail_at = 0;
    auto in2 = make_input({"abc"}, o);
    std::vector<std::string> records;
    EXPECT_THROW(sched.wait(in2.consume(record_consumer{&records, 1})), test_error);
    auto in3 = make_input({"abc"}, o);
    EXPECT_THROW(sched.wait(in3.skip(5)), test_error);
}

TEST_P(input_stream_test, close_closes_source) {
    int closes = 0;
    auto o = opts();
    o.closes = &closes;
    auto in = make_input({"abc"}, o);
    sched.wait(in.close());
    EXPECT_EQ(closes, 1);
}

INSTANTIATE_TEST_SUITE_P(sync_and_async, input_stream_test, ::testing::Values(false, true));

// ---- output ----

struct sink_log {
    std::vector<std::string> puts; // one entry per put(), its bytes
    std::vector<const char*> first_bytes;
    int flushes = 0;
    int closes = 0;
    std::string all() const {
        std::string s;
        for (auto& p : puts) {
            s += p;
        }
        return s;
    }
};

struct sink_options {
    bool async = false;
    int fail_put_at = -1;
    bool fail_flush = false;
    bool fail_close = false;
    bool throw_instead = false; // fail by throwing from the call rather than a failed future
    bool batch = false;
    size_t buffer_size = 8192;
};

class counting_sink final : public data_sink_impl {
    sink_log& _log;
    sink_options _o;

    future<> outcome(bool fail) {
        if (fail) {
            if (_o.throw_instead) {
                throw test_error();
            }
            return make_exception_future<>(test_error());
        }
        return _o.async ? later() : make_ready_future<>();
    }

public:
    counting_sink(sink_log& log, sink_options o) : _log(log), _o(o) {}
    future<> put(net::packet p) override {
        bool fail = int(_log.puts.size()) == _o.fail_put_at;
        std::string s;
        for (auto& f : p.fragments()) {
            s.append(f.base, f.size);
        }
        _log.first_bytes.push_back(p.nr_frags() ? p.frag(0).base : nullptr);
        _log.puts.push_back(std::move(s));
        return outcome(fail);
    }
    future<> flush() override {
        ++_log.flushes;
        return outcome(_o.fail_flush);
    }
    future<> close() override {
        ++_log.closes;
        return outcome(_o.fail_close);
    }
    size_t buffer_size() const noexcept override { return _o.buffer_size; }
    bool can_batch_flushes() const noexcept override { return _o.batch; }
};

output_stream<char> make_output(sink_log& log, size_t size, sink_options o = {}, output_stream_options so = {}) {
    return output_stream<char>(data_sink(std::make_unique<counting_sink>(log, o)), size, so);
}

class output_stream_test : public ::testing::TestWithParam<bool> {
protected:
    local_scheduler sched;
    sink_log log;
    sink_options opts() { return {.async = GetParam()}; }
};

TEST_P(output_stream_test, small_writes_are_batched) {
    auto out = make_output(log, 4096, opts());
    std::string expect;
    for (int i = 0; i < 1000; ++i) {
        std::string rec = "record-" + std::to_string(1000 + i) + "-xxxx"; // 16 bytes
        ASSERT_EQ(rec.size(), 16u);
        expect += rec;
        sched.wait(out.write(rec));
    }
    // 16000 bytes: three full 4096-byte buffers went out, the rest waits.
    EXPECT_EQ(log.puts.size(), 3u);
    for (auto& p : log.puts) {
        EXPECT_EQ(p.size(), 4096u);
    }
    sched.wait(out.close());
    EXPECT_EQ(log.puts.size(), 4u);
    EXPECT_EQ(log.all(), expect);
    EXPECT_EQ(log.flushes, 1);
    EXPECT_EQ(log.closes, 1);
}

TEST_P(output_stream_test, write_straddling_the_buffer_end) {
    auto out = make_output(log, 8, opts());
    sched.wait(out.write("abcde"));
    sched.wait(out.write("fghij")); // 3 fill the buffer, 2 start the next
    ASSERT_EQ(log.puts.size(), 1u);
    EXPECT_EQ(log.puts[0], "abcdefgh");
    sched.wait(out.flush());
    EXPECT_EQ(log.puts.size(), 2u);
    EXPECT_EQ(log.puts[1], "ij");
    sched.wait(out.close());
}

TEST_P(output_stream_test, large_write_bypasses_the_batch_buffer) {
    auto out = make_output(log, 8, opts());
    std::string big(20, 'B');
    sched.wait(out.write(big));
    ASSERT_EQ(log.puts.size(), 1u); // one put of its own, not split in 8s
    EXPECT_EQ(log.puts[0], big);
    sched.wait(out.write("ab"));
    std::string big2(14, 'C'); // >= 2*size - pending: fills the buffer, rest on its own
    sched.wait(out.write(big2));
    ASSERT_EQ(log.puts.size(), 3u);
    EXPECT_EQ(log.puts[1], "abCCCCCC");
    EXPECT_EQ(log.puts[2], "CCCCCCCC");
    sched.wait(out.close());
    EXPECT_EQ(log.puts.size(), 3u);
}

TEST_P(output_stream_test, trim_to_size_splits_without_copying) {
    auto out = make_output(log, 8, opts(), {.trim_to_size = true});
    std::string big = "0123456789abcdefghij";
    sched.wait(out.write(big));
    EXPECT_EQ(log.puts, (std::vector<std::string>{"01234567", "89abcdef", "ghij"}));
    auto buf = tb::copy_of("ABCDEFGHIJ");
    auto p = buf.get();
    sched.wait(out.write(std::move(buf)));
    ASSERT_EQ(log.puts.size(), 5u);
    EXPECT_EQ(log.puts[3], "ABCDEFGH");
    EXPECT_EQ(log.first_bytes[3], p);
    EXPECT_EQ(log.first_bytes[4], p + 8);
    sched.wait(out.close());
}

TEST_P(output_stream_test, large_buffer_write_is_zero_copy) {
    auto out = make_output(log, 16, opts());
    auto buf = tb::copy_of(std::string(32, 'z'));
    auto p = buf.get();
    sched.wait(out.write(std::move(buf)));
    ASSERT_EQ(log.puts.size(), 1u);
    EXPECT_EQ(log.first_bytes[0], p);
    EXPECT_EQ(log.puts[0], std::string(32, 'z'));
    sched.wait(out.close());
}

TEST_P(output_stream_test, small_buffer_writes_accumulate_and_keep_order_with_copies) {
    auto out = make_output(log, 16, opts());
    sched.wait(out.write("a1"));
    auto b = tb::copy_of("B2");
    auto bp = b.get();
    sched.wait(out.write(std::move(b)));
    sched.wait(out.write("c3"));
    net::packet pk = net::packet::from_static_data("D4", 2);
    sched.wait(out.write(std::move(pk)));
    EXPECT_TRUE(log.puts.empty());
    sched.wait(out.flush());
    ASSERT_EQ(log.puts.size(), 1u);
    EXPECT_EQ(log.puts[0], "a1B2c3D4");
    EXPECT_EQ(log.flushes, 1);
    sched.wait(out.close());
    (void)bp;
}

TEST_P(output_stream_test, zero_copy_writes_fill_to_size) {
    auto out = make_output(log, 8, opts());
    for (int i = 0; i < 5; ++i) {
        sched.wait(out.write(tb::copy_of("xyz")));
    }
    // 9 bytes reached the size after the third: one put of three fragments
    ASSERT_EQ(log.puts.size(), 1u);
    EXPECT_EQ(log.puts[0], "xyzxyzxyz");
    sched.wait(out.close());
    ASSERT_EQ(log.puts.size(), 2u);
    EXPECT_EQ(log.puts[1], "xyzxyz");
}

TEST_P(output_stream_test, scattered_message_write) {
    auto out = make_output(log, 64, opts());
    scattered_message<char> msg;
    msg.append_static("HTTP/1.1 200 OK\r\n");
    msg.append(std::string("X: y\r\n"));
    msg.prepend_static(">");
    EXPECT_EQ(msg.size(), 24u);
    sched.wait(out.write(std::move(msg)));
    sched.wait(out.write(scattered_message<char>()));
    sched.wait(out.close());
    EXPECT_EQ(log.all(), ">HTTP/1.1 200 OK\r\nX: y\r\n");
}

TEST_P(output_stream_test, zero_length_writes_do_nothing) {
    auto out = make_output(log, 8, opts());
    sched.wait(out.write("", 0));
    sched.wait(out.write(std::string()));
    sched.wait(out.write(tb()));
    sched.wait(out.write(net::packet()));
    sched.wait(out.write(net::packet::make_null_packet()));
    sched.wait(out.flush());
    EXPECT_TRUE(log.puts.empty());
    EXPECT_EQ(log.flushes, 0); // nothing buffered: flush does not reach the sink (as in Seastar)
    sched.wait(out.close());
    EXPECT_TRUE(log.puts.empty());
    EXPECT_EQ(log.closes, 1);
}

TEST_P(output_stream_test, close_flushes_pending_data) {
    auto out = make_output(log, 100, opts());
    sched.wait(out.write("pending"));
    EXPECT_TRUE(log.puts.empty());
    sched.wait(out.close());
    EXPECT_EQ(log.puts, std::vector<std::string>{"pending"});
    EXPECT_EQ(log.flushes, 1);
    EXPECT_EQ(log.closes, 1);
}

TEST_P(output_stream_test, use_after_close_fails_clearly) {
    auto out = make_output(log, 8, opts());
    sched.wait(out.write("abc"));
    sched.wait(out.close());
    EXPECT_THROW(sched.wait(out.write("x")), output_stream_closed_error);
    EXPECT_THROW(sched.wait(out.write("", 0)), output_stream_closed_error);
    EXPECT_THROW(sched.wait(out.write(std::string(100, 'x'))), output_stream_closed_error);
    EXPECT_THROW(sched.wait(out.write(tb::copy_of("x"))), output_stream_closed_error);
    EXPECT_THROW(sched.wait(out.write(net::packet::from_static_data("x", 1))), output_stream_closed_error);
    EXPECT_THROW(sched.wait(out.flush()), output_stream_closed_error);
    EXPECT_THROW(sched.wait(out.close()), output_stream_closed_error);
    EXPECT_EQ(log.all(), "abc");
    EXPECT_EQ(log.closes, 1);
}

TEST_P(output_stream_test, failing_put_surfaces_in_write_and_close_still_closes) {
    for (bool throw_instead : {false, true}) {
        sink_log l;
        auto o = opts();
        o.fail_put_at = 0;
        o.throw_instead = throw_instead;
        auto out = make_output(l, 8, o);
        sched.wait(out.write("abcd"));
        EXPECT_THROW(sched.wait(out.write("efghij")), test_error); // fills the buffer: put fails
        // later writes go on to the sink (which now accepts)
        sched.wait(out.write("kl"));
        sched.wait(out.close());
        EXPECT_EQ(l.closes, 1);
        EXPECT_EQ(l.puts.back(), "ijkl");
    }
}

TEST_P(output_stream_test, failing_put_surfaces_in_flush_and_close) {
    {
        sink_log l;
        auto o = opts();
        o.fail_put_at = 0;
        auto out = make_output(l, 8, o);
        sched.wait(out.write("ab"));
        EXPECT_THROW(sched.wait(out.flush()), test_error);
        EXPECT_EQ(l.flushes, 0);
        sched.wait(out.close());
    }
    {
        sink_log l;
        auto o = opts();
        o.fail_put_at = 0;
        auto out = make_output(l, 8, o);
        sched.wait(out.write("ab"));
        EXPECT_THROW(sched.wait(out.close()), test_error);
        EXPECT_EQ(l.closes, 1); // closed even though the final flush failed
        EXPECT_THROW(sched.wait(out.write("x")), output_stream_closed_error);
    }
}

TEST_P(output_stream_test, failing_flush_and_close) {
    {
        sink_log l;
        auto o = opts();
        o.fail_flush = true;
        auto out = make_output(l, 8, o);
        sched.wait(out.write("ab"));
        EXPECT_THROW(sched.wait(out.flush()), test_error);
        EXPECT_EQ(l.puts.size(), 1u);
        sched.wait(out.close());
    }
    {
        sink_log l;
        auto o = opts();
        o.fail_close = true;
        o.throw_instead = true;
        auto out = make_output(l, 8, o);
        sched.wait(out.write("ab"));
        EXPECT_THROW(sched.wait(out.close()), test_error);
        EXPECT_EQ(l.puts.size(), 1u);
    }
}

TEST_P(output_stream_test, failing_zero_copy_put) {
    auto o = opts();
    o.fail_put_at = 0;
    auto out = make_output(log, 4, o);
    EXPECT_THROW(sched.wait(out.write(tb::copy_of("abcdef"))), test_error);
    sched.wait(out.close());
    EXPECT_EQ(log.closes, 1);
}

TEST_P(output_stream_test, size_from_sink) {
    auto o = opts();
    o.buffer_size = 4;
    output_stream<char> out(data_sink(std::make_unique<counting_sink>(log, o)));
    sched.wait(out.write("abcdefghij")); // trim_to_size: never more than 4 per put
    EXPECT_EQ(log.puts, (std::vector<std::string>{"abcd", "efgh", "ij"}));
    sched.wait(out.close());
}

TEST_P(output_stream_test, batched_flushes_merge) {
    auto o = opts();
    o.batch = true;
    auto out = make_output(log, 64, o, {.batch_flushes = true});
    sched.wait(out.write("a"));
    sched.wait(out.flush()); // returns before the sink saw anything
    sched.wait(out.write("b"));
    sched.wait(out.flush());
    EXPECT_TRUE(log.puts.empty());
    sched.run_until_idle();
    EXPECT_EQ(log.puts, std::vector<std::string>{"ab"});
    EXPECT_EQ(log.flushes, 1);
    sched.wait(out.write("c"));
    sched.wait(out.close());
    EXPECT_EQ(log.all(), "abc");
    EXPECT_EQ(log.closes, 1);
}

TEST_P(output_stream_test, batched_flush_error_reported_later) {
    auto o = opts();
    o.batch = true;
    o.fail_flush = true;
    auto out = make_output(log, 64, o, {.batch_flushes = true});
    sched.wait(out.write("a"));
    sched.wait(out.flush());
    sched.run_until_idle();
    EXPECT_EQ(log.flushes, 1);
    EXPECT_THROW(sched.wait(out.flush()), test_error); // the earlier failure
    sched.wait(out.write("b"));
    EXPECT_THROW(sched.wait(out.close()), test_error); // close's own flush fails too
    EXPECT_EQ(log.closes, 1);
}

TEST_P(output_stream_test, batch_flushes_ignored_when_sink_cannot) {
    auto out = make_output(log, 64, opts(), {.batch_flushes = true});
    sched.wait(out.write("a"));
    sched.wait(out.flush());
    EXPECT_EQ(log.flushes, 1); // flushed synchronously
    sched.wait(out.close());
}

INSTANTIATE_TEST_SUITE_P(sync_and_async, output_stream_test, ::testing::Values(false, true));

// A source and sink passing bytes through: what goes in comes out.
TEST(iostream, round_trip_with_coroutines) {
    local_scheduler sched;
    auto f = []() -> future<std::string> {
        sink_log log;
        auto out = make_output(log, 7);
        for (int i = 0; i < 50; ++i) {
            co_await out.write(std::to_string(i) + ",");
        }
        co_await out.close();
        auto in = make_input(log.puts, {.async = true});
        std::string got;
        while (true) {
            auto b = co_await in.read_exactly(3);
            got += str(b);
            if (b.size() < 3) {
                break;
            }
        }
        co_await in.close();
        co_return got;
    };
    std::string expect;
    for (int i = 0; i < 50; ++i) {
        expect += std::to_string(i) + ",";
    }
    EXPECT_EQ(sched.wait(f()), expect);
}

} // namespace
} // namespace seastar
