// Reference-counted pointers for one shard: lw_shared_ptr and shared_ptr.
//
// Both count references with plain (non-atomic) integers: a pointer and every copy of it
// must stay on the shard that created it (send it elsewhere through foreign_ptr).
//
// - lw_shared_ptr<T> ("lightweight"): one allocation holding the count and the object, no
//   virtual destructor, no conversion to a base class. make_lw_shared<T>(args...) builds
//   one; a T that derives from enable_lw_shared_from_this<T> carries the count itself and
//   may call shared_from_this().
// - shared_ptr<T>: like std::shared_ptr without atomics or weak counts: converts to a base
//   (shared_ptr<Base>), supports static/dynamic/const_pointer_cast, and
//   enable_shared_from_this<T>. make_shared<T>(args...) builds one.
//
// Contract: construction through make_* may throw std::bad_alloc or what T's constructor
// throws (nothing leaks); copying, moving and destroying never throw (T's destructor
// must not). A null pointer compares equal to nullptr; dereferencing one is undefined.
//
//     auto p = seastar::make_lw_shared<std::vector<int>>(3, 7);
//     auto q = p;                         // p.use_count() == 2
//     seastar::shared_ptr<base> b = seastar::make_shared<derived>();
//     auto d = seastar::dynamic_pointer_cast<derived>(b);
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <type_traits>
#include <utility>

namespace seastar {

template <typename T>
class lw_shared_ptr;
template <typename T>
class shared_ptr;
template <typename T>
class enable_lw_shared_from_this;
template <typename T>
class enable_shared_from_this;

template <typename T, typename... A>
lw_shared_ptr<T> make_lw_shared(A&&... a);
template <typename T>
lw_shared_ptr<T> make_lw_shared(T&& a);
template <typename T>
lw_shared_ptr<T> make_lw_shared(T& a);
template <typename T, typename... A>
shared_ptr<T> make_shared(A&&... a);

// ---- lw_shared_ptr ----

// The count, and how to destroy the object it counts. An object that derives from
// enable_lw_shared_from_this<T> is its own count; any other T lives in lw_shared_ptr_no_esft.
struct lw_shared_ptr_counter_base {
    long _count = 0;
};

namespace internal {

template <typename T>
struct lw_shared_ptr_no_esft : public lw_shared_ptr_counter_base {
    T _value;

    template <typename... A>
    explicit lw_shared_ptr_no_esft(A&&... a) : _value(std::forward<A>(a)...) {}
};

template <typename T>
constexpr bool lw_has_esft =
    std::is_base_of_v<enable_lw_shared_from_this<std::remove_const_t<T>>, std::remove_const_t<T>>;

// The accessors that let lw_shared_ptr find the object and the count in either layout.
template <typename T, bool Esft = lw_has_esft<T>>
struct lw_shared_ptr_accessors;

template <typename T>
struct lw_shared_ptr_accessors<T, true> {
    using concrete = std::remove_const_t<T>;
    static T* to_value(lw_shared_ptr_counter_base* c) noexcept { return static_cast<concrete*>(c); }
    static void dispose(lw_shared_ptr_counter_base* c) noexcept { delete static_cast<concrete*>(c); }
    static lw_shared_ptr_counter_base* to_counter(T* v) noexcept { return const_cast<concrete*>(v); }
};

template <typename T>
struct lw_shared_ptr_accessors<T, false> {
    using concrete = lw_shared_ptr_no_esft<std::remove_const_t<T>>;
    static T* to_value(lw_shared_ptr_counter_base* c) noexcept { return &static_cast<concrete*>(c)->_value; }
    static void dispose(lw_shared_ptr_counter_base* c) noexcept { delete static_cast<concrete*>(c); }
};

} // namespace internal

// Derive T from this to keep the count inside T and to get shared_from_this().
template <typename T>
class enable_lw_shared_from_this : private lw_shared_ptr_counter_base {
    template <typename U, bool>
    friend struct internal::lw_shared_ptr_accessors;
    template <typename U>
    friend class lw_shared_ptr;

protected:
    enable_lw_shared_from_this() noexcept = default;
    enable_lw_shared_from_this(enable_lw_shared_from_this&&) noexcept {}
    enable_lw_shared_from_this(const enable_lw_shared_from_this&) noexcept {}
    enable_lw_shared_from_this& operator=(const enable_lw_shared_from_this&) noexcept { return *this; }
    enable_lw_shared_from_this& operator=(enable_lw_shared_from_this&&) noexcept { return *this; }

public:
    // A new reference to this object, which must be owned by an lw_shared_ptr.
    lw_shared_ptr<T> shared_from_this() noexcept;
    lw_shared_ptr<const T> shared_from_this() const noexcept;
    long use_count() const noexcept { return _count; }
};

template <typename T>
class lw_shared_ptr {
    using accessors = internal::lw_shared_ptr_accessors<T>;
    lw_shared_ptr_counter_base* _p = nullptr;

