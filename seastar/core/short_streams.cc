#include "seastar/util/short_streams.hh"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "seastar/core/coroutine.hh"

namespace seastar::util {

future<std::vector<temporary_buffer<char>>> read_entire_stream(input_stream<char>& inp) noexcept {
    std::vector<temporary_buffer<char>> bufs;
    for (;;) {
        auto b = co_await inp.read();
        if (b.empty()) {
            co_return bufs;
        }
        bufs.push_back(std::move(b));
    }
}

future<sstring> read_entire_stream_contiguous(input_stream<char>& inp) noexcept {
    auto bufs = co_await read_entire_stream(inp);
    size_t total = 0;
    for (auto& b : bufs) {
        total += b.size();
    }
    sstring s(sstring::initialized_later(), total);
    auto out = s.begin();
    for (auto& b : bufs) {
        out = std::copy(b.begin(), b.end(), out);
    }
    co_return s;
}

future<> skip_entire_stream(input_stream<char>& inp) noexcept {
    for (;;) {
        auto b = co_await inp.read();
        if (b.empty()) {
            co_return;
        }
    }
}

} // namespace seastar::util
