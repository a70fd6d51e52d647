// Size classes of the per-shard small-object pools (requests up to 16 KiB).
//
// Sixteen-byte steps up to 128 bytes, then four classes per power of two, so a request
// wastes at most a quarter of its object. Everything here is constexpr and header-only: the
// allocator's fast path maps a size to its class with one table load. No allocation, no
// state, usable from any thread.
//
// Example:
//     unsigned c = seastar::memory::internal::size_class_of(100);   // the 112-byte class
//     size_t bytes = seastar::memory::internal::class_size[c];        // 112
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace seastar::memory::internal {

inline constexpr size_t small_limit = 16384;
inline constexpr unsigned nr_size_classes = 36;
inline constexpr size_t class_page_size = 4096;

constexpr std::array<uint32_t, nr_size_classes> make_class_sizes() {
    std::array<uint32_t, nr_size_classes> s{};
    unsigned i = 0;
    for (uint32_t v = 16; v <= 128; v += 16) {
        s[i++] = v;
    }
    for (uint32_t base = 128; base < small_limit; base *= 2) {
        for (uint32_t q = 1; q <= 4; ++q) {
            s[i++] = base + base / 4 * q;
        }
    }
    return s;
}

inline constexpr std::array<uint32_t, nr_size_classes> class_size = make_class_sizes();
static_assert(class_size[nr_size_classes - 1] == small_limit);
static_assert(class_size[7] == 128 && class_size[8] == 160);

// Index by (size + 15) / 16, for sizes 0..small_limit.
inline constexpr size_t class_table_entries = small_limit / 16 + 1;

constexpr std::array<uint8_t, class_table_entries> make_class_table() {
    std::array<uint8_t, class_table_entries> t{};
    unsigned c = 0;
    for (size_t i = 0; i < class_table_entries; ++i) {
        size_t bytes = i * 16;
        while (class_size[c] < bytes) {
            ++c;
        }
        t[i] = uint8_t(c);
    }
    return t;
}

inline constexpr std::array<uint8_t, class_table_entries> class_table = make_class_table();

// Class of a request of `size` bytes; size must be <= small_limit.
constexpr unsigned size_class_of(size_t size) noexcept {
    return class_table[(size + 15) >> 4];
}

// Pages in one span of class c: room for about 128 objects, at most 64 pages (so at least
// 64 objects up to 4 KiB). A burst of a few dozen allocations and frees then stays on the
// class's current span, whose freed objects come straight back to the allocation fast path,
// and cross-shard returns splice long runs into one span at a time.
constexpr std::array<uint32_t, nr_size_classes> make_class_pages() {
    std::array<uint32_t, nr_size_classes> p{};
    for (unsigned c = 0; c < nr_size_classes; ++c) {
        size_t want = size_t(class_size[c]) * 128;
        size_t pages = (want + class_page_size - 1) / class_page_size;
        p[c] = uint32_t(pages < 1 ? 1 : (pages > 64 ? 64 : pages));
    }
    return p;
}

inline constexpr std::array<uint32_t, nr_size_classes> class_pages = make_class_pages();

} // namespace seastar::memory::internal