    explicit lw_shared_ptr(lw_shared_ptr_counter_base* p) noexcept : _p(p) {
        if (_p) {
            ++_p->_count;
        }
    }

    template <typename U, typename... A>
    friend lw_shared_ptr<U> make_lw_shared(A&&... a);
    template <typename U>
    friend lw_shared_ptr<U> make_lw_shared(U&& a);
    template <typename U>
    friend lw_shared_ptr<U> make_lw_shared(U& a);
    template <typename U>
    friend class enable_lw_shared_from_this;
    template <typename U>
    friend class lw_shared_ptr;

    template <typename... A>
    static lw_shared_ptr make(A&&... a) {
        using concrete = typename accessors::concrete;
        auto* p = new concrete(std::forward<A>(a)...);
        return lw_shared_ptr(static_cast<lw_shared_ptr_counter_base*>(p));
    }

public:
    using element_type = T;

    lw_shared_ptr() noexcept = default;
    lw_shared_ptr(std::nullptr_t) noexcept {}
    lw_shared_ptr(const lw_shared_ptr& x) noexcept : _p(x._p) {
        if (_p) {
            ++_p->_count;
        }
    }
    lw_shared_ptr(lw_shared_ptr&& x) noexcept : _p(std::exchange(x._p, nullptr)) {}
    // lw_shared_ptr<const T> from lw_shared_ptr<T>.
    template <typename U>
        requires std::is_same_v<T, const U>
    lw_shared_ptr(const lw_shared_ptr<U>& x) noexcept : lw_shared_ptr(x._p) {}
    template <typename U>
        requires std::is_same_v<T, const U>
    lw_shared_ptr(lw_shared_ptr<U>&& x) noexcept : _p(std::exchange(x._p, nullptr)) {}
    ~lw_shared_ptr() noexcept {
        if (_p && --_p->_count == 0) {
            accessors::dispose(_p);
        }
    }

    lw_shared_ptr& operator=(const lw_shared_ptr& x) noexcept {
        if (_p != x._p) {
            lw_shared_ptr tmp(x);
            std::swap(_p, tmp._p);
        }
        return *this;
    }
    lw_shared_ptr& operator=(lw_shared_ptr&& x) noexcept {
        if (this != &x) {
            lw_shared_ptr tmp(std::move(x));
            std::swap(_p, tmp._p);
        }
        return *this;
    }
    lw_shared_ptr& operator=(std::nullptr_t) noexcept { return *this = lw_shared_ptr(); }

    T* get() const noexcept { return _p ? accessors::to_value(_p) : nullptr; }
    T& operator*() const noexcept { return *get(); }
    T* operator->() const noexcept { return get(); }
    explicit operator bool() const noexcept { return _p != nullptr; }
    long use_count() const noexcept { return _p ? _p->_count : 0; }
    bool owned() const noexcept { return _p && _p->_count == 1; }

    // Turns an lw_shared_ptr<T> into an lw_shared_ptr<const T>.
    operator lw_shared_ptr<const T>() const noexcept
        requires(!std::is_const_v<T>)
    {
        return lw_shared_ptr<const T>(_p);
    }

