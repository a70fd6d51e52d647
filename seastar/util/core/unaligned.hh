// unaligned<T>: reads and writes a T at an address that may not be aligned for T, as
// network and on-disk formats need. unaligned_cast<T*>(p) views a byte pointer as one.
//
// Contract: T is trivially copyable. Access goes through memcpy-equivalent packed loads
// and stores, so it is defined behaviour at any address.
//
//     auto* len = seastar::unaligned_cast<uint32_t>(buf + 3);
//     uint32_t n = *len;     // or: seastar::read_le<uint32_t>(buf + 3) (byteorder.hh)
#pragma once

#include <cstring>
#include <type_traits>

namespace seastar {

template <typename T>
struct unaligned {
    static_assert(std::is_trivially_copyable_v<T>);
    T raw;

    unaligned() noexcept = default;
    unaligned(T x) noexcept : raw(x) {}
    unaligned& operator=(const T& x) noexcept {
        raw = x;
        return *this;
    }
    operator T() const noexcept { return raw; }
} __attribute__((packed));

// A pointer through which a T at `p` (any alignment) can be read and written.
template <typename T, typename F>
inline auto unaligned_cast(F* p) noexcept {
    using U = std::conditional_t<std::is_const_v<F>, const unaligned<std::remove_pointer_t<T>>,
                                 unaligned<std::remove_pointer_t<T>>>;
    return reinterpret_cast<U*>(p);
}

} // namespace seastar
