// Network byte order helpers for the native stack: converting 16/32-bit
// values between host and network order, and reading/writing big-endian
// fields at a byte pointer (no alignment needed, no aliasing rules broken).
//
// Contract: pure functions, any thread, no allocation, never throw. Callers
// guarantee that the pointer has room for the field.
//
//     uint16_t proto = seastar::net::read_be<uint16_t>(frame + 12);
//     seastar::net::write_be<uint16_t>(frame + 12, 0x0800);
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace seastar::net {

template <typename T>
    requires std::is_unsigned_v<T>
constexpr T hton(T v) noexcept {
    if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) {
        if constexpr (sizeof(T) == 2) {
            return T(__builtin_bswap16(v));
        } else if constexpr (sizeof(T) == 4) {
            return T(__builtin_bswap32(v));
        } else {
            return T(__builtin_bswap64(v));
        }
    } else {
        return v;
    }
}

template <typename T>
    requires std::is_unsigned_v<T>
constexpr T ntoh(T v) noexcept {
    return hton(v);
}

// The big-endian T stored at p, in host order.
template <typename T>
    requires std::is_unsigned_v<T>
inline T read_be(const void* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return ntoh(v);
}

// Stores host-order v at p in big-endian order.
template <typename T>
    requires std::is_unsigned_v<T>
inline void write_be(void* p, T v) noexcept {
    v = hton(v);
    std::memcpy(p, &v, sizeof(T));
}

} // namespace seastar::net
