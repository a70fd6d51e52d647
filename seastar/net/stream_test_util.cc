#include "seastar/net/stream_test_util.hh"

#include <algorithm>

#include "seastar/core/coroutine.hh"

namespace seastar::net::testing {

std::string chunk(uint64_t seed, uint64_t i, std::size_t size) {
    std::string s(size, '\0');
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + i * 0xbf58476d1ce4e5b9ull + 1;
    for (auto& c : s) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = char(x);
    }
    return s;
}

void digest::add(const char* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        h = (h ^ uint8_t(p[i])) * 1099511628211ull;
    }
    bytes += n;
}

future<digest> write_stream(output_stream<char>& out, uint64_t seed, unsigned chunks) {
    digest d;
    for (unsigned i = 0; i < chunks; ++i) {
        auto s = chunk(seed, i, 1000 + (i * 7919) % 30000);
        d.add(s.data(), s.size());
        co_await out.write(s.data(), s.size());
    }
    co_await out.flush();
    co_await out.close();
    co_return d;
}

future<digest> write_bytes(output_stream<char>& out, uint64_t seed, uint64_t bytes, std::size_t chunk_size) {
    digest d;
    // Eight distinct chunks, cycled: generating 100 MB byte by byte would
    // cost more than moving it.
    std::string pattern[8];
    for (unsigned i = 0; i < 8; ++i) {
        pattern[i] = chunk(seed, i, chunk_size);
    }
    for (uint64_t i = 0, left = bytes; left > 0; ++i) {
        auto& s = pattern[i % 8];
        std::size_t n = std::min<uint64_t>(left, s.size());
        d.add(s.data(), n);
        co_await out.write(s.data(), n);
        left -= n;
    }
    co_await out.flush();
    co_await out.close();
    co_return d;
}

future<digest> read_stream(input_stream<char>& in) {
    digest d;
    for (;;) {
        auto b = co_await in.read();
        if (b.empty()) {
            break;
        }
        d.add(b.get(), b.size());
    }
    co_await in.close();
    co_return d;
}

} // namespace seastar::net::testing
