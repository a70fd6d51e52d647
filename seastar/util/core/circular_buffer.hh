// circular_buffer<T>: a double-ended queue in one contiguous ring (like std::deque, but
// one allocation, and cheap push/pop at both ends).
//
// The capacity is a power of two and doubles when full; elements are moved (or copied,
// when T's move constructor may throw) into the new ring. Iterators are random access;
// any push, pop or reserve invalidates them.
//
// Contract: front()/back()/pop_*() on an empty buffer are undefined (as std::deque's);
// at() throws std::out_of_range. Growing may throw std::bad_alloc; then the buffer is
// unchanged (strong guarantee for push_* with T's nothrow move constructor).
//
//     seastar::circular_buffer<int> q;
//     q.push_back(1); q.push_front(0);
//     auto x = q.front(); q.pop_front();
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace seastar {

template <typename T, typename Alloc = std::allocator<T>>
class circular_buffer {
    using traits = std::allocator_traits<Alloc>;

    struct impl : Alloc {
        T* storage = nullptr;
        size_t capacity = 0; // 0 or a power of two
        size_t begin = 0;    // unbounded counters; positions are masked
        size_t end = 0;
    } _impl;

    size_t mask(size_t idx) const noexcept { return idx & (_impl.capacity - 1); }
    void expand() { expand(std::max<size_t>(_impl.capacity * 2, 1)); }
    void expand(size_t new_cap);
    void maybe_expand(size_t nr = 1) {
        if (_impl.end - _impl.begin + nr > _impl.capacity) {
            size_t c = std::max<size_t>(_impl.capacity, 1);
            while (c < _impl.end - _impl.begin + nr) {
                c *= 2;
            }
            expand(c);
        }
    }

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
        // iterator -> const_iterator
        template <typename OCB, typename OV>
            requires std::is_const_v<CB>
        cbiterator(const cbiterator<OCB, OV>& o) noexcept : cb(o.cb), idx(o.idx) {}

        ValueType& operator*() const noexcept { return cb->_impl.storage[cb->mask(idx)]; }
        ValueType* operator->() const noexcept { return &**this; }
        ValueType& operator[](difference_type n) const noexcept { return *(*this + n); }
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
    using iterator = cbiterator<circular_buffer, T>;
    using const_iterator = cbiterator<const circular_buffer, const T>;
    using reverse_iterator = std::reverse_iterator<iterator>;
    using const_reverse_iterator = std::reverse_iterator<const_iterator>;

    circular_buffer() noexcept(std::is_nothrow_default_constructible_v<Alloc>) = default;
    explicit circular_buffer(Alloc alloc) noexcept { static_cast<Alloc&>(_impl) = std::move(alloc); }
    circular_buffer(std::initializer_list<T> l) {
        reserve(l.size());
        for (auto& x : l) {
            push_back(x);
        }
    }
    circular_buffer(circular_buffer&& x) noexcept : _impl(std::move(x._impl)) { x._impl = {}; }
    circular_buffer(const circular_buffer& x) : _impl(static_cast<const Alloc&>(x._impl)) {
        _impl.storage = nullptr;
        _impl.capacity = _impl.begin = _impl.end = 0;
        reserve(x.size());
        for (auto& e : x) {
            push_back(e);
        }
    }
    circular_buffer& operator=(circular_buffer&& x) noexcept {
        if (this != &x) {
            this->~circular_buffer();
            new (this) circular_buffer(std::move(x));
        }
        return *this;
    }
    circular_buffer& operator=(const circular_buffer& x) {
        if (this != &x) {
            circular_buffer tmp(x);
            *this = std::move(tmp);
        }
        return *this;
    }
    ~circular_buffer() {
        clear();
        if (_impl.storage) {
            traits::deallocate(_impl, _impl.storage, _impl.capacity);
        }
    }

    void push_front(const T& data) {
        maybe_expand();
        traits::construct(_impl, &_impl.storage[mask(_impl.begin - 1)], data);
        --_impl.begin;
    }
    void push_front(T&& data) {
        maybe_expand();
        traits::construct(_impl, &_impl.storage[mask(_impl.begin - 1)], std::move(data));
        --_impl.begin;
    }
    template <typename... A>
    T& emplace_front(A&&... args) {
        maybe_expand();
        auto* p = &_impl.storage[mask(_impl.begin - 1)];
        traits::construct(_impl, p, std::forward<A>(args)...);
        --_impl.begin;
        return *p;
    }
    void push_back(const T& data) {
        maybe_expand();
        traits::construct(_impl, &_impl.storage[mask(_impl.end)], data);
        ++_impl.end;
    }
    void push_back(T&& data) {
        maybe_expand();
        traits::construct(_impl, &_impl.storage[mask(_impl.end)], std::move(data));
        ++_impl.end;
    }
    template <typename... A>
    T& emplace_back(A&&... args) {
        maybe_expand();
        auto* p = &_impl.storage[mask(_impl.end)];
        traits::construct(_impl, p, std::forward<A>(args)...);
        ++_impl.end;
        return *p;
    }
    void pop_front() noexcept {
        traits::destroy(_impl, &front());
        ++_impl.begin;
    }
    void pop_back() noexcept {
        traits::destroy(_impl, &back());
        --_impl.end;
    }

    T& front() noexcept { return _impl.storage[mask(_impl.begin)]; }
    const T& front() const noexcept { return _impl.storage[mask(_impl.begin)]; }
    T& back() noexcept { return _impl.storage[mask(_impl.end - 1)]; }
    const T& back() const noexcept { return _impl.storage[mask(_impl.end - 1)]; }
    T& operator[](size_t idx) noexcept { return _impl.storage[mask(_impl.begin + idx)]; }
    const T& operator[](size_t idx) const noexcept { return _impl.storage[mask(_impl.begin + idx)]; }
    T& at(size_t idx) {
        if (idx >= size()) {
            throw std::out_of_range("circular_buffer::at out of range");
        }
        return (*this)[idx];
    }
    const T& at(size_t idx) const { return const_cast<circular_buffer*>(this)->at(idx); }

    size_t size() const noexcept { return _impl.end - _impl.begin; }
    bool empty() const noexcept { return _impl.begin == _impl.end; }
    size_t capacity() const noexcept { return _impl.capacity; }
    // Makes room for `n` elements in total (rounded up to a power of two).
    void reserve(size_t n) {
        if (n > _impl.capacity) {
            size_t c = 1;
            while (c < n) {
                c *= 2;
            }
            expand(c);
        }
    }
    void clear() noexcept {
        while (!empty()) {
            pop_back();
        }
    }

    iterator begin() noexcept { return iterator(this, _impl.begin); }
    iterator end() noexcept { return iterator(this, _impl.end); }
    const_iterator begin() const noexcept { return const_iterator(this, _impl.begin); }
    const_iterator end() const noexcept { return const_iterator(this, _impl.end); }
    const_iterator cbegin() const noexcept { return begin(); }
    const_iterator cend() const noexcept { return end(); }
    reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
    reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
    const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
    const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }

    // Removes [first, last), moving the shorter side over the gap. Returns the iterator
    // after the removed range.
    iterator erase(iterator first, iterator last) noexcept(std::is_nothrow_move_assignable_v<T>) {
        if (first == last) {
            return last;
        }
        size_t n = last - first;
        if (size_t(first - begin()) < size_t(end() - last)) {
            // Shift the front part right.
            auto new_begin = std::move_backward(begin(), first, last);
            for (auto it = begin(); it != new_begin; ++it) {
                traits::destroy(_impl, &*it);
            }
            _impl.begin += n;
            return last;
        }
        auto new_end = std::move(last, end(), first);
        for (auto it = new_end; it != end(); ++it) {
            traits::destroy(_impl, &*it);
        }
        _impl.end -= n;
        return first;
    }
    iterator erase(iterator it) noexcept(std::is_nothrow_move_assignable_v<T>) { return erase(it, it + 1); }

    template <typename Func>
    void erase_if(Func pred) {
        auto it = std::remove_if(begin(), end(), pred);
        erase(it, end());
    }

    template <typename CB, typename V>
    friend struct cbiterator;
};

template <typename T, typename Alloc>
void circular_buffer<T, Alloc>::expand(size_t new_cap) {
    T* new_storage = traits::allocate(_impl, new_cap);
    size_t n = 0;
    try {
        for (auto& e : *this) {
            traits::construct(_impl, &new_storage[n], std::move_if_noexcept(e));
            ++n;
        }
    } catch (...) {
        while (n) {
            traits::destroy(_impl, &new_storage[--n]);
        }
        traits::deallocate(_impl, new_storage, new_cap);
        throw;
    }
    size_t sz = size();
    clear();
    if (_impl.storage) {
        traits::deallocate(_impl, _impl.storage, _impl.capacity);
    }
    _impl.storage = new_storage;
    _impl.capacity = new_cap;
    _impl.begin = 0;
    _impl.end = sz;
}

} // namespace seastar