    friend bool operator==(const lw_shared_ptr& a, const lw_shared_ptr& b) noexcept { return a._p == b._p; }
    friend bool operator==(const lw_shared_ptr& a, std::nullptr_t) noexcept { return !a._p; }
};

template <typename T>
lw_shared_ptr<T> enable_lw_shared_from_this<T>::shared_from_this() noexcept {
    return lw_shared_ptr<T>(static_cast<lw_shared_ptr_counter_base*>(this));
}

template <typename T>
lw_shared_ptr<const T> enable_lw_shared_from_this<T>::shared_from_this() const noexcept {
    auto* self = const_cast<enable_lw_shared_from_this*>(this);
    return lw_shared_ptr<const T>(static_cast<lw_shared_ptr_counter_base*>(self));
}

// Allocates one block holding T(args...) and its count.
template <typename T, typename... A>
lw_shared_ptr<T> make_lw_shared(A&&... a) {
    return lw_shared_ptr<T>::make(std::forward<A>(a)...);
}

template <typename T>
lw_shared_ptr<T> make_lw_shared(T&& a) {
    return lw_shared_ptr<T>::make(std::move(a));
}

template <typename T>
lw_shared_ptr<T> make_lw_shared(T& a) {
    return lw_shared_ptr<T>::make(a);
}

// ---- shared_ptr ----

// The count of a shared_ptr, with a virtual destructor so the last owner (whatever
// pointer type it holds) destroys the right object.
struct shared_ptr_count_base {
    virtual ~shared_ptr_count_base() = default;
    long _count = 0;
};

namespace internal {
template <typename X>
shared_ptr_count_base* esft_count(enable_shared_from_this<X>* p) noexcept;

template <typename T>
struct shared_ptr_count_for final : shared_ptr_count_base {
    T _data;
    template <typename... A>
    explicit shared_ptr_count_for(A&&... a) : _data(std::forward<A>(a)...) {}
};
} // namespace internal

// Derive T from this to keep the count inside T and to get shared_from_this().
template <typename T>
class enable_shared_from_this : private shared_ptr_count_base {
    template <typename U>
    friend class shared_ptr;
    template <typename X>
    friend shared_ptr_count_base* internal::esft_count(enable_shared_from_this<X>* p) noexcept;

protected:
    enable_shared_from_this() noexcept = default;
    enable_shared_from_this(const enable_shared_from_this&) noexcept {}
    enable_shared_from_this(enable_shared_from_this&&) noexcept {}
    enable_shared_from_this& operator=(const enable_shared_from_this&) noexcept { return *this; }
    enable_shared_from_this& operator=(enable_shared_from_this&&) noexcept { return *this; }

public:
    ~enable_shared_from_this() override = default;
    // A new reference to this object, which must be owned by a shared_ptr.
    shared_ptr<T> shared_from_this() noexcept;
    shared_ptr<const T> shared_from_this() const noexcept;
    long use_count() const noexcept { return _count; }
};

template <typename T>
class shared_ptr {
    shared_ptr_count_base* _b = nullptr;
    T* _p = nullptr;

    shared_ptr(shared_ptr_count_base* b, T* p) noexcept : _b(b), _p(p) {
        if (_b) {
            ++_b->_count;
        }
    }

    template <typename U>
    friend class shared_ptr;
    template <typename U>
    friend class enable_shared_from_this;
    template <typename U, typename... A>
    friend shared_ptr<U> make_shared(A&&... a);
    template <typename U, typename V>
    friend shared_ptr<U> static_pointer_cast(const shared_ptr<V>& p) noexcept;
    template <typename U, typename V>
    friend shared_ptr<U> dynamic_pointer_cast(const shared_ptr<V>& p) noexcept;
    template <typename U, typename V>
    friend shared_ptr<U> const_pointer_cast(const shared_ptr<V>& p) noexcept;

public:
    using element_type = T;

    shared_ptr() noexcept = default;
    shared_ptr(std::nullptr_t) noexcept {}
    shared_ptr(const shared_ptr& x) noexcept : shared_ptr(x._b, x._p) {}
    shared_ptr(shared_ptr&& x) noexcept : _b(std::exchange(x._b, nullptr)), _p(std::exchange(x._p, nullptr)) {}
    // shared_ptr<Base> from shared_ptr<Derived> (and T from U whenever U* converts to T*).
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    shared_ptr(const shared_ptr<U>& x) noexcept : shared_ptr(x._b, x._p) {}
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    shared_ptr(shared_ptr<U>&& x) noexcept : _b(std::exchange(x._b, nullptr)), _p(std::exchange(x._p, nullptr)) {}
    ~shared_ptr() noexcept {
        if (_b && --_b->_count == 0) {
            delete _b;
        }
    }

    shared_ptr& operator=(const shared_ptr& x) noexcept {
        if (this != &x) {
            shared_ptr tmp(x);
            swap(tmp);
        }
        return *this;
    }
    shared_ptr& operator=(shared_ptr&& x) noexcept {
        if (this != &x) {
            shared_ptr tmp(std::move(x));
            swap(tmp);
        }
        return *this;
    }
    shared_ptr& operator=(std::nullptr_t) noexcept { return *this = shared_ptr(); }
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    shared_ptr& operator=(shared_ptr<U>&& x) noexcept {
        shared_ptr tmp(std::move(x));
        swap(tmp);
        return *this;
    }
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    shared_ptr& operator=(const shared_ptr<U>& x) noexcept {
        shared_ptr tmp(x);
        swap(tmp);
        return *this;
    }

