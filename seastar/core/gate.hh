#pragma once

// gate: tracks work in flight so that shutdown can wait for it and refuse new work.
//
// Contract
// - Shard-local, not thread-safe.
// - enter() registers a unit of work (throws gate_closed_exception once close() was
//   called); leave() ends one. try_enter() is the non-throwing form.
// - close() refuses further entries at once and returns a future that resolves when the
//   count drops to zero (at once if it already is). close() may be called only once.
// - gate::holder is an RAII entry: movable, copyable (a copy enters again); its
//   destructor leaves.
// - with_gate()/try_with_gate() run a function inside the gate and leave when its future
//   resolves, whatever the outcome. Nothing here allocates except the close() promise.
// - The gate must outlive every entry: destroying it with work in flight is a bug
//   (asserted).
// - gate and named_gate are basic_gate<false> and basic_gate<true>; a named_gate
//   carries a name (name()) and its gate_closed_exception says which gate was closed:
//   "<name>: gate closed" (a plain gate's says "gate closed").
//
// Example
//   seastar::gate g;
//   (void)seastar::with_gate(g, [] { return serve_one(); });
//   ...
//   return g.close();   // resolves once every serve_one() has finished

#include "seastar/core/future.hh"

#include <cassert>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace seastar {

class gate_closed_exception : public std::exception {
    // Shared so that copying the exception never throws; null: the default text.
    std::shared_ptr<const std::string> _msg;

public:
    gate_closed_exception() noexcept = default;
    explicit gate_closed_exception(std::string msg) : _msg(std::make_shared<const std::string>(std::move(msg))) {}
    const char* what() const noexcept override { return _msg ? _msg->c_str() : "gate closed"; }
};

namespace internal {

template <bool Named>
class gate_name {
protected:
    gate_closed_exception make_closed_exception() const noexcept { return gate_closed_exception(); }
};

template <>
class gate_name<true> {
    std::string _name;

protected:
    gate_name() noexcept = default;
    explicit gate_name(std::string name) noexcept : _name(std::move(name)) {}
    gate_closed_exception make_closed_exception() const { return gate_closed_exception(_name + ": gate closed"); }

public:
    const std::string& name() const noexcept { return _name; }
};

} // namespace internal

template <bool Named>
class basic_gate : public internal::gate_name<Named> {
    size_t _count = 0;
    std::optional<promise<>> _stopped;

public:
    basic_gate() noexcept = default;
    /// A named_gate: `name` appears in its gate_closed_exception.
    explicit basic_gate(std::string name) noexcept
        requires Named
        : internal::gate_name<Named>(std::move(name)) {}
    basic_gate(const basic_gate&) = delete;
    basic_gate& operator=(const basic_gate&) = delete;
    ~basic_gate() { assert(_count == 0 && "gate destroyed with work in flight"); }

    /// The exception enter(), check() and with_gate() report for this gate once closed.
    gate_closed_exception make_closed_exception() const { return internal::gate_name<Named>::make_closed_exception(); }

    /// Enters unless closed; returns whether it did.
    bool try_enter() noexcept {
        if (_stopped) {
            return false;
        }
        ++_count;
        return true;
    }

    /// Enters; throws gate_closed_exception if the gate is closed.
    void enter() {
        if (!try_enter()) {
            throw make_closed_exception();
        }
    }

    /// Leaves; resolves the close() future when the last entry leaves a closed gate.
    void leave() noexcept {
        assert(_count > 0 && "gate::leave() without enter()");
        --_count;
        if (_count == 0 && _stopped) {
            _stopped->set_value();
        }
    }

    /// Throws gate_closed_exception if the gate is closed: lets long work notice shutdown.
    void check() const {
        if (_stopped) {
            throw make_closed_exception();
        }
    }

    /// Closes the gate; the future resolves when every entry has left.
    [[nodiscard]] future<> close() noexcept {
        assert(!_stopped && "gate::close() called more than once");
        _stopped.emplace();
        auto f = _stopped->get_future();
        if (_count == 0) {
            _stopped->set_value();
        }
        return f;
    }

    size_t get_count() const noexcept { return _count; }
    bool is_closed() const noexcept { return bool(_stopped); }

    /// An RAII entry into a gate.
    class holder {
        basic_gate* _g = nullptr;

    public:
        holder() noexcept = default;
        /// Enters `g`; throws gate_closed_exception if it is closed.
        explicit holder(basic_gate& g) : _g(&g) { g.enter(); }
        holder(const holder& o) : _g(o._g) {
            if (_g) {
                _g->enter();
            }
        }
        holder(holder&& o) noexcept : _g(std::exchange(o._g, nullptr)) {}
        holder& operator=(holder&& o) noexcept {
            if (this != &o) {
                release();
                _g = std::exchange(o._g, nullptr);
            }
            return *this;
        }
        holder& operator=(const holder& o) {
            if (this != &o) {
                holder copy(o);
                *this = std::move(copy);
            }
            return *this;
        }
        ~holder() { release(); }

        /// Leaves now (no-op if empty).
        void release() noexcept {
            if (auto* g = std::exchange(_g, nullptr)) {
                g->leave();
            }
        }
    };

    /// Enters and returns the entry as a holder; throws gate_closed_exception if closed.
    holder hold() { return holder(*this); }

    /// Like hold(), but returns std::nullopt instead of throwing.
    std::optional<holder> try_hold() noexcept {
        if (is_closed()) {
            return std::nullopt;
        }
        return std::make_optional<holder>(*this);
    }
};

using gate = basic_gate<false>;
using named_gate = basic_gate<true>;

/// Runs `func` inside `g`, leaving when its future resolves. Throws gate_closed_exception
/// (synchronously, before running func) if `g` is closed, as Seastar does.
template <bool Named, typename Func>
futurize_t<std::invoke_result_t<Func>> with_gate(basic_gate<Named>& g, Func&& func) {
    g.enter();
    return futurize_invoke(std::forward<Func>(func)).finally([&g] { g.leave(); });
}

/// Like with_gate(), but reports a closed gate as a failed future instead of throwing.
template <bool Named, typename Func>
futurize_t<std::invoke_result_t<Func>> try_with_gate(basic_gate<Named>& g, Func&& func) noexcept {
    if (!g.try_enter()) {
        try {
            return futurize<std::invoke_result_t<Func>>::make_exception_future(
                std::make_exception_ptr(g.make_closed_exception()));
        } catch (...) {
            return futurize<std::invoke_result_t<Func>>::make_exception_future(std::current_exception());
        }
    }
    return futurize_invoke(std::forward<Func>(func)).finally([&g] { g.leave(); });
}

} // namespace seastar
