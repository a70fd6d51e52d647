// optimized_optional<T>: an optional that costs nothing over T, for types that already
// have an "empty" state (a default-constructed T that converts to false, like a smart
// pointer or a noncopyable_function).
//
// Contract: T is default-constructible, nothrow move-assignable, and bool(T()) is false;
// a held T that converts to false reads as disengaged. Dereferencing a disengaged one is
// undefined, as with std::optional::operator*.
//
//     seastar::optimized_optional<std::unique_ptr<conn>> c;   // sizeof == sizeof(unique_ptr)
//     c = std::make_unique<conn>();
//     if (c) { (*c)->send(); }
//     c = std::nullopt;
#pragma once

#include <optional>
#include <ostream>
#include <type_traits>
#include <utility>

namespace seastar {

template <typename T>
concept OptimizableOptional =
    std::is_default_constructible_v<T> && std::is_nothrow_move_assignable_v<T> && requires(const T& obj) {
        { bool(obj) } noexcept;
    };

template <OptimizableOptional T>
class optimized_optional {
    T _object;

public:
    optimized_optional() = default;
    optimized_optional(std::nullopt_t) noexcept {}
    optimized_optional(const T& obj) : _object(obj) {}
    optimized_optional(T&& obj) noexcept : _object(std::move(obj)) {}
    optimized_optional(std::optional<T>&& obj) noexcept {
        if (obj) {
            _object = std::move(*obj);
        }
    }
    optimized_optional(const optimized_optional&) = default;
    optimized_optional(optimized_optional&&) = default;

    optimized_optional& operator=(std::nullopt_t) noexcept {
        _object = T();
        return *this;
    }
    template <typename U>
        requires std::is_same_v<std::decay_t<U>, T>
    optimized_optional& operator=(U&& obj) noexcept {
        _object = std::forward<U>(obj);
        return *this;
    }
    optimized_optional& operator=(const optimized_optional&) = default;
    optimized_optional& operator=(optimized_optional&&) = default;

    explicit operator bool() const noexcept { return bool(_object); }
    bool has_value() const noexcept { return bool(_object); }

    T* operator->() noexcept { return &_object; }
    const T* operator->() const noexcept { return &_object; }
    T& operator*() noexcept { return _object; }
    const T& operator*() const noexcept { return _object; }

    bool operator==(const optimized_optional& other) const { return _object == other._object; }
    bool operator==(std::nullopt_t) const noexcept { return !bool(_object); }

    friend std::ostream& operator<<(std::ostream& out, const optimized_optional& opt)
        requires requires(std::ostream& o, const T& t) { o << t; }
    {
        if (!opt) {
            return out << "null";
        }
        return out << *opt;
    }
};

} // namespace seastar
