// An asynchronous generator: a coroutine that produces a sequence with `co_yield` and
// may `co_await` futures between elements; the consumer walks it with an iterator
// whose begin() and ++ are futures. `co_yield elements_of(g)` produces all the elements
// of another generator `g` of the same type (recursively, without a copy per level), or
// of a range.
//
// Contract:
//   * Lazy: the body starts when begin() is awaited and runs to its next co_yield (or
//     its end) on each `co_await ++it`. One shard; the consumer awaits each begin()/++
//     future before the next, and destroys the generator only while none is pending.
//   * *it gives the element co_yield produced (a reference valid until the next ++).
//   * An exception escaping the body fails the pending begin()/++ future; the iterator
//     is then at its end. Inside a generator, one escaping an elements_of() source
//     comes out of that `co_yield elements_of(...)`.
//   * The generator frame is allocated when the coroutine is called (std::bad_alloc).
//
//     seastar::coroutine::experimental::generator<int> countdown(int n) {
//         for (; n > 0; --n) {
//             co_await seastar::sleep(std::chrono::milliseconds(1));
//             co_yield n;
//         }
//     }
//     auto g = countdown(3);
//     for (auto it = co_await g.begin(); it != g.end(); co_await ++it) {
//         fmt::print("{}\n", *it);
//     }
#pragma once

#include <concepts>
#include <coroutine>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/task.hh"

namespace seastar::coroutine::experimental {

template <typename Ref, typename Value = void>
class generator;

// `co_yield elements_of(r)`: every element of `r` (a generator or a range), in order.
template <typename R>
struct elements_of {
    R range;
    explicit elements_of(R&& r) noexcept(std::is_nothrow_move_constructible_v<R>) : range(std::forward<R>(r)) {}
};
template <typename R>
elements_of(R&&) -> elements_of<R&&>;

namespace internal {

template <typename Ref, typename Value>
struct generator_types {
    using value = std::conditional_t<std::is_void_v<Value>, std::remove_cvref_t<Ref>, Value>;
    using reference = std::conditional_t<std::is_void_v<Value>, Ref&&, Ref>;
    using yielded = std::conditional_t<std::is_reference_v<reference>, reference, const reference&>;
};

template <typename Ref, typename Value>
class generator_promise final : public task {
    using types = generator_types<Ref, Value>;
    using yielded = typename types::yielded;
    using handle = std::coroutine_handle<generator_promise>;

    // The outermost generator's promise keeps the consumer's state; nested ones
    // (elements_of) point to it.
    generator_promise* _root = this;
    generator_promise* _parent = nullptr;
    // Root only: the innermost running generator, the current element, the consumer.
    generator_promise* _leaf = this;
    std::add_pointer_t<yielded> _value = nullptr;
    std::optional<promise<>> _consumer;
    bool _done = false;
    // An exception that ended this generator (handed to the parent or the consumer).
    std::exception_ptr _exception;

    template <typename, typename>
    friend class seastar::coroutine::experimental::generator;

    // Hands the current element (or the end) to the waiting consumer.
    void notify_consumer() noexcept {
        if (auto c = std::exchange(_root->_consumer, std::nullopt)) {
            c->set_value();
        }
    }

    struct final_awaiter {
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(handle h) noexcept {
            auto& p = h.promise();
            if (p._parent) {
                // Back to the generator that yielded our elements.
                p._root->_leaf = p._parent;
                return handle::from_promise(*p._parent);
            }
            p._done = true;
            p._value = nullptr;
            if (auto c = std::exchange(p._consumer, std::nullopt)) {
                if (p._exception) {
                    c->set_exception(std::exchange(p._exception, nullptr));
                } else {
                    c->set_value();
                }
            }
            return std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };

    // Keeps a copy of an lvalue yielded where the generator yields rvalue references.
    struct copy_awaiter {
        std::remove_cvref_t<yielded> value;
        generator_promise* self;
        bool await_ready() const noexcept { return false; }
        void await_suspend(handle) noexcept {
            self->_root->_value = std::addressof(value);
            self->notify_consumer();
        }
        void await_resume() noexcept {}
    };

