// Closing and stopping objects on every way out of a scope.
//
// - deferred_close(obj) calls obj.close().get() when it goes out of scope; deferred_stop(obj)
//   calls obj.stop().get(). They wait with future::get(), so they must be used inside a
//   seastar::thread (seastar::async). close_now()/stop_now() do it early; cancel() skips it.
// - with_closeable(obj, func) / with_stoppable(obj, func) keep `obj` alive (do_with) while
//   func(obj)'s future runs, then close()/stop() it, returning func's result; a failing
//   close()/stop() fails the result, as finally() does.
//
// Contract: close()/stop() return future<>; a failure of the deferred close/stop in a
// destructor cannot be reported and terminates (as an exception escaping a destructor).
//
//     seastar::async([] {
//         seastar::gate g;
//         auto close_g = seastar::deferred_close(g);
//         ...                                  // g.close().get() runs at scope exit
//     });
//     return seastar::with_closeable(seastar::gate(), [] (seastar::gate& g) { ... });
#pragma once

#include <functional>
#include <type_traits>
#include <utility>

#include "seastar/core/do_with.hh"
#include "seastar/core/future.hh"

namespace seastar {

template <typename Object>
concept closeable = requires(Object o) {
    { o.close() } -> std::same_as<future<>>;
};

template <typename Object>
concept stoppable = requires(Object o) {
    { o.stop() } -> std::same_as<future<>>;
};

template <closeable Object>
class [[nodiscard]] deferred_close {
    std::reference_wrapper<Object> _obj;
    bool _closed = false;

    void do_close() noexcept {
        if (!_closed) {
            _closed = true;
            _obj.get().close().get();
        }
    }

public:
    explicit deferred_close(Object& obj) noexcept : _obj(obj) {}
    deferred_close(deferred_close&& x) noexcept : _obj(x._obj), _closed(std::exchange(x._closed, true)) {}
    deferred_close(const deferred_close&) = delete;
    deferred_close& operator=(deferred_close&& x) noexcept {
        do_close();
        _obj = x._obj;
        _closed = std::exchange(x._closed, true);
        return *this;
    }
    ~deferred_close() { do_close(); }
    void close_now() noexcept { do_close(); }
    void cancel() noexcept { _closed = true; }
};

template <stoppable Object>
class [[nodiscard]] deferred_stop {
    std::reference_wrapper<Object> _obj;
    bool _stopped = false;

    void do_stop() noexcept {
        if (!_stopped) {
            _stopped = true;
            _obj.get().stop().get();
        }
    }

public:
    explicit deferred_stop(Object& obj) noexcept : _obj(obj) {}
    deferred_stop(deferred_stop&& x) noexcept : _obj(x._obj), _stopped(std::exchange(x._stopped, true)) {}
    deferred_stop(const deferred_stop&) = delete;
    deferred_stop& operator=(deferred_stop&& x) noexcept {
        do_stop();
        _obj = x._obj;
        _stopped = std::exchange(x._stopped, true);
        return *this;
    }
    ~deferred_stop() { do_stop(); }
    void stop_now() noexcept { do_stop(); }
    void cancel() noexcept { _stopped = true; }
};

template <closeable Closeable, std::invocable<Closeable&> Func>
    requires std::is_nothrow_move_constructible_v<Closeable> && std::is_nothrow_move_constructible_v<Func>
auto with_closeable(Closeable&& obj, Func func) noexcept {
    return do_with(std::move(obj), [func = std::move(func)](Closeable& obj) mutable {
        return futurize_invoke(func, obj).finally([&obj] { return obj.close(); });
    });
}

template <stoppable Stoppable, std::invocable<Stoppable&> Func>
    requires std::is_nothrow_move_constructible_v<Stoppable> && std::is_nothrow_move_constructible_v<Func>
auto with_stoppable(Stoppable&& obj, Func func) noexcept {
    return do_with(std::move(obj), [func = std::move(func)](Stoppable& obj) mutable {
        return futurize_invoke(func, obj).finally([&obj] { return obj.stop(); });
    });
}

} // namespace seastar
