// defer(func): runs `func` when the returned object goes out of scope (a scope guard).
//
// Contract: func must be noexcept (it runs in a destructor) and nothrow move-constructible.
// cancel() disarms the action. Moving the guard moves the duty to run it. No allocation.
//
//     auto fd = ::open(path, O_RDONLY);
//     auto close_fd = seastar::defer([fd] () noexcept { ::close(fd); });
//     ...                                  // closed on every way out of the scope
//     close_fd.cancel();                   // ...unless ownership moved elsewhere
#pragma once

#include <type_traits>
#include <utility>

namespace seastar {

template <typename Func>
concept deferrable_action = requires(Func func) {
    { func() } noexcept;
};

template <deferrable_action Func>
    requires std::is_nothrow_move_constructible_v<Func>
class [[nodiscard]] deferred_action {
    Func _func;
    bool _cancelled = false;

public:
    explicit deferred_action(Func&& func) noexcept : _func(std::move(func)) {}
    deferred_action(deferred_action&& o) noexcept : _func(std::move(o._func)), _cancelled(o._cancelled) {
        o._cancelled = true;
    }
    deferred_action& operator=(deferred_action&& o) noexcept {
        if (this != &o) {
            this->~deferred_action();
            new (this) deferred_action(std::move(o));
        }
        return *this;
    }
    deferred_action(const deferred_action&) = delete;
    ~deferred_action() {
        if (!_cancelled) {
            _func();
        }
    }
    // The action will not run.
    void cancel() noexcept { _cancelled = true; }
};

template <typename Func>
inline deferred_action<std::decay_t<Func>> defer(Func&& func) noexcept {
    return deferred_action<std::decay_t<Func>>(std::decay_t<Func>(std::forward<Func>(func)));
}

} // namespace seastar
