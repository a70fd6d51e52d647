// Bit tricks on unsigned integers: count_leading_zeros, count_trailing_zeros, log2ceil,
// log2floor. Header only, constexpr, no allocation.
//
// Contract: count_*_zeros(0) and log2*(0) are undefined (as __builtin_clz), so callers
// check for zero first; log2ceil(1) == 0.
//
//     seastar::log2ceil(1000u) == 10;  seastar::log2floor(1000u) == 9;
//     seastar::count_trailing_zeros(8u) == 3;
#pragma once

#include <limits>
#include <type_traits>

namespace seastar {

inline constexpr unsigned count_leading_zeros(unsigned x) noexcept {
    return __builtin_clz(x);
}
inline constexpr unsigned count_leading_zeros(unsigned long x) noexcept {
    return __builtin_clzl(x);
}
inline constexpr unsigned count_leading_zeros(unsigned long long x) noexcept {
    return __builtin_clzll(x);
}
inline constexpr unsigned count_leading_zeros(int x) noexcept {
    return __builtin_clz(unsigned(x));
}
inline constexpr unsigned count_leading_zeros(long x) noexcept {
    return __builtin_clzl((unsigned long)x);
}
inline constexpr unsigned count_leading_zeros(long long x) noexcept {
    return __builtin_clzll((unsigned long long)x);
}

inline constexpr unsigned count_trailing_zeros(unsigned x) noexcept {
    return __builtin_ctz(x);
}
inline constexpr unsigned count_trailing_zeros(unsigned long x) noexcept {
    return __builtin_ctzl(x);
}
inline constexpr unsigned count_trailing_zeros(unsigned long long x) noexcept {
    return __builtin_ctzll(x);
}
inline constexpr unsigned count_trailing_zeros(int x) noexcept {
    return __builtin_ctz(unsigned(x));
}
inline constexpr unsigned count_trailing_zeros(long x) noexcept {
    return __builtin_ctzl((unsigned long)x);
}
inline constexpr unsigned count_trailing_zeros(long long x) noexcept {
    return __builtin_ctzll((unsigned long long)x);
}

namespace internal {
// The unsigned type the bit counts work on: at least unsigned int (narrower types widen).
template <typename T>
using bitops_word = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
} // namespace internal

// The smallest k with 2^k >= n.
template <typename T>
    requires std::is_integral_v<T>
inline constexpr unsigned log2ceil(T n) noexcept {
    using U = internal::bitops_word<T>;
    if (n == 1) {
        return 0;
    }
    return std::numeric_limits<U>::digits - count_leading_zeros(U(n - 1));
}

// The largest k with 2^k <= n.
template <typename T>
    requires std::is_integral_v<T>
inline constexpr unsigned log2floor(T n) noexcept {
    using U = internal::bitops_word<T>;
    return std::numeric_limits<U>::digits - count_leading_zeros(U(n)) - 1;
}

} // namespace seastar
