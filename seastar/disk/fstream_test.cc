// File streams: write-behind output at odd sizes and buffer sizes, flush in
// the middle, truncation to the real size on close; read-ahead input over
// whole files and unaligned ranges. Under $TEST_TMPDIR, per backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/file.hh"
#include "seastar/core/fstream.hh"
#include "seastar/disk/file_functions.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/tmp_file.hh"

namespace {

using namespace seastar;
namespace fs = std::filesystem;

fs::path test_root() {
    auto d = std::getenv("TEST_TMPDIR");
    return d ? fs::path(d) : default_tmpdir();
}

template <typename Func>
future<> with_dir(Func func) {
    return tmp_dir::do_with(test_root(), [func](tmp_dir& d) { return func(d.get_path()); });
}

std::string random_bytes(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) {
        c = char(rng());
    }
    return s;
}

// Writes `data` in chunks of random sizes through an output stream.
future<> write_file(const fs::path& p, const std::string& data, file_output_stream_options opts, unsigned seed,
                    bool flush_midway = false) {
    auto f = co_await open_file_dma(p.native(), open_flags::rw | open_flags::create | open_flags::truncate);
    auto out = co_await make_file_output_stream(f, opts);
    std::mt19937 rng(seed);
    size_t pos = 0;
    bool flushed = false;
    while (pos < data.size()) {
        size_t n = std::min<size_t>(data.size() - pos, 1 + rng() % 7000);
        co_await out.write(data.data() + pos, n);
        pos += n;
        if (flush_midway && !flushed && pos > data.size() / 2) {
            co_await out.flush();
            flushed = true;
        }
    }
    co_await out.close(); // closes the file too
}

future<std::string> read_file(const fs::path& p, file_input_stream_options opts, uint64_t offset = 0,
                              uint64_t len = UINT64_MAX) {
    auto f = co_await open_file_dma(p.native(), open_flags::ro);
    auto in =
        len == UINT64_MAX ? make_file_input_stream(f, offset, opts) : make_file_input_stream(f, offset, len, opts);
    std::string got;
    for (;;) {
        auto buf = co_await in.read();
        if (buf.empty()) {
            break;
        }
        got.append(buf.get(), buf.size());
    }
    co_await in.close();
    co_await f.close();
    co_return got;
}

SEASTAR_TEST_CASE(fstream, odd_sizes_round_trip) {
    co_await with_dir([](fs::path dir) -> future<> {
        unsigned seed = 1;
        for (size_t size : {size_t(0), size_t(1), size_t(4095), size_t(4097), size_t(100'003), size_t(300'001)}) {
            for (unsigned buffer : {4096u, 10'000u, 65'536u}) {
                for (unsigned behind : {1u, 3u}) {
                    auto data = random_bytes(size, ++seed);
                    auto p = dir / ("f" + std::to_string(seed));
                    file_output_stream_options o;
                    o.buffer_size = buffer;
                    o.write_behind = behind;
                    co_await write_file(p, data, o, seed);
                    EXPECT_EQ(co_await file_size(p.native()), size) << "size " << size << " buffer " << buffer;
                    for (unsigned ahead : {0u, 4u}) {
                        file_input_stream_options i;
                        i.buffer_size = buffer / 2 + 1;
                        i.read_ahead = ahead;
                        auto got = co_await read_file(p, i);
                        EXPECT_EQ(got.size(), size);
                        EXPECT_TRUE(got == data) << "size " << size << " buffer " << buffer << " ahead " << ahead;
                    }
                    co_await remove_file(p.native());
                }
            }
        }
    });
}

SEASTAR_TEST_CASE(fstream, flush_midway_and_preallocation) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto data = random_bytes(123'457, 7);
        file_output_stream_options o;
        o.buffer_size = 8192;
        o.write_behind = 2;
        o.preallocation_size = 64 * 1024;
        co_await write_file(dir / "f", data, o, 7, true);
        EXPECT_EQ(co_await file_size((dir / "f").native()), data.size());
        auto got = co_await read_file(dir / "f", {});
        EXPECT_TRUE(got == data);
    });
}