    void swap(shared_ptr& x) noexcept {
        std::swap(_b, x._b);
        std::swap(_p, x._p);
    }

    T* get() const noexcept { return _p; }
    T& operator*() const noexcept { return *_p; }
    T* operator->() const noexcept { return _p; }
    explicit operator bool() const noexcept { return _p != nullptr; }
    long use_count() const noexcept { return _b ? _b->_count : 0; }

    template <typename U>
    friend bool operator==(const shared_ptr& a, const shared_ptr<U>& b) noexcept {
        return a.get() == b.get();
    }
    friend bool operator==(const shared_ptr& a, std::nullptr_t) noexcept { return !a._p; }
    template <typename U>
    friend auto operator<=>(const shared_ptr& a, const shared_ptr<U>& b) noexcept {
        return std::compare_three_way()(a.get(), b.get());
    }
};

template <typename T>
shared_ptr<T> enable_shared_from_this<T>::shared_from_this() noexcept {
    return shared_ptr<T>(static_cast<shared_ptr_count_base*>(this), static_cast<T*>(this));
}

template <typename T>
shared_ptr<const T> enable_shared_from_this<T>::shared_from_this() const noexcept {
    auto* self = const_cast<enable_shared_from_this*>(this);
    return shared_ptr<const T>(static_cast<shared_ptr_count_base*>(self), static_cast<const T*>(this));
}

namespace internal {
template <typename X>
shared_ptr_count_base* esft_count(enable_shared_from_this<X>* p) noexcept {
    return p;
}
} // namespace internal

// Allocates one block holding T(args...) and its count (T's own, when T or a base of T
// derives from enable_shared_from_this).
template <typename T, typename... A>
shared_ptr<T> make_shared(A&&... a) {
    if constexpr (std::is_base_of_v<shared_ptr_count_base, T>) {
        auto* p = new T(std::forward<A>(a)...);
        return shared_ptr<T>(internal::esft_count(p), p);
    } else {
        auto* b = new internal::shared_ptr_count_for<T>(std::forward<A>(a)...);
        return shared_ptr<T>(b, &b->_data);
    }
}

template <typename T>
shared_ptr<T> make_shared(T&& a) {
    return make_shared<T, T>(std::move(a));
}

template <typename T, typename U>
shared_ptr<T> static_pointer_cast(const shared_ptr<U>& p) noexcept {
    return shared_ptr<T>(p._b, static_cast<T*>(p._p));
}

// A null pointer when the object is not a T.
template <typename T, typename U>
shared_ptr<T> dynamic_pointer_cast(const shared_ptr<U>& p) noexcept {
    auto* q = dynamic_cast<T*>(p._p);
    return q ? shared_ptr<T>(p._b, q) : shared_ptr<T>();
}

template <typename T, typename U>
shared_ptr<T> const_pointer_cast(const shared_ptr<U>& p) noexcept {
    return shared_ptr<T>(p._b, const_cast<T*>(p._p));
}

namespace internal {
template <typename T>
concept streamable = requires(std::ostream& os, const T& t) { os << t; };
} // namespace internal

// Prints the object (or "null"), when the object itself can be printed.
template <internal::streamable T>
std::ostream& operator<<(std::ostream& os, const lw_shared_ptr<T>& p) {
    if (!p) {
        return os << "null";
    }
    return os << *p;
}

template <internal::streamable T>
std::ostream& operator<<(std::ostream& os, const shared_ptr<T>& p) {
    if (!p) {
        return os << "null";
    }
    return os << *p;
}

// Compare and hash by the objects' values, for containers keyed by what the pointers point to.
template <typename T>
struct shared_ptr_equal_by_value {
    bool operator()(const shared_ptr<T>& a, const shared_ptr<T>& b) const {
        return a && b ? *a == *b : bool(a) == bool(b);
    }
};

template <typename T>
struct shared_ptr_value_hash {
    size_t operator()(const shared_ptr<T>& p) const { return p ? std::hash<T>()(*p) : 0; }
};

} // namespace seastar

template <typename T>
struct std::hash<seastar::lw_shared_ptr<T>> {
    size_t operator()(const seastar::lw_shared_ptr<T>& p) const noexcept { return std::hash<T*>()(p.get()); }
};

template <typename T>
struct std::hash<seastar::shared_ptr<T>> {
    size_t operator()(const seastar::shared_ptr<T>& p) const noexcept { return std::hash<T*>()(p.get()); }
};
