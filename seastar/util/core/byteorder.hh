// Byte order conversions and reads/writes of integers in a given byte order at any
// alignment: cpu_to_le/le_to_cpu/cpu_to_be/be_to_cpu, hton/ntoh, read_le/read_be,
// write_le/write_be, and the cursor forms consume_be/consume_le (read and advance) and
// produce_be/produce_le (write and advance).
//
// Contract: T is an integral type. The pointers may be unaligned; the caller guarantees
// sizeof(T) bytes are there (nothing is bounds-checked).
//
//     const char* p = frame;
//     auto type = seastar::consume_be<uint16_t>(p);   // p advanced by 2
//     char out[4];  seastar::write_le<uint32_t>(out, 7);
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace seastar {

namespace internal {
template <typename T>
constexpr T byteswap(T v) noexcept {
    static_assert(std::is_integral_v<T>);
    if constexpr (sizeof(T) == 1) {
        return v;
    } else if constexpr (sizeof(T) == 2) {
        return T(__builtin_bswap16(uint16_t(v)));
    } else if constexpr (sizeof(T) == 4) {
        return T(__builtin_bswap32(uint32_t(v)));
    } else {
        static_assert(sizeof(T) == 8);
        return T(__builtin_bswap64(uint64_t(v)));
    }
}
} // namespace internal

template <typename T>
constexpr T cpu_to_le(T x) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        return x;
    } else {
        return internal::byteswap(x);
    }
}
template <typename T>
constexpr T le_to_cpu(T x) noexcept {
    return cpu_to_le(x);
}
template <typename T>
constexpr T cpu_to_be(T x) noexcept {
    if constexpr (std::endian::native == std::endian::big) {
        return x;
    } else {
        return internal::byteswap(x);
    }
}
template <typename T>
constexpr T be_to_cpu(T x) noexcept {
    return cpu_to_be(x);
}
template <typename T>
constexpr T hton(T x) noexcept {
    return cpu_to_be(x);
}
template <typename T>
constexpr T ntoh(T x) noexcept {
    return be_to_cpu(x);
}

template <typename T>
inline T read_le(const char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return le_to_cpu(v);
}
template <typename T>
inline void write_le(char* p, T datum) noexcept {
    datum = cpu_to_le(datum);
    std::memcpy(p, &datum, sizeof(T));
}
template <typename T>
inline T read_be(const char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return be_to_cpu(v);
}
template <typename T>
inline void write_be(char* p, T datum) noexcept {
    datum = cpu_to_be(datum);
    std::memcpy(p, &datum, sizeof(T));
}
template <typename T>
inline T consume_be(const char*& p) noexcept {
    auto r = read_be<T>(p);
    p += sizeof(T);
    return r;
}
template <typename T>
inline T consume_le(const char*& p) noexcept {
    auto r = read_le<T>(p);
    p += sizeof(T);
    return r;
}
template <typename T>
inline void produce_be(char*& p, T datum) noexcept {
    write_be<T>(p, datum);
    p += sizeof(T);
}
template <typename T>
inline void produce_le(char*& p, T datum) noexcept {
    write_le<T>(p, datum);
    p += sizeof(T);
}

} // namespace seastar
