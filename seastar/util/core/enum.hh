// enum_hash<T>: std::hash for enumerations, as used with Seastar's containers.
//
//     std::unordered_map<color, int, seastar::enum_hash<color>> counts;
#pragma once

#include <cstddef>
#include <functional>
#include <type_traits>

namespace seastar {

template <typename T>
class enum_hash {
    static_assert(std::is_enum_v<T>, "enum_hash is only for enumerations");

public:
    size_t operator()(const T& e) const noexcept {
        using utype = std::underlying_type_t<T>;
        return std::hash<utype>()(static_cast<utype>(e));
    }
};

} // namespace seastar