    // Runs a nested generator to its end, as part of this one.
    struct nested_awaiter {
        generator<Ref, Value> nested;
        bool await_ready() const noexcept { return !nested._coro; }
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            auto& parent = h.promise();
            auto& child = nested._coro.promise();
            child._root = parent._root;
            child._parent = &parent;
            parent._root->_leaf = &child;
            return nested._coro;
        }
        void await_resume() {
            if (nested._coro) {
                if (auto ex = std::exchange(nested._coro.promise()._exception, nullptr)) {
                    std::rethrow_exception(std::move(ex));
                }
            }
        }
    };

    // `r` is a reference to a range that outlives the co_yield expression.
    template <typename R>
    static generator<Ref, Value> from_range(R r) {
        for (auto&& e : r) {
            co_yield std::forward<decltype(e)>(e);
        }
    }

public:
    generator_promise() = default;
    generator_promise(const generator_promise&) = delete;

    generator<Ref, Value> get_return_object() noexcept { return generator<Ref, Value>(handle::from_promise(*this)); }

    std::suspend_always initial_suspend() const noexcept { return {}; }
    final_awaiter final_suspend() noexcept { return {}; }

    std::suspend_always yield_value(yielded v) noexcept {
        _root->_value = std::addressof(v);
        notify_consumer();
        return {};
    }

    copy_awaiter yield_value(const std::remove_reference_t<yielded>& v)
        requires std::is_rvalue_reference_v<yielded> &&
                 std::constructible_from<std::remove_cvref_t<yielded>, const std::remove_reference_t<yielded>&>
    {
        return copy_awaiter{v, this};
    }

    nested_awaiter yield_value(elements_of<generator<Ref, Value>&&> g) noexcept { return {std::move(g.range)}; }
    nested_awaiter yield_value(elements_of<generator<Ref, Value>&> g) noexcept { return {std::move(g.range)}; }

    template <typename R>
        requires std::ranges::input_range<std::remove_reference_t<R>>
    nested_awaiter yield_value(elements_of<R> r) {
        return {from_range<R&&>(std::forward<R>(r.range))};
    }

    void return_void() noexcept {}
    void unhandled_exception() noexcept { _exception = std::current_exception(); }

    // Resumes the body after a future it awaited became ready.
    void run_and_dispose() noexcept override { handle::from_promise(*this).resume(); }
};

} // namespace internal

template <typename Ref, typename Value>
class [[nodiscard]] generator {
    using types = internal::generator_types<Ref, Value>;

public:
    using value_type = typename types::value;
    using reference = typename types::reference;
    using promise_type = internal::generator_promise<Ref, Value>;

private:
    using handle = std::coroutine_handle<promise_type>;
    handle _coro;

    friend promise_type;

    explicit generator(handle h) noexcept : _coro(h) {}

    // Runs the innermost generator to its next element or its end.
    static future<> advance(handle h) noexcept {
        auto& root = h.promise();
        if (root._done) {
            return make_ready_future<>();
        }
        auto f = root._consumer.emplace().get_future();
        handle::from_promise(*root._leaf).resume();
        return f;
    }

public:
    class iterator {
        handle _coro;
        friend class generator;
        explicit iterator(handle h) noexcept : _coro(h) {}

    public:
        using value_type = typename types::value;
        using difference_type = std::ptrdiff_t;

        iterator(iterator&& o) noexcept : _coro(std::exchange(o._coro, {})) {}
        iterator& operator=(iterator&& o) noexcept {
            _coro = std::exchange(o._coro, {});
            return *this;
        }

        reference operator*() const noexcept { return static_cast<reference>(*_coro.promise()._value); }

        // Moves to the next element; `co_await ++it`.
        [[nodiscard]] future<> operator++() { return advance(_coro); }

        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return !it._coro || it._coro.promise()._done;
        }
    };

    generator(generator&& o) noexcept : _coro(std::exchange(o._coro, {})) {}
    generator& operator=(generator o) noexcept {
        std::swap(_coro, o._coro);
        return *this;
    }
    ~generator() {
        if (_coro) {
            _coro.destroy();
        }
    }

    // Runs the body to its first element; the iterator is at the end if there is none.
    [[nodiscard]] future<iterator> begin() {
        return advance(_coro).then([h = _coro] { return iterator(h); });
    }
    std::default_sentinel_t end() const noexcept { return {}; }
};

} // namespace seastar::coroutine::experimental
