// deleter: type-erased, reference-counted ownership of the memory behind a
// buffer (temporary_buffer, net::packet), so bytes can be handed along a
// pipeline without copying and released exactly once, by whoever lets go last.
//
// A deleter is a (possibly empty) chain of actions. Destroying the last
// reference to a link runs its action and then lets go of the next link, so a
// chain built with make_deleter(next, f) runs f before next's action.
//
// Contract:
//   * One thread (shard): reference counts are plain integers. Moving bytes to
//     another shard needs that shard to release them on the owner's behalf.
//   * Allocation: make_free_deleter(p) with no next link allocates nothing
//     (the pointer is tagged and stored in place). Every other make_* and
//     share() of such a deleter allocates one small node; allocation failure
//     throws std::bad_alloc. Destruction never throws: an action that throws
//     terminates (actions are run from noexcept destructors).
//   * share() returns another reference to the same chain; the actions run
//     once, when the last reference is destroyed.
//   * append(d) makes d run after every action already in this chain.
//
// Example:
//
//     char* p = static_cast<char*>(std::malloc(64));
//     seastar::deleter d = seastar::make_free_deleter(p);     // frees p
//     seastar::deleter d2 = d.share();                         // same chain
//     d.append(seastar::make_deleter([] { std::puts("done"); }));
//     // p is freed and "done" printed once, when both d and d2 are gone.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace seastar {

class deleter final {
public:
    // A link of the chain. User code normally builds links with make_deleter()
    // and make_object_deleter(); a custom impl may be derived for special needs.
    struct impl;
    struct raw_object_tag {};

private:
    // Either nullptr, a pointer to an impl, or (low bit set) a malloc()ed
    // object to free(): the common "owns one malloc block" case costs no node.
    impl* _impl = nullptr;

public:
    deleter() noexcept = default;
    deleter(const deleter&) = delete;
    deleter& operator=(const deleter&) = delete;
    deleter(deleter&& x) noexcept : _impl(std::exchange(x._impl, nullptr)) {}
    explicit deleter(impl* i) noexcept : _impl(i) {}
    deleter(raw_object_tag, void* object) noexcept : _impl(from_raw_object(object)) {}
    ~deleter();
    deleter& operator=(deleter&& x) noexcept {
        if (this != &x) {
            this->~deleter();
            new (this) deleter(std::move(x));
        }
        return *this;
    }

    // Another reference to the same chain (allocates once if this deleter is a
    // tagged raw object). An empty deleter shares as an empty deleter.
    deleter share();
    // Makes `d` run after the actions of this chain. When a link of this chain
    // is shared with other deleters, d is attached to this reference only (the
    // shared part is not modified), so other holders are unaffected.
    void append(deleter d);
    // Runs this reference's release now and takes `i` instead.
    void reset(impl* i) noexcept {
        this->~deleter();
        new (this) deleter(i);
    }
    explicit operator bool() const noexcept { return _impl != nullptr; }

private:
    static bool is_raw_object(impl* i) noexcept { return reinterpret_cast<std::uintptr_t>(i) & 1; }
    bool is_raw_object() const noexcept { return is_raw_object(_impl); }
    static void* to_raw_object(impl* i) noexcept {
        return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(i) & ~std::uintptr_t(1));
    }
    static impl* from_raw_object(void* object) noexcept {
        // malloc() alignment guarantees the low bit is free.
        assert((reinterpret_cast<std::uintptr_t>(object) & 1) == 0);
        return reinterpret_cast<impl*>(reinterpret_cast<std::uintptr_t>(object) | 1);
    }
};

struct deleter::impl {
    unsigned refs = 1;
    deleter next;
    explicit impl(deleter next_) noexcept : next(std::move(next_)) {}
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    virtual ~impl() = default;
};

inline deleter::~deleter() {
    if (is_raw_object()) {
        std::free(to_raw_object(_impl));
        return;
    }
    if (_impl && --_impl->refs == 0) {
        delete _impl;
    }
}

namespace internal {

template <typename Deleter>
struct lambda_deleter_impl final : deleter::impl {
    Deleter del;
    lambda_deleter_impl(deleter next, Deleter&& d) : impl(std::move(next)), del(std::move(d)) {}
    // The action runs before `next` is released (members die after the body).
    ~lambda_deleter_impl() override { del(); }
};

template <typename Object>
struct object_deleter_impl final : deleter::impl {
    Object obj;
    object_deleter_impl(deleter next, Object&& o) : impl(std::move(next)), obj(std::move(o)) {}
};

struct free_deleter_impl final : deleter::impl {
    void* obj;
    free_deleter_impl(deleter next, void* o) noexcept : impl(std::move(next)), obj(o) {}
    ~free_deleter_impl() override { std::free(obj); }
};

} // namespace internal

// A deleter that runs `d()` and then releases `next`.
template <typename Deleter>
deleter make_deleter(deleter next, Deleter d) {
    return deleter(new internal::lambda_deleter_impl<Deleter>(std::move(next), std::move(d)));
}

// A deleter that runs `d()`.
template <typename Deleter>
deleter make_deleter(Deleter d) {
    return make_deleter(deleter(), std::move(d));
}

// A deleter that keeps `obj` alive (moved in) until it runs, then destroys it.
template <typename T>
deleter make_object_deleter(T&& obj) {
    return deleter(new internal::object_deleter_impl<std::remove_cvref_t<T>>(deleter(), std::forward<T>(obj)));
}

template <typename T>
deleter make_object_deleter(deleter next, T&& obj) {
    return deleter(new internal::object_deleter_impl<std::remove_cvref_t<T>>(std::move(next), std::forward<T>(obj)));
}

// A deleter that calls std::free(obj). Allocates nothing.
inline deleter make_free_deleter(void* obj) noexcept {
    if (!obj) {
        return deleter();
    }
    return deleter(deleter::raw_object_tag(), obj);
}

// A deleter that calls std::free(obj) and then releases `next`.
inline deleter make_free_deleter(deleter next, void* obj) {
    if (!next) {
        return make_free_deleter(obj);
    }
    return deleter(new internal::free_deleter_impl(std::move(next), obj));
}

inline deleter deleter::share() {
    if (!_impl) {
        return deleter();
    }
    if (is_raw_object()) {
        _impl = new internal::free_deleter_impl(deleter(), to_raw_object(_impl));
    }
    ++_impl->refs;
    return deleter(_impl);
}

inline void deleter::append(deleter d) {
    if (!d._impl) {
        return;
    }
    impl* next_impl = _impl;
    deleter* next_d = this;
    while (next_impl) {
        if (next_impl == d._impl) {
            // Already in the chain: appending it again would release it twice.
            return;
        }
        if (is_raw_object(next_impl)) {
            next_d->_impl = next_impl = new internal::free_deleter_impl(deleter(), to_raw_object(next_impl));
        }
        if (next_impl->refs != 1) {
            // A shared link: other holders must not see `d`, so wrap our
            // reference to it in a new private link that also owns `d`.
            next_d->_impl = new internal::object_deleter_impl<deleter>(deleter(next_impl), std::move(d));
            return;
        }
        next_d = &next_impl->next;
        next_impl = next_d->_impl;
    }
    next_d->_impl = std::exchange(d._impl, nullptr);
}

} // namespace seastar
