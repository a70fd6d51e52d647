// cache_line_size: the size of a CPU cache line on this architecture, for alignas() of
// data written by different threads (to avoid false sharing).
//
//     struct alignas(seastar::cache_line_size) counter { std::atomic<long> v; };
#pragma once

#include <cstddef>

namespace seastar {

#if defined(__x86_64__) || defined(__i386__)
inline constexpr size_t cache_line_size = 64;
#elif defined(__s390x__) || defined(__zarch__)
inline constexpr size_t cache_line_size = 256;
#elif defined(__PPC64__)
inline constexpr size_t cache_line_size = 128;
#elif defined(__aarch64__)
inline constexpr size_t cache_line_size = 64;
#else
inline constexpr size_t cache_line_size = 64;
#endif

} // namespace seastar
