// noncopyable_function<Sig>: std::function for move-only callables.
//
// Holds any callable with the signature Sig (`R(Args...)` or `R(Args...) noexcept`),
// including lambdas that capture std::unique_ptr, promises or other move-only state.
// Callables of up to 32 bytes (nothrow move-constructible) are stored inside the object
// with no allocation; larger ones are allocated on the heap. Moving never allocates and
// never throws. Calling an empty noncopyable_function throws std::bad_function_call.
//
// Contract: constructing from a large callable may throw std::bad_alloc (or what the
// callable's move constructor throws); everything else is noexcept. The object is
// single-threaded like the callable it holds.
//
//     seastar::noncopyable_function<int(int)> f = [p = std::make_unique<int>(2)](int x) {
//         return x * *p;
//     };
//     auto g = std::move(f);   // f is now empty
//     g(21);                   // 42
#pragma once

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace seastar {

template <typename Signature>
class noncopyable_function;

namespace internal {

// The bytes a noncopyable_function keeps inline.
inline constexpr size_t noncopyable_function_direct_size = 32;

template <bool Noexcept, typename Ret, typename... Args>
class noncopyable_function_base {
    static constexpr size_t nr_direct = noncopyable_function_direct_size;
    union storage {
        alignas(std::max_align_t) unsigned char direct[nr_direct];
        void* indirect;
    };
    using call_type = Ret (*)(const noncopyable_function_base*, Args...);
    using move_type = void (*)(noncopyable_function_base* from, noncopyable_function_base* to) noexcept;
    using destroy_type = void (*)(noncopyable_function_base*) noexcept;
    struct vtable {
        call_type call;
        move_type move;
        destroy_type destroy;
    };

    storage _storage;
    const vtable* _vtable = nullptr;

    template <typename Func>
    static constexpr bool stored_directly = sizeof(Func) <= nr_direct && alignof(Func) <= alignof(std::max_align_t) &&
                                            std::is_nothrow_move_constructible_v<Func>;

    template <typename Func>
    static Func* access(const noncopyable_function_base* f) noexcept {
        auto* self = const_cast<noncopyable_function_base*>(f);
        if constexpr (stored_directly<Func>) {
            return std::launder(reinterpret_cast<Func*>(self->_storage.direct));
        } else {
            return static_cast<Func*>(self->_storage.indirect);
        }
    }

    template <typename Func>
    static Ret call(const noncopyable_function_base* f, Args... args) noexcept(Noexcept) {
        return (*access<Func>(f))(std::forward<Args>(args)...);
    }
    template <typename Func>
    static void move(noncopyable_function_base* from, noncopyable_function_base* to) noexcept {
        if constexpr (stored_directly<Func>) {
            auto* src = access<Func>(from);
            new (to->_storage.direct) Func(std::move(*src));
            src->~Func();
        } else {
            to->_storage.indirect = from->_storage.indirect;
        }
    }
    template <typename Func>
    static void destroy(noncopyable_function_base* f) noexcept {
        if constexpr (stored_directly<Func>) {
            access<Func>(f)->~Func();
        } else {
            delete access<Func>(f);
        }
    }
    template <typename Func>
    static constexpr vtable vtable_for{&call<Func>, &move<Func>, &destroy<Func>};

    void reset() noexcept {
        if (_vtable) {
            _vtable->destroy(this);
            _vtable = nullptr;
        }
    }

public:
    noncopyable_function_base() noexcept = default;
    noncopyable_function_base(std::nullptr_t) noexcept {}
    template <typename Func>
        requires(!std::is_same_v<std::decay_t<Func>, noncopyable_function_base> &&
                 !std::is_base_of_v<noncopyable_function_base, std::decay_t<Func>> &&
                 (Noexcept ? std::is_nothrow_invocable_r_v<Ret, std::decay_t<Func>&, Args...>
                           : std::is_invocable_r_v<Ret, std::decay_t<Func>&, Args...>))
    noncopyable_function_base(Func&& func) {
        using F = std::decay_t<Func>;
        if constexpr (std::is_pointer_v<F> || std::is_member_pointer_v<F>) {
            if (!func) {
                return;
            }
        }
        if constexpr (stored_directly<F>) {
            new (_storage.direct) F(std::forward<Func>(func));
        } else {
            _storage.indirect = new F(std::forward<Func>(func));
        }
        _vtable = &vtable_for<F>;
    }
    noncopyable_function_base(noncopyable_function_base&& x) noexcept {
        if (x._vtable) {
            x._vtable->move(&x, this);
            _vtable = std::exchange(x._vtable, nullptr);
        }
    }
    noncopyable_function_base& operator=(noncopyable_function_base&& x) noexcept {
        if (this != &x) {
            reset();
            if (x._vtable) {
                x._vtable->move(&x, this);
                _vtable = std::exchange(x._vtable, nullptr);
            }
        }
        return *this;
    }
    noncopyable_function_base(const noncopyable_function_base&) = delete;
    noncopyable_function_base& operator=(const noncopyable_function_base&) = delete;
    ~noncopyable_function_base() { reset(); }

    Ret operator()(Args... args) const noexcept(Noexcept) {
        if constexpr (!Noexcept) {
            if (!_vtable) {
                throw std::bad_function_call();
            }
        }
        return _vtable->call(this, std::forward<Args>(args)...);
    }
    explicit operator bool() const noexcept { return _vtable != nullptr; }
};

} // namespace internal

template <typename Ret, typename... Args>
class noncopyable_function<Ret(Args...)> : public internal::noncopyable_function_base<false, Ret, Args...> {
    using base = internal::noncopyable_function_base<false, Ret, Args...>;

public:
    using base::base;
    noncopyable_function() noexcept = default;
};

// The noexcept variant: only nothrow callables are accepted, and calling an empty one is
// undefined (it cannot throw).
template <typename Ret, typename... Args>
class noncopyable_function<Ret(Args...) noexcept> : public internal::noncopyable_function_base<true, Ret, Args...> {
    using base = internal::noncopyable_function_base<true, Ret, Args...>;

public:
    using base::base;
    noncopyable_function() noexcept = default;
};

} // namespace seastar
