// Chunked transfer coding (RFC 9112 7.1), both ways, over a connection's
// streams: a data_source that decodes a request's (or a reply's) chunked
// body from an input_stream without copying the data, and one for a
// Content-Length body; a data_sink that encodes what a body writer writes.
//
// Contract: the stream they wrap must outlive them and is not read (or
// written) by anyone else meanwhile. The sources fail with
// bad_chunk_exception on malformed framing, with a payload_too_large
// base_exception past `limit`, and with std::runtime_error when the peer
// closes inside the body. The sink writes the last chunk on close() and
// leaves the underlying stream open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "seastar/core/iostream.hh"

namespace seastar::http::internal {

// The chunk-size line and trailer-section parser: pure state, fed bytes.
class chunk_line_parser {
public:
    enum class result { need_more, size_line, last_chunk_done, error };
    // Parses a chunk-size line (and, after a 0 size, the trailer section up to
    // its blank line). Returns how many bytes it used and sets `r`.
    size_t parse(const char* p, size_t n, result& r);
    void reset() noexcept;
    uint64_t size() const noexcept { return _size; }
    const char* error() const noexcept { return _error; }

private:
    enum class state { size, ext, lf, trailer_start, trailer, trailer_lf, end_lf };
    state _state = state::size;
    uint64_t _size = 0;
    size_t _digits = 0;
    size_t _line = 0;
    size_t _trailer_bytes = 0;
    const char* _error = "";
};

// The body of a request with Content-Length `length`.
data_source make_content_length_source(input_stream<char>& in, uint64_t length);
// A chunked body of at most `limit` bytes.
data_source make_chunked_source(input_stream<char>& in, uint64_t limit);
// Writes what it is given as chunks to `out`; close() writes the last chunk.
data_sink make_chunked_sink(output_stream<char>& out);
// Writes what it is given to `out` as is (a body of known length); close() flushes.
data_sink make_plain_sink(output_stream<char>& out);

} // namespace seastar::http::internal
