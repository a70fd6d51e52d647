// Draining a whole input_stream: Seastar's <seastar/util/short_streams.hh>.
//
// Contract:
//   * Each function reads `inp` until end of stream; the stream is left at
//     EOF and is not closed (the caller still owns and closes it). Keep it
//     alive until the returned future resolves.
//   * read_entire_stream() returns the buffers as the stream handed them out
//     (in order, none for an empty stream, no copy);
//     read_entire_stream_contiguous() copies them into one sstring;
//     skip_entire_stream() drops them.
//   * Everything read is held in memory: for short streams only.
//   * A failing source fails the returned future (what was read so far is
//     dropped); nothing throws. One shard, like the stream.
//
//     auto in = seastar::input_stream<char>(std::move(source));
//     seastar::sstring body = co_await seastar::util::read_entire_stream_contiguous(in);
//     co_await in.close();
#pragma once

#include <vector>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/sstring.hh"
#include "seastar/core/temporary_buffer.hh"

namespace seastar {

namespace util {

future<std::vector<temporary_buffer<char>>> read_entire_stream(input_stream<char>& inp) noexcept;

future<sstring> read_entire_stream_contiguous(input_stream<char>& inp) noexcept;

future<> skip_entire_stream(input_stream<char>& inp) noexcept;

} // namespace util

} // namespace seastar