SEASTAR_TEST_CASE(fstream, unaligned_ranges_with_read_ahead) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto data = random_bytes(200'000, 3);
        co_await write_file(dir / "f", data, {}, 3);
        file_input_stream_options i;
        i.buffer_size = 4096;
        i.read_ahead = 3;
        for (auto [off, len] : {std::pair<uint64_t, uint64_t>{1234, 50'000},
                                {0, 1},
                                {199'999, 10},
                                {4096, 4096},
                                {250'000, 10},
                                {7, 0}}) {
            auto got = co_await read_file(dir / "f", i, off, len);
            auto want = off < data.size() ? data.substr(off, len) : std::string();
            EXPECT_EQ(got.size(), want.size()) << off << "+" << len;
            EXPECT_TRUE(got == want) << off << "+" << len;
        }
        // From an offset to the end.
        auto rest = co_await read_file(dir / "f", i, 99'999);
        EXPECT_TRUE(rest == data.substr(99'999));
        // read_exactly across buffer boundaries.
        auto f = co_await open_file_dma((dir / "f").native(), open_flags::ro);
        auto in = make_file_input_stream(f, i);
        auto a = co_await in.read_exactly(5000);
        auto b = co_await in.read_exactly(10'000);
        EXPECT_EQ(std::string(a.get(), a.size()), data.substr(0, 5000));
        EXPECT_EQ(std::string(b.get(), b.size()), data.substr(5000, 10'000));
        co_await in.close();
        co_await f.close();
    });
}

// Streams sharing a file_input_stream_history learn from each other: readers
// that stop after one buffer make later streams read less and less ahead;
// a reader of a whole file makes them grow back; never past the options.
SEASTAR_TEST_CASE(fstream, dynamic_adjustments_follow_what_readers_use) {
    co_await with_dir([](fs::path dir) -> future<> {
        constexpr size_t file_bytes = 9 << 20;
        auto data = random_bytes(file_bytes, 11);
        file_output_stream_options o;
        o.buffer_size = 1 << 20;
        co_await write_file(dir / "f", data, o, 11);
        auto f = co_await open_file_dma((dir / "f").native(), open_flags::ro);
        auto history = make_lw_shared<file_input_stream_history>();
        file_input_stream_options opts;
        opts.buffer_size = 128 << 10;
        opts.read_ahead = 3;
        opts.dynamic_adjustments = history;

        // Each reader takes one buffer and closes: what was read ahead is
        // wasted, so each next stream reads half as much, with one less read
        // ahead, until nothing is read ahead.
        std::vector<size_t> first_reads;
        for (int i = 0; i < 6; ++i) {
            auto in = make_file_input_stream(f, opts);
            auto buf = co_await in.read();
            EXPECT_EQ(std::string(buf.get(), buf.size()), data.substr(0, buf.size()));
            first_reads.push_back(buf.size());
            co_await in.close();
        }
        EXPECT_EQ(first_reads, (std::vector<size_t>{128 << 10, 64 << 10, 32 << 10, 16 << 10, 16 << 10, 16 << 10}));
        EXPECT_EQ(history->buffer_size(), 16u << 10);
        EXPECT_EQ(history->read_ahead(), 0u);

        // A stream with a smaller buffer_size never reads more than it.
        file_input_stream_options small = opts;
        small.buffer_size = 8192;
        {
            auto in = make_file_input_stream(f, small);
            auto buf = co_await in.read();
            EXPECT_EQ(buf.size(), 8192u);
            co_await in.close();
        }

        // A reader of the whole file: every 4 MiB used grows the reads again,
        // and the data stays whole as the sizes change under it.
        {
            auto in = make_file_input_stream(f, opts);
            std::string got;
            size_t largest = 0;
            for (;;) {
                auto buf = co_await in.read();
                if (buf.empty()) {
                    break;
                }
                largest = std::max(largest, buf.size());
                got.append(buf.get(), buf.size());
            }
            co_await in.close();
            EXPECT_TRUE(got == data);
            EXPECT_EQ(largest, 64u << 10);
        }
        EXPECT_EQ(history->buffer_size(), 64u << 10);
        EXPECT_EQ(history->read_ahead(), 2u);
        // Without a history, the options alone decide.
        file_input_stream_options plain;
        plain.buffer_size = 128 << 10;
        auto in = make_file_input_stream(f, plain);
        EXPECT_EQ((co_await in.read()).size(), 128u << 10);
        co_await in.close();
        co_await f.close();
    });
}

SEASTAR_TEST_CASE(fstream, a_closed_file_fails_the_stream) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto f = co_await open_file_dma((dir / "f").native(), open_flags::rw | open_flags::create);
        auto out = co_await make_file_output_stream(f, 4096);
        co_await f.close();
        std::string big(10'000, 'x');
        bool failed = false;
        try {
            co_await out.write(big.data(), big.size());
            co_await out.flush();
        } catch (const std::system_error& e) {
            failed = e.code().value() == EBADF;
        }
        EXPECT_TRUE(failed);
        try {
            co_await out.close();
        } catch (...) {
        }
    });
}

} // namespace
