// circular_buffer_fixed_capacity<T, Capacity>: a ring of at most Capacity elements stored
// inside the object (no allocation ever). Same interface as circular_buffer, minus growth.
//
// Contract: Capacity is a power of two. Pushing into a full buffer is a precondition
// violation (checked by an assertion; the ring never overwrites). front()/back()/pop_*()
// on an empty buffer are undefined. Iterators are random access; push/pop invalidate them.
//
//     seastar::circular_buffer_fixed_capacity<int, 8> last_events;
//     if (last_events.size() == last_events.capacity()) { last_events.pop_front(); }
//     last_events.push_back(e);
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace seastar {

template <typename T, size_t Capacity>
class circular_buffer_fixed_capacity {
    static_assert(Capacity > 0 && (Capacity & (Capacity - 1)) == 0, "Capacity must be a power of two");

    size_t _begin = 0; // unbounded counters; positions are masked
    size_t _end = 0;
    union maybe_storage {
        T data;
        maybe_storage() noexcept {}
        ~maybe_storage() {}
    };
    maybe_storage _storage[Capacity];

    static size_t mask(size_t idx) noexcept { return idx & (Capacity - 1); }
    T* slot(size_t idx) noexcept { return &_storage[mask(idx)].data; }
    const T* slot(size_t idx) const noexcept { return &_storage[mask(idx)].data; }

public:
    using value_type = T;
    using size_type = size_t;
    using reference = T&;
    using pointer = T*;
    using const_reference = const T&;
    using const_pointer = const T*;
    using difference_type = std::ptrdiff_t;

    template <typename CB, typename ValueType>
    struct cbiterator {
        using iterator_category = std::random_access_iterator_tag;
        using value_type = std::remove_const_t<ValueType>;
        using difference_type = std::ptrdiff_t;
        using pointer = ValueType*;
        using reference = ValueType&;

        CB* cb = nullptr;
        size_t idx = 0;

        cbiterator() noexcept = default;
        cbiterator(CB* b, size_t i) noexcept : cb(b), idx(i) {}
        template <typename OCB, typename OV>
            requires std::is_const_v<CB>
        cbiterator(const cbiterator<OCB, OV>& o) noexcept : cb(o.cb), idx(o.idx) {}

        ValueType& operator*() const noexcept { return *cb->slot(idx); }
        ValueType* operator->() const noexcept { return cb->slot(idx); }
        ValueType& operator[](difference_type n) const noexcept { return *cb->slot(idx + n); }
        cbiterator& operator++() noexcept {
            ++idx;
            return *this;
        }
        cbiterator operator++(int) noexcept {
            auto r = *this;
            ++idx;
            return r;
        }
        cbiterator& operator--() noexcept {
            --idx;
            return *this;
        }
        cbiterator operator--(int) noexcept {
            auto r = *this;
            --idx;
            return r;
        }
        cbiterator& operator+=(difference_type n) noexcept {
            idx += n;
            return *this;
        }
        cbiterator& operator-=(difference_type n) noexcept {
            idx -= n;
            return *this;
        }
        friend cbiterator operator+(cbiterator it, difference_type n) noexcept { return it += n; }
        friend cbiterator operator+(difference_type n, cbiterator it) noexcept { return it += n; }
        friend cbiterator operator-(cbiterator it, difference_type n) noexcept { return it -= n; }
        friend difference_type operator-(const cbiterator& a, const cbiterator& b) noexcept {
            return difference_type(a.idx - b.idx);
        }
        friend bool operator==(const cbiterator& a, const cbiterator& b) noexcept { return a.idx == b.idx; }
        friend auto operator<=>(const cbiterator& a, const cbiterator& b) noexcept {
            return difference_type(a.idx - b.idx) <=> 0;
        }
    };
    using iterator = cbiterator<circular_buffer_fixed_capacity, T>;
    using const_iterator = cbiterator<const circular_buffer_fixed_capacity, const T>;

    circular_buffer_fixed_capacity() noexcept = default;
    circular_buffer_fixed_capacity(std::initializer_list<T> l) {
        for (auto& x : l) {
            push_back(x);
        }
    }
    circular_buffer_fixed_capacity(const circular_buffer_fixed_capacity& x) {
        for (auto& e : x) {
            push_back(e);
        }
    }
    circular_buffer_fixed_capacity(circular_buffer_fixed_capacity&& x) noexcept(
        std::is_nothrow_move_constructible_v<T>) {
        for (auto& e : x) {
            push_back(std::move(e));
        }
        x.clear();
    }
    circular_buffer_fixed_capacity& operator=(const circular_buffer_fixed_capacity& x) {
        if (this != &x) {
            clear();
            for (auto& e : x) {
                push_back(e);
            }
        }
        return *this;
    }
    circular_buffer_fixed_capacity&
    operator=(circular_buffer_fixed_capacity&& x) noexcept(std::is_nothrow_move_constructible_v<T>) {
        if (this != &x) {
            clear();
            for (auto& e : x) {
                push_back(std::move(e));
            }
            x.clear();
        }
        return *this;
    }
    ~circular_buffer_fixed_capacity() { clear(); }

    static constexpr size_t capacity() noexcept { return Capacity; }
    size_t size() const noexcept { return _end - _begin; }
    bool empty() const noexcept { return _begin == _end; }
    bool full() const noexcept { return size() == Capacity; }

    template <typename... A>
    T& emplace_back(A&&... args) {
        assert(!full());
        auto* p = new (slot(_end)) T(std::forward<A>(args)...);
        ++_end;
        return *p;
    }
    template <typename... A>
    T& emplace_front(A&&... args) {
        assert(!full());
        auto* p = new (slot(_begin - 1)) T(std::forward<A>(args)...);
        --_begin;
        return *p;
    }
    void push_back(const T& x) { emplace_back(x); }
    void push_back(T&& x) { emplace_back(std::move(x)); }
    void push_front(const T& x) { emplace_front(x); }
    void push_front(T&& x) { emplace_front(std::move(x)); }
    void pop_front() noexcept {
        slot(_begin)->~T();
        ++_begin;
    }
    void pop_back() noexcept {
        slot(_end - 1)->~T();
        --_end;
    }
    void clear() noexcept {
        while (!empty()) {
            pop_back();
        }
    }

    T& front() noexcept { return *slot(_begin); }
    const T& front() const noexcept { return *slot(_begin); }
    T& back() noexcept { return *slot(_end - 1); }
    const T& back() const noexcept { return *slot(_end - 1); }
    T& operator[](size_t i) noexcept { return *slot(_begin + i); }
    const T& operator[](size_t i) const noexcept { return *slot(_begin + i); }
    T& at(size_t i) {
        if (i >= size()) {
            throw std::out_of_range("circular_buffer_fixed_capacity::at out of range");
        }
        return (*this)[i];
    }

    iterator begin() noexcept { return iterator(this, _begin); }
    iterator end() noexcept { return iterator(this, _end); }
    const_iterator begin() const noexcept { return const_iterator(this, _begin); }
    const_iterator end() const noexcept { return const_iterator(this, _end); }
    const_iterator cbegin() const noexcept { return begin(); }
    const_iterator cend() const noexcept { return end(); }

    // Removes [first, last); returns the iterator after the removed range.
    iterator erase(iterator first, iterator last) noexcept(std::is_nothrow_move_assignable_v<T>) {
        auto new_end = std::move(last, end(), first);
        size_t n = last - first;
        for (auto it = new_end; it != end(); ++it) {
            it->~T();
        }
        _end -= n;
        return first;
    }

    template <typename CB, typename V>
    friend struct cbiterator;
};

} // namespace seastar
