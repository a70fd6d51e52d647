// bool_class<Tag>: a strongly typed boolean, so that a function taking
// several flags cannot have them swapped silently. Header only, no allocation.
//
//     struct stop_iteration_tag {};
//     using stop_iteration = seastar::bool_class<stop_iteration_tag>;
//     stop_iteration s = stop_iteration::yes;
//     if (s) { ... }
#pragma once

namespace seastar {

template <typename Tag>
class bool_class {
    bool _value = false;

public:
    static const bool_class yes;
    static const bool_class no;

    constexpr bool_class() noexcept = default;
    constexpr explicit bool_class(bool v) noexcept : _value(v) {}

    constexpr explicit operator bool() const noexcept { return _value; }
    constexpr bool_class operator!() const noexcept { return bool_class(!_value); }
    friend constexpr bool operator==(bool_class a, bool_class b) noexcept { return a._value == b._value; }
    friend constexpr bool_class operator||(bool_class a, bool_class b) noexcept { return bool_class(a._value || b._value); }
    friend constexpr bool_class operator&&(bool_class a, bool_class b) noexcept { return bool_class(a._value && b._value); }
};

template <typename Tag>
constexpr bool_class<Tag> bool_class<Tag>::yes{true};
template <typename Tag>
constexpr bool_class<Tag> bool_class<Tag>::no{false};

} // namespace seastar
