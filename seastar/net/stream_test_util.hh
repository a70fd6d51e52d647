// Test helpers for byte streams: deterministic content, a digest of what
// went through, and writer/reader coroutines that move a stream and say what
// they moved (used by the native stack's transfer tests).
#pragma once

#include <cstdint>
#include <string>

#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"

namespace seastar::net::testing {

// Deterministic bytes: chunk `i` of a stream seeded by `seed`.
std::string chunk(uint64_t seed, uint64_t i, std::size_t size);

struct digest {
    uint64_t h = 1469598103934665603ull; // FNV-1a
    uint64_t bytes = 0;
    void add(const char* p, std::size_t n) noexcept;
    bool operator==(const digest&) const = default;
};

// Writes `chunks` chunks of 1,000 to 31,000 bytes, then closes (FIN);
// returns what was written.
future<digest> write_stream(output_stream<char>& out, uint64_t seed, unsigned chunks);
// Writes chunks of `chunk_size` bytes until `bytes` are written, then closes.
future<digest> write_bytes(output_stream<char>& out, uint64_t seed, uint64_t bytes, std::size_t chunk_size = 64 << 10);
// Reads to the end of the stream, then closes it; returns what was read.
future<digest> read_stream(input_stream<char>& in);

} // namespace seastar::net::testing
