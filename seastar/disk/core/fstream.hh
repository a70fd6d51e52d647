// Streams over files: make_file_input_stream() reads a file (or a range of
// it) with read-ahead; make_file_output_stream() writes one with
// write-behind. Both are the ordinary input_stream<char>/output_stream<char>
// of core/iostream.hh over a file data source / sink.
//
// Contract:
//   * Input: reads buffer_size bytes at a time (rounded up to the file's read
//     alignment), keeping up to read_ahead reads in flight beyond the one
//     being consumed; any offset and length (the first read is trimmed). The
//     stream ends at the end of the range or of the file. close() waits for
//     reads in flight. It does not close the file.
//   * Output: collects writes into aligned buffers of buffer_size bytes and
//     writes each full buffer with up to write_behind writes in flight.
//     flush() writes the partial tail (padded to the write alignment), waits
//     for every write, then fdatasyncs. close() does the same, truncates the
//     file to the bytes written (dropping the padding) and closes the file.
//     A write error fails the next write, flush() or close().
//   * Shard-local; the stream keeps a copy of the `file` handle.
//   * dynamic_adjustments: streams that share one file_input_stream_history
//     learn from each other how much of what they read ahead was used. When
//     more than a quarter of the bytes read were dropped unread (read ahead
//     and never asked for when the stream closed), later reads get half the
//     buffer size (down to 4 KiB, or the read alignment) and one less read
//     ahead, at once; after 4 MiB read with under 1/64 dropped, they grow
//     back by as much, never past the options' buffer_size and read_ahead.
//
//     auto out = co_await seastar::make_file_output_stream(f, {.buffer_size = 65536});
//     co_await out.write("hello");
//     co_await out.close();            // file is 5 bytes long and closed
//     auto in = seastar::make_file_input_stream(f2, {.buffer_size = 65536, .read_ahead = 2});
//     auto buf = co_await in.read();
#pragma once

#include <cstddef>
#include <cstdint>

#include "seastar/core/file.hh"
#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/shared_ptr.hh"

namespace seastar {

// What the file input streams sharing it learned about their readers
// (file_input_stream_options::dynamic_adjustments):
//     auto history = seastar::make_lw_shared<seastar::file_input_stream_history>();
//     auto in = seastar::make_file_input_stream(f, {.buffer_size = 131072, .read_ahead = 4,
//                                                   .dynamic_adjustments = history});
class file_input_stream_history {
public:
    // Bytes read between decisions.
    static constexpr uint64_t window_size = 4 << 20;

    // The buffer size and read-ahead the next reads use (0 before the first
    // decision: the stream's options).
    size_t buffer_size() const noexcept { return _buffer_size; }
    unsigned read_ahead() const noexcept { return _read_ahead; }

    // For the streams: `bytes` read from the file, `unused` of them dropped
    // without reaching the reader. Returns true when a decision changed the
    // sizes. `max_*` are the stream's options; `min_buffer` its smallest read.
    bool record(uint64_t bytes, uint64_t unused, bool closing, size_t max_buffer, unsigned max_read_ahead,
                size_t min_buffer) noexcept;

private:
    uint64_t _total = 0;
    uint64_t _unused = 0;
    size_t _buffer_size = 0;
    unsigned _read_ahead = 0;
};

struct file_input_stream_options {
    size_t buffer_size = 8192;
    unsigned read_ahead = 0;
    lw_shared_ptr<file_input_stream_history> dynamic_adjustments = {};
};

input_stream<char> make_file_input_stream(file f, uint64_t offset, uint64_t len,
                                          file_input_stream_options options = {});
input_stream<char> make_file_input_stream(file f, uint64_t offset, file_input_stream_options options = {});
input_stream<char> make_file_input_stream(file f, file_input_stream_options options = {});

struct file_output_stream_options {
    unsigned buffer_size = 65536;
    // When set, space is reserved (file::allocate) this many bytes ahead of
    // the writes.
    unsigned preallocation_size = 0;
    unsigned write_behind = 1;
};

future<data_sink> make_file_data_sink(file f, file_output_stream_options options) noexcept;
future<output_stream<char>> make_file_output_stream(file f, uint64_t buffer_size = 8192) noexcept;
future<output_stream<char>> make_file_output_stream(file f, file_output_stream_options options) noexcept;

} // namespace seastar
