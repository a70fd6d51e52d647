// foreign_ptr<PtrType>: an owning pointer that may travel to other shards but is always
// destroyed on the shard that created it.
//
// Memory and objects belong to the shard that allocated them. To hand an object to another
// shard, wrap its owning pointer (std::unique_ptr, std::shared_ptr, ...) in a foreign_ptr
// and send that: the receiver may use the object (carefully: it is not synchronised), and
// when the foreign_ptr dies there, the pointer is sent home and destroyed by its owner.
//
// Contract:
// - Construction records this_shard_id() as the owner. Destruction (or reset()) on another
//   shard sends the pointer to the owner in a message (fire and forget) and returns at once;
//   on the owner it is destroyed in place. destroy() returns a future of the destruction.
// - Outside smp::run() (or when the owner shard is gone) the pointer is destroyed in place.
// - Moving is noexcept and allocates nothing; remote destruction allocates a work item.
//
// Example:
//
//     auto p = seastar::make_foreign(std::make_unique<table>());
//     co_await seastar::smp::submit_to(1, [p = std::move(p)] { return p->size(); });
//     // the table is destroyed on this shard, whichever shard p dies on
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "seastar/core/future.hh"
#include "seastar/core/smp.hh"

namespace seastar {

template <typename PtrType>
class foreign_ptr {
    PtrType _value;
    shard_id _cpu;

    using element_type = typename std::pointer_traits<PtrType>::element_type;

public:
    using pointer = element_type*;

    foreign_ptr() noexcept(std::is_nothrow_default_constructible_v<PtrType>) : _value(), _cpu(this_shard_id()) {}
    foreign_ptr(std::nullptr_t) noexcept(std::is_nothrow_default_constructible_v<PtrType>) : foreign_ptr() {}
    foreign_ptr(PtrType value) noexcept(std::is_nothrow_move_constructible_v<PtrType>)
        : _value(std::move(value)), _cpu(this_shard_id()) {}
    foreign_ptr(foreign_ptr&& o) noexcept(std::is_nothrow_move_constructible_v<PtrType>)
        : _value(std::move(o._value)), _cpu(o._cpu) {}
    foreign_ptr(const foreign_ptr&) = delete;
    foreign_ptr& operator=(const foreign_ptr&) = delete;
    foreign_ptr& operator=(foreign_ptr&& o) noexcept {
        if (this != &o) {
            destroy_value();
            _value = std::move(o._value);
            _cpu = o._cpu;
        }
        return *this;
    }
    ~foreign_ptr() { destroy_value(); }

    element_type& operator*() const noexcept(noexcept(*_value)) { return *_value; }
    element_type* operator->() const noexcept { return &*_value; }
    pointer get() const noexcept { return _value ? &*_value : nullptr; }
    explicit operator bool() const noexcept { return bool(_value); }
    shard_id get_owner_shard() const noexcept { return _cpu; }

    // Gives up ownership; the caller becomes responsible for destroying it on the owner.
    PtrType release() noexcept { return std::exchange(_value, PtrType()); }
    // On the owner shard only (asserted): gives back the pointer itself, leaving this empty.
    PtrType unwrap_on_owner_shard() noexcept {
        assert(_cpu == this_shard_id());
        return release();
    }
    // Destroys the current pointer (on its owner) and takes `p`, owned by this shard.
    void reset(PtrType p = PtrType()) noexcept {
        destroy_value();
        _value = std::move(p);
        _cpu = this_shard_id();
    }
    // Destroys the pointer on its owner; the future resolves once it is gone.
    future<> destroy() noexcept {
        if (!_value || _cpu == this_shard_id() || !internal::smp_running_here()) {
            _value = PtrType();
            return make_ready_future<>();
        }
        return smp::submit_to(_cpu, [v = release()]() mutable { auto local = std::move(v); });
    }
    // A foreign_ptr to a copy made on the owner (PtrType must be copyable, e.g. shared_ptr).
    future<foreign_ptr> copy() const noexcept {
        return smp::submit_to(_cpu, [v = &_value]() mutable { return foreign_ptr(PtrType(*v)); });
    }

private:
    void destroy_value() noexcept {
        if (!_value) {
            return;
        }
        if (_cpu == this_shard_id() || !internal::smp_running_here() || _cpu >= smp::count) {
            _value = PtrType();
            return;
        }
        (void)smp::submit_to(_cpu, [v = release()]() mutable { auto local = std::move(v); });
    }
};

template <typename T>
foreign_ptr<T> make_foreign(T ptr) {
    return foreign_ptr<T>(std::move(ptr));
}

} // namespace seastar
