// Iterating the set bits of a std::bitset: seastar::bitsets::get_first_set,
// get_last_set and for_each_set (a range of the indexes of set bits, ascending).
//
// Contract: get_first_set/get_last_set require bs.any() (an empty set returns N).
// for_each_set(bs, offset) yields the set bits at index >= offset. The range refers to
// the bitset, which must outlive it and not change while it is iterated.
//
//     std::bitset<64> cpus;  cpus.set(3);  cpus.set(9);
//     for (auto i : seastar::bitsets::for_each_set(cpus)) { ... }  // 3, then 9
#pragma once

#include <bitset>
#include <cstddef>
#include <iterator>
#include <limits>

namespace seastar::bitsets {

inline constexpr int ulong_bits = std::numeric_limits<unsigned long>::digits;

// Index of the lowest set bit (N when none is set).
template <size_t N>
inline size_t get_first_set(const std::bitset<N>& bs) noexcept {
    return bs._Find_first();
}

// Index of the highest set bit (N when none is set).
template <size_t N>
inline size_t get_last_set(const std::bitset<N>& bs) noexcept {
    if constexpr (N <= 64) {
        auto v = bs.to_ullong();
        return v ? 63 - __builtin_clzll(v) : N;
    } else {
        for (size_t i = N; i-- > 0;) {
            if (bs.test(i)) {
                return i;
            }
        }
        return N;
    }
}

template <size_t N>
class set_iterator {
    const std::bitset<N>* _bs = nullptr;
    size_t _pos = N;

public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = int;

    set_iterator() noexcept = default;
    set_iterator(const std::bitset<N>& bs, size_t offset) noexcept : _bs(&bs) {
        if (offset >= N) {
            _pos = N;
        } else if (bs.test(offset)) {
            _pos = offset;
        } else {
            _pos = bs._Find_next(offset);
        }
    }
    static set_iterator end_of(const std::bitset<N>& bs) noexcept { return set_iterator(bs, N); }

    int operator*() const noexcept { return int(_pos); }
    set_iterator& operator++() noexcept {
        _pos = _bs->_Find_next(_pos);
        return *this;
    }
    set_iterator operator++(int) noexcept {
        auto r = *this;
        ++*this;
        return r;
    }
    bool operator==(const set_iterator& o) const noexcept { return _pos == o._pos; }
};

template <size_t N>
class set_range {
    const std::bitset<N>* _bs;
    size_t _offset;

public:
    using iterator = set_iterator<N>;
    using value_type = int;

    set_range(const std::bitset<N>& bs, size_t offset = 0) noexcept : _bs(&bs), _offset(offset) {}
    iterator begin() const noexcept { return iterator(*_bs, _offset); }
    iterator end() const noexcept { return iterator::end_of(*_bs); }
};

template <size_t N>
inline set_range<N> for_each_set(const std::bitset<N>& bs, size_t offset = 0) noexcept {
    return set_range<N>(bs, offset);
}

} // namespace seastar::bitsets
