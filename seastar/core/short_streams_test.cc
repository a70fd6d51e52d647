#include "seastar/util/short_streams.hh"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "seastar/core/local_scheduler.hh"
#include "seastar/util/later.hh"

namespace seastar {
namespace {

using tb = temporary_buffer<char>;

struct source_error : std::runtime_error {
    source_error() : std::runtime_error("source error") {}
};

// Hands out the given buffers, then EOF forever; fails the get() numbered
// `fail_at` (0-based) instead. Records where each buffer's bytes are, and
// how often it was asked.
class parts_source final : public data_source_impl {
    std::deque<tb> _bufs;
    bool _async;
    int _fail_at;

public:
    std::vector<const char*> handed_out;
    int gets = 0;

    parts_source(const std::vector<std::string>& parts, bool async, int fail_at) : _async(async), _fail_at(fail_at) {
        for (auto& p : parts) {
            _bufs.push_back(tb::copy_of(p));
        }
    }
    future<tb> get() override {
        if (gets++ == _fail_at) {
            return make_exception_future<tb>(source_error());
        }
        tb b;
        if (!_bufs.empty()) {
            b = std::move(_bufs.front());
            _bufs.pop_front();
            handed_out.push_back(b.get());
        }
        if (_async) {
            return yield().then([b = std::move(b)]() mutable { return std::move(b); });
        }
        return make_ready_future<tb>(std::move(b));
    }
};

// Parameter: whether the source's buffers arrive asynchronously.
class short_streams_test : public ::testing::TestWithParam<bool> {
protected:
    local_scheduler sched;
    parts_source* source = nullptr;

    input_stream<char> make_input(const std::vector<std::string>& parts, int fail_at = -1) {
        auto s = std::make_unique<parts_source>(parts, GetParam(), fail_at);
        source = s.get();
        return input_stream<char>(data_source(std::move(s)));
    }
};

const std::vector<std::string> three_parts = {"first ", "second part ", "3"};

TEST_P(short_streams_test, read_entire_stream_hands_over_the_buffers_in_order) {
    auto in = make_input(three_parts);
    auto bufs = sched.wait(util::read_entire_stream(in));
    ASSERT_EQ(bufs.size(), 3u);
    for (size_t i = 0; i < bufs.size(); ++i) {
        EXPECT_EQ(std::string(bufs[i].get(), bufs[i].size()), three_parts[i]);
        EXPECT_EQ(bufs[i].get(), source->handed_out[i]) << "buffer " << i << " was copied";
    }
    EXPECT_TRUE(in.eof());
    EXPECT_TRUE(sched.wait(in.read()).empty());
    sched.wait(in.close());
}

TEST_P(short_streams_test, read_entire_stream_contiguous_joins_the_buffers) {
    auto in = make_input(three_parts);
    auto s = sched.wait(util::read_entire_stream_contiguous(in));
    EXPECT_EQ(s, "first second part 3");
    EXPECT_EQ(s.size(), 19u);
    EXPECT_TRUE(in.eof());
    sched.wait(in.close());
}

// What the stream had buffered (the rest of a partly read buffer) comes first.
TEST_P(short_streams_test, reads_start_where_the_stream_is) {
    auto in = make_input(three_parts);
    auto head = sched.wait(in.read_exactly(3));
    EXPECT_EQ(std::string(head.get(), head.size()), "fir");
    EXPECT_EQ(sched.wait(util::read_entire_stream_contiguous(in)), "st second part 3");
    sched.wait(in.close());
}

TEST_P(short_streams_test, skip_entire_stream_drains_the_source) {
    auto in = make_input(three_parts);
    sched.wait(util::skip_entire_stream(in));
    EXPECT_TRUE(in.eof());
    EXPECT_EQ(source->handed_out.size(), 3u);
    EXPECT_TRUE(sched.wait(in.read()).empty());
    // At EOF already: nothing more to skip or read.
    int gets = source->gets;
    sched.wait(util::skip_entire_stream(in));
    EXPECT_TRUE(sched.wait(util::read_entire_stream(in)).empty());
    EXPECT_EQ(source->gets, gets);
    sched.wait(in.close());
}

TEST_P(short_streams_test, empty_stream) {
    {
        auto in = make_input({});
        EXPECT_TRUE(sched.wait(util::read_entire_stream(in)).empty());
        EXPECT_TRUE(in.eof());
    }
    {
        auto in = make_input({});
        EXPECT_EQ(sched.wait(util::read_entire_stream_contiguous(in)), "");
    }
    {
        auto in = make_input({});
        sched.wait(util::skip_entire_stream(in));
        EXPECT_TRUE(in.eof());
        EXPECT_EQ(source->gets, 1);
    }
}

TEST_P(short_streams_test, a_failing_source_fails_each_of_them) {
    {
        auto in = make_input(three_parts, 2);
        EXPECT_THROW(sched.wait(util::read_entire_stream(in)), source_error);
    }
    {
        auto in = make_input(three_parts, 1);
        EXPECT_THROW(sched.wait(util::read_entire_stream_contiguous(in)), source_error);
    }
    {
        auto in = make_input(three_parts, 3); // the get() that would see EOF
        EXPECT_THROW(sched.wait(util::skip_entire_stream(in)), source_error);
    }
}

INSTANTIATE_TEST_SUITE_P(sources, short_streams_test, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "async" : "ready"; });

} // namespace
} // namespace seastar
