// weak_ptr<T>: a pointer that becomes null when the object it points to is destroyed.
//
// T opts in by deriving from weakly_referencable<T>; weak_from_this() hands out weak_ptrs.
// The object keeps an intrusive list of its weak pointers and clears them in its
// destructor, so no count or allocation is involved. Single shard: a weak_ptr and its
// object must live on the same thread. Copying or moving the object does not carry its
// weak pointers along (they keep pointing at the original).
//
//     struct session : seastar::weakly_referencable<session> { ... };
//     auto s = std::make_unique<session>();
//     seastar::weak_ptr<session> w = s->weak_from_this();
//     s.reset();
//     assert(!w);
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace seastar {

template <typename T>
class weakly_referencable;

namespace internal {

// A node of an object's circular list of weak pointers; unlinked means "object gone".
struct weak_link {
    weak_link* _prev = nullptr;
    weak_link* _next = nullptr;

    bool linked() const noexcept { return _next != nullptr; }
    void link_after(weak_link& head) noexcept {
        _prev = &head;
        _next = head._next;
        head._next->_prev = this;
        head._next = this;
    }
    void unlink() noexcept {
        if (linked()) {
            _prev->_next = _next;
            _next->_prev = _prev;
            _prev = _next = nullptr;
        }
    }
    // Takes x's place in its list (x ends unlinked).
    void replace(weak_link& x) noexcept {
        if (x.linked()) {
            _prev = x._prev;
            _next = x._next;
            _prev->_next = this;
            _next->_prev = this;
            x._prev = x._next = nullptr;
        }
    }
};

} // namespace internal

template <typename T>
class weak_ptr {
    template <typename U>
    friend class weakly_referencable;
    template <typename U>
    friend class weak_ptr;

    internal::weak_link _link;
    T* _ptr = nullptr;

    void attach(internal::weak_link& head, T* p) noexcept {
        _ptr = p;
        _link.link_after(head);
    }

public:
    using element_type = T;

    weak_ptr() noexcept = default;
    weak_ptr(std::nullptr_t) noexcept {}
    weak_ptr(weak_ptr&& o) noexcept : _ptr(o._ptr) { _link.replace(o._link); }
    weak_ptr(const weak_ptr& o) noexcept : _ptr(o._ptr) {
        if (o._link.linked()) {
            _link.link_after(*o._link._prev);
        }
    }
    // weak_ptr<Base> from weak_ptr<Derived>.
    template <typename U>
        requires(std::is_convertible_v<U*, T*> && !std::is_same_v<U, T>)
    weak_ptr(weak_ptr<U>&& o) noexcept : _ptr(o._ptr) {
        _link.replace(o._link);
    }
    ~weak_ptr() noexcept { _link.unlink(); }

    weak_ptr& operator=(weak_ptr&& o) noexcept {
        if (this != &o) {
            _link.unlink();
            _ptr = o._ptr;
            _link.replace(o._link);
        }
        return *this;
    }
    weak_ptr& operator=(const weak_ptr& o) noexcept {
        if (this != &o) {
            weak_ptr tmp(o);
            *this = std::move(tmp);
        }
        return *this;
    }

    // The object, or nullptr once it was destroyed (or if this pointer is empty).
    T* get() const noexcept { return _link.linked() ? _ptr : nullptr; }
    explicit operator bool() const noexcept { return _link.linked(); }
    T* operator->() const noexcept { return get(); }
    T& operator*() const noexcept { return *get(); }

    bool operator==(const weak_ptr& o) const noexcept { return get() == o.get(); }
};

template <typename T>
class weakly_referencable {
    mutable internal::weak_link _head;

    void init() noexcept { _head._prev = _head._next = &_head; }

public:
    weakly_referencable() noexcept { init(); }
    // A copied or moved-to object starts with no weak pointers.
    weakly_referencable(const weakly_referencable&) noexcept { init(); }
    weakly_referencable(weakly_referencable&&) noexcept { init(); }
    weakly_referencable& operator=(const weakly_referencable&) noexcept { return *this; }
    weakly_referencable& operator=(weakly_referencable&&) noexcept { return *this; }
    ~weakly_referencable() noexcept {
        while (_head._next != &_head) {
            _head._next->unlink();
        }
    }

    weak_ptr<T> weak_from_this() noexcept {
        weak_ptr<T> w;
        w.attach(_head, static_cast<T*>(this));
        return w;
    }
    weak_ptr<const T> weak_from_this() const noexcept {
        weak_ptr<const T> w;
        w.attach(_head, static_cast<const T*>(this));
        return w;
    }
};

} // namespace seastar
