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
//
//     auto out = co_await seastar::make_file_output_stream(f, {.buffer_size = 65536});
//     co_await out.write("hello");
//     co_await out.close();            // file is 5 bytes long and closed
//     auto in = seastar::make_file_input_stream(f2, {.buffer_size = 65536, .read_ahead = 2});
//     auto buf = co_await in.read();
#pragma once

#include <cstdint>

#include "seastar/core/file.hh"
#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"

namespace seastar {

struct file_input_stream_options {
    size_t buffer_size = 8192;
    unsigned read_ahead = 0;
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
