// checked_ptr<Ptr>: a pointer wrapper whose dereference checks for null and throws
// (or runs a chosen action) instead of crashing.
//
// Ptr is any pointer-like type (T*, std::unique_ptr<T>, lw_shared_ptr<T>, ...). get()
// returns the raw pointer without a check; operator-> and operator* check, and on null
// call NullDerefAction, which by default throws checked_ptr_is_null_exception.
//
//     seastar::checked_ptr<seastar::lw_shared_ptr<conn>> c = find(...);
//     c->send();   // throws checked_ptr_is_null_exception when find() found nothing
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace seastar {

class checked_ptr_is_null_exception : public std::exception {
public:
    const char* what() const noexcept override { return "dereferenced a null checked_ptr"; }
};

struct default_null_deref_action {
    [[noreturn]] void operator()() const { throw checked_ptr_is_null_exception(); }
};

namespace internal {
template <typename T>
T* checked_ptr_do_get(T* p) noexcept {
    return p;
}
template <typename Ptr>
auto checked_ptr_do_get(const Ptr& p) noexcept -> decltype(p.get()) {
    return p.get();
}
} // namespace internal

template <typename Ptr, typename NullDerefAction = default_null_deref_action>
class checked_ptr {
public:
    using pointer = decltype(internal::checked_ptr_do_get(std::declval<const Ptr&>()));
    using element_type = std::remove_pointer_t<pointer>;

private:
    Ptr _ptr = nullptr;

    pointer checked() const {
        pointer p = internal::checked_ptr_do_get(_ptr);
        if (!p) {
            NullDerefAction()();
        }
        return p;
    }

public:
    checked_ptr() noexcept(noexcept(Ptr(nullptr))) = default;
    checked_ptr(std::nullptr_t) noexcept(noexcept(Ptr(nullptr))) : checked_ptr() {}
    checked_ptr(Ptr&& p) noexcept(std::is_nothrow_move_constructible_v<Ptr>) : _ptr(std::move(p)) {}
    checked_ptr(const Ptr& p) noexcept(std::is_nothrow_copy_constructible_v<Ptr>) : _ptr(p) {}

    // The raw pointer, possibly null.
    pointer get() const noexcept { return internal::checked_ptr_do_get(_ptr); }
    // The wrapped pointer object itself.
    const Ptr& ptr() const noexcept { return _ptr; }
    Ptr& ptr() noexcept { return _ptr; }

    pointer operator->() const { return checked(); }
    element_type& operator*() const { return *checked(); }
    explicit operator bool() const noexcept { return get() != nullptr; }

    bool operator==(const checked_ptr& o) const noexcept { return get() == o.get(); }
    bool operator==(std::nullptr_t) const noexcept { return get() == nullptr; }

    size_t hash() const noexcept { return std::hash<pointer>()(get()); }
};

} // namespace seastar

template <typename Ptr, typename Action>
struct std::hash<seastar::checked_ptr<Ptr, Action>> {
    size_t operator()(const seastar::checked_ptr<Ptr, Action>& p) const noexcept { return p.hash(); }
};
