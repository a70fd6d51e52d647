// Alignment arithmetic: align_up, align_down (for integers and pointers).
//
// Contract: `align` must be a power of two (not checked). Header only, constexpr.
//
//     seastar::align_up(size_t(4097), size_t(4096)) == 8192;
//     char* p = seastar::align_down(ptr, size_t(64));
#pragma once

#include <cstddef>
#include <cstdint>

namespace seastar {

template <typename T>
inline constexpr T align_up(T v, T align) noexcept {
    return (v + align - 1) & ~(align - 1);
}

template <typename T>
inline constexpr T* align_up(T* v, size_t align) noexcept {
    static_assert(sizeof(T) == 1, "align byte pointers only");
    return reinterpret_cast<T*>(align_up(reinterpret_cast<uintptr_t>(v), uintptr_t(align)));
}

template <typename T>
inline constexpr T align_down(T v, T align) noexcept {
    return v & ~(align - 1);
}

template <typename T>
inline constexpr T* align_down(T* v, size_t align) noexcept {
    static_assert(sizeof(T) == 1, "align byte pointers only");
    return reinterpret_cast<T*>(align_down(reinterpret_cast<uintptr_t>(v), uintptr_t(align)));
}

} // namespace seastar
