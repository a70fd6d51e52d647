// Byte units: KB, MB, GB (binary: 1024-based, as Seastar) and the literals' constants.
//
//     std::vector<char> buf(64 * seastar::KB);
#pragma once

#include <cstddef>

namespace seastar {

inline constexpr size_t KB = 1 << 10;
inline constexpr size_t MB = 1 << 20;
inline constexpr size_t GB = 1 << 30;

inline constexpr size_t operator""_KiB(unsigned long long n) {
    return n << 10;
}
inline constexpr size_t operator""_MiB(unsigned long long n) {
    return n << 20;
}
inline constexpr size_t operator""_GiB(unsigned long long n) {
    return n << 30;
}
inline constexpr size_t operator""_TiB(unsigned long long n) {
    return n << 40;
}

} // namespace seastar
