#pragma once

// A move-only, type-erased `void(const std::optional<std::exception_ptr>&) noexcept`
// callable for abort_source subscriptions.
//
// Callables that are small and nothrow-movable (a lambda capturing a couple of pointers,
// which is what the sync primitives register) are stored inline, so subscribing does not
// allocate; anything bigger goes to the heap. Moving is noexcept either way, which lets a
// subscription be moved (and relinked) without a failure path.

#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace seastar::internal {

class abort_source_callback {
public:
    using arg_type = const std::optional<std::exception_ptr>&;

private:
    static constexpr size_t inline_size = 3 * sizeof(void*);
    struct vtable {
        void (*call)(void* self, arg_type ex) noexcept;
        void (*move)(void* from, void* to) noexcept; // move-constructs into `to`, destroys `from`
        void (*destroy)(void* self) noexcept;
    };
    alignas(std::max_align_t) unsigned char _storage[inline_size];
    const vtable* _vt = nullptr;

    template <typename F>
    static constexpr bool fits_inline =
        sizeof(F) <= inline_size && alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

    template <typename F>
    static void invoke(F& f, arg_type ex) noexcept {
        if constexpr (std::is_invocable_v<F&, arg_type>) {
            f(ex);
        } else {
            f();
        }
    }

    template <typename F>
    struct inline_ops {
        static F* get(void* p) noexcept { return std::launder(reinterpret_cast<F*>(p)); }
        static void call(void* self, arg_type ex) noexcept { invoke(*get(self), ex); }
        static void move(void* from, void* to) noexcept {
            new (to) F(std::move(*get(from)));
            get(from)->~F();
        }
        static void destroy(void* self) noexcept { get(self)->~F(); }
        static constexpr vtable vt{&call, &move, &destroy};
    };

    template <typename F>
    struct heap_ops {
        static F*& get(void* p) noexcept { return *std::launder(reinterpret_cast<F**>(p)); }
        static void call(void* self, arg_type ex) noexcept { invoke(*get(self), ex); }
        static void move(void* from, void* to) noexcept { new (to) F*(get(from)); }
        static void destroy(void* self) noexcept { delete get(self); }
        static constexpr vtable vt{&call, &move, &destroy};
    };

    void reset() noexcept {
        if (_vt) {
            _vt->destroy(_storage);
            _vt = nullptr;
        }
    }

public:
    abort_source_callback() noexcept = default;

    // May throw std::bad_alloc for a callable too big to be stored inline.
    template <typename Func, typename F = std::decay_t<Func>>
        requires(!std::is_same_v<F, abort_source_callback>)
    explicit abort_source_callback(Func&& f) {
        if constexpr (fits_inline<F>) {
            new (_storage) F(std::forward<Func>(f));
            _vt = &inline_ops<F>::vt;
        } else {
            new (_storage) F*(new F(std::forward<Func>(f)));
            _vt = &heap_ops<F>::vt;
        }
    }

    abort_source_callback(abort_source_callback&& o) noexcept : _vt(std::exchange(o._vt, nullptr)) {
        if (_vt) {
            _vt->move(o._storage, _storage);
        }
    }

    abort_source_callback& operator=(abort_source_callback&& o) noexcept {
        if (this != &o) {
            reset();
            _vt = std::exchange(o._vt, nullptr);
            if (_vt) {
                _vt->move(o._storage, _storage);
            }
        }
        return *this;
    }

    ~abort_source_callback() { reset(); }

    explicit operator bool() const noexcept { return _vt != nullptr; }

    void operator()(arg_type ex) noexcept { _vt->call(_storage, ex); }
};

} // namespace seastar::internal
