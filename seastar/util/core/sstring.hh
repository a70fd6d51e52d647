// sstring: Seastar's string with a small-string optimisation.
//
// basic_sstring<Char, Size, MaxSize, NulTerminate> keeps short strings inside the object
// (MaxSize bytes of inline storage, one of which holds the terminating NUL when
// NulTerminate) and longer ones in a malloc'ed buffer of exactly their size (+ NUL).
// `sstring` is basic_sstring<char, uint32_t, 15>: up to 14 characters live inline, so
// sizeof(sstring) == 16. The size type bounds the length (an sstring holds at most
// 2^32-1 characters); going past it throws std::length_error.
//
// Contract: a value type like std::string (copy, move, compare, hash), converting to and
// from std::string and std::string_view. Allocation failure throws std::bad_alloc; at()
// and substr() throw std::out_of_range. Moving leaves the source empty. Not thread safe
// (no shared state: copies are independent). Formats with {fmt} and operator<<.
//
//     seastar::sstring s = "key";
//     s += ":" + seastar::to_sstring(42);             // "key:42"
//     std::string_view v = s;                        // no copy
//     auto u = seastar::uninitialized_string(8);     // 8 chars to fill through data()
//     auto m = seastar::make_sstring("a", std::string("b"), v);  // "abkey:42"
#pragma once

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <new>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

namespace seastar {

template <typename CharType, typename Size, Size MaxSize, bool NulTerminate = true>
class basic_sstring;

using sstring = basic_sstring<char, uint32_t, 15>;

template <typename CharType, typename Size, Size MaxSize, bool NulTerminate>
class basic_sstring {
    static_assert(std::is_trivial_v<CharType> && sizeof(CharType) == 1,
                  "basic_sstring supports only byte-sized character types");
    static_assert(MaxSize <= 127, "inline storage is at most 127 bytes");
    // The external representation must leave the inline size byte (the marker) alone.
    static_assert(MaxSize >= sizeof(CharType*) + sizeof(Size), "inline storage must cover a pointer and a size");

    static constexpr size_t padding() noexcept { return NulTerminate ? 1 : 0; }
    static constexpr size_t inline_capacity = MaxSize - padding();

    union contents {
        struct external_type {
            CharType* str;
            Size size;
        } external;
        struct internal_type {
            CharType str[MaxSize];
            int8_t size; // >= 0: inline, -1: external
        } internal;
    } u;

    bool is_internal() const noexcept { return u.internal.size >= 0; }
    bool is_external() const noexcept { return !is_internal(); }
    const CharType* str() const noexcept { return is_internal() ? u.internal.str : u.external.str; }
    CharType* str() noexcept { return is_internal() ? u.internal.str : u.external.str; }

    // Makes room for `size` characters (contents unspecified), terminated when asked.
    void init(size_t size) {
        if (size > std::numeric_limits<Size>::max()) {
            throw std::length_error("sstring too large");
        }
        if (size <= inline_capacity) {
            u.internal.size = int8_t(size);
            if constexpr (NulTerminate) {
                u.internal.str[size] = CharType();
            }
        } else {
            u.internal.size = -1;
            auto p = static_cast<CharType*>(std::malloc(size + padding()));
            if (!p) {
                throw std::bad_alloc();
            }
            u.external.str = p;
            u.external.size = Size(size);
            if constexpr (NulTerminate) {
                p[size] = CharType();
            }
        }
    }
    // Sets the length within the current capacity, terminating when asked.
    void set_size(size_t n) noexcept {
        if (is_internal()) {
            u.internal.size = int8_t(n);
        } else {
            u.external.size = Size(n);
        }
        if constexpr (NulTerminate) {
            str()[n] = CharType();
        }
    }
    void release_storage() noexcept {
        if (is_external()) {
            std::free(u.external.str);
        }
    }

public:
    using value_type = CharType;
    using traits_type = std::char_traits<CharType>;
    using allocator_type = std::allocator<CharType>;
    using reference = CharType&;
    using const_reference = const CharType&;
    using pointer = CharType*;
    using const_pointer = const CharType*;
    using iterator = CharType*;
    using const_iterator = const CharType*;
    using reverse_iterator = std::reverse_iterator<iterator>;
    using const_reverse_iterator = std::reverse_iterator<const_iterator>;
    using difference_type = std::ptrdiff_t;
    using size_type = Size;
    static constexpr size_type npos = static_cast<size_type>(-1);
    static constexpr unsigned max_size = MaxSize;

    // Tag for the constructor that leaves the characters to be written by the caller.
    struct initialized_later {};

    basic_sstring() noexcept {
        u.internal.size = 0;
        if constexpr (NulTerminate) {
            u.internal.str[0] = CharType();
        }
    }
    basic_sstring(const basic_sstring& x) : basic_sstring(x.data(), x.size()) {}
    basic_sstring(basic_sstring&& x) noexcept {
        std::memcpy(static_cast<void*>(&u), &x.u, sizeof(u));
        x.u.internal.size = 0;
        if constexpr (NulTerminate) {
            x.u.internal.str[0] = CharType();
        }
    }
    basic_sstring(initialized_later, size_t size) { init(size); }
    basic_sstring(const CharType* x, size_t size) {
        init(size);
        if (size) {
            std::memcpy(str(), x, size);
        }
    }
    basic_sstring(size_t size, CharType x) {
        init(size);
        std::memset(str(), x, size);
    }
    basic_sstring(const char* x) : basic_sstring(reinterpret_cast<const CharType*>(x), std::strlen(x)) {}
    basic_sstring(std::basic_string_view<CharType> v) : basic_sstring(v.data(), v.size()) {}
    basic_sstring(const std::basic_string<CharType>& s) : basic_sstring(s.data(), s.size()) {}
    basic_sstring(std::initializer_list<CharType> l) : basic_sstring(l.begin(), l.size()) {}
    template <typename InputIterator>
        requires(!std::is_integral_v<InputIterator>)
    basic_sstring(InputIterator first, InputIterator last) {
        if constexpr (std::is_base_of_v<std::forward_iterator_tag,
                                        typename std::iterator_traits<InputIterator>::iterator_category>) {
            init(std::distance(first, last));
            std::copy(first, last, str());
        } else {
            init(0);
            for (; first != last; ++first) {
                push_back(*first);
            }
        }
    }
    ~basic_sstring() noexcept { release_storage(); }

    basic_sstring& operator=(const basic_sstring& x) {
        if (this != &x) {
            basic_sstring tmp(x);
            swap(tmp);
        }
        return *this;
    }
    basic_sstring& operator=(basic_sstring&& x) noexcept {
        if (this != &x) {
            this->~basic_sstring();
            new (this) basic_sstring(std::move(x));
        }
        return *this;
    }
    basic_sstring& operator=(const char* x) { return *this = basic_sstring(x); }
    basic_sstring& operator=(std::basic_string_view<CharType> x) { return *this = basic_sstring(x); }

    size_t size() const noexcept { return is_internal() ? size_t(u.internal.size) : size_t(u.external.size); }
    size_t length() const noexcept { return size(); }
    bool empty() const noexcept { return size() == 0; }
    // Characters the string can hold without reallocating (its size when external).
    size_t capacity() const noexcept { return is_internal() ? inline_capacity : size(); }

    CharType* data() noexcept { return str(); }
    const CharType* data() const noexcept { return str(); }
    const CharType* c_str() const noexcept
        requires NulTerminate
    {
        return str();
    }
    iterator begin() noexcept { return str(); }
    iterator end() noexcept { return str() + size(); }
    const_iterator begin() const noexcept { return str(); }
    const_iterator end() const noexcept { return str() + size(); }
    const_iterator cbegin() const noexcept { return begin(); }
    const_iterator cend() const noexcept { return end(); }
    reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
    reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
    const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
    const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }

    CharType& operator[](size_t pos) noexcept { return str()[pos]; }
    const CharType& operator[](size_t pos) const noexcept { return str()[pos]; }
    CharType& at(size_t pos) {
        if (pos >= size()) {
            throw std::out_of_range("sstring::at out of range");
        }
        return str()[pos];
    }
    const CharType& at(size_t pos) const { return const_cast<basic_sstring*>(this)->at(pos); }
    CharType& front() noexcept { return str()[0]; }
    const CharType& front() const noexcept { return str()[0]; }
    CharType& back() noexcept { return str()[size() - 1]; }
    const CharType& back() const noexcept { return str()[size() - 1]; }

    operator std::basic_string<CharType>() const { return std::basic_string<CharType>(data(), size()); }
    operator std::basic_string_view<CharType>() const noexcept {
        return std::basic_string_view<CharType>(data(), size());
    }
    std::basic_string_view<CharType> view() const noexcept { return *this; }

    void clear() noexcept { *this = basic_sstring(); }
    void swap(basic_sstring& x) noexcept {
        contents tmp;
        std::memcpy(static_cast<void*>(&tmp), &x.u, sizeof(u));
        std::memcpy(static_cast<void*>(&x.u), &u, sizeof(u));
        std::memcpy(static_cast<void*>(&u), &tmp, sizeof(u));
    }
    friend void swap(basic_sstring& a, basic_sstring& b) noexcept { a.swap(b); }

    // Resizes to n characters; new ones are `c`. Reallocates when growing past the capacity.
    void resize(size_t n, CharType c = CharType()) {
        size_t old = size();
        if (n <= capacity()) {
            if (n > old) {
                std::memset(str() + old, c, n - old);
            }
            set_size(n);
            return;
        }
        basic_sstring tmp(initialized_later(), n);
        std::memcpy(tmp.str(), str(), old);
        std::memset(tmp.str() + old, c, n - old);
        *this = std::move(tmp);
    }
    // Resizes to n characters and lets op(data, n) write them; keeps its returned length.
    template <typename Operation>
    void resize_and_overwrite(size_t n, Operation op) {
        if (n > size()) {
            resize(n);
        }
        size_t r = std::move(op)(data(), n);
        resize(r);
    }

    basic_sstring& append(const CharType* s, size_t n) {
        if (n == 0) {
            return *this;
        }
        size_t old = size();
        if (old + n <= capacity()) {
            std::memmove(str() + old, s, n);
            set_size(old + n);
            return *this;
        }
        // An external string's buffer is exactly its size (as Seastar's): appending past the
        // inline capacity reallocates; build long strings with make_sstring or resize instead.
        basic_sstring tmp(initialized_later(), old + n);
        std::memcpy(tmp.str(), str(), old);
        std::memcpy(tmp.str() + old, s, n);
        *this = std::move(tmp);
        return *this;
    }
    void push_back(CharType c) { append(&c, 1); }
    basic_sstring& operator+=(const basic_sstring& x) { return append(x.data(), x.size()); }
    basic_sstring& operator+=(std::basic_string_view<CharType> x) { return append(x.data(), x.size()); }
    basic_sstring& operator+=(const char* x) { return append(x, std::strlen(x)); }
    basic_sstring& operator+=(CharType c) {
        push_back(c);
        return *this;
    }

    // Replaces [pos, pos + n1) with s[0, n2).
    basic_sstring& replace(size_t pos, size_t n1, const CharType* s, size_t n2) {
        if (pos > size()) {
            throw std::out_of_range("sstring::replace out of range");
        }
        n1 = std::min(n1, size() - pos);
        basic_sstring tmp(initialized_later(), size() - n1 + n2);
        std::memcpy(tmp.str(), str(), pos);
        if (n2) {
            std::memcpy(tmp.str() + pos, s, n2);
        }
        std::memcpy(tmp.str() + pos + n2, str() + pos + n1, size() - pos - n1);
        *this = std::move(tmp);
        return *this;
    }
    template <typename InputIterator>
    void insert(const_iterator p, InputIterator first, InputIterator last) {
        basic_sstring ins(first, last);
        replace(p - begin(), 0, ins.data(), ins.size());
    }
    iterator erase(iterator first, iterator last) {
        size_t pos = first - begin();
        replace(pos, last - first, nullptr, 0);
        return begin() + pos;
    }

    basic_sstring substr(size_t from, size_t len = npos) const {
        if (from > size()) {
            throw std::out_of_range("sstring::substr out of range");
        }
        return basic_sstring(str() + from, std::min(len, size() - from));
    }

    size_t find(CharType c, size_t pos = 0) const noexcept { return conv(view().find(c, pos)); }
    size_t find(std::basic_string_view<CharType> s, size_t pos = 0) const noexcept { return conv(view().find(s, pos)); }
    size_t find(const CharType* s, size_t pos = 0) const noexcept {
        return find(std::basic_string_view<CharType>(s), pos);
    }
    size_t rfind(CharType c, size_t pos = npos) const noexcept { return conv(view().rfind(c, pos)); }
    size_t rfind(std::basic_string_view<CharType> s, size_t pos = npos) const noexcept {
        return conv(view().rfind(s, pos));
    }
    size_t find_last_of(CharType c, size_t pos = npos) const noexcept { return conv(view().find_last_of(c, pos)); }
    bool starts_with(std::basic_string_view<CharType> s) const noexcept { return view().starts_with(s); }
    bool starts_with(CharType c) const noexcept { return view().starts_with(c); }
    bool ends_with(std::basic_string_view<CharType> s) const noexcept { return view().ends_with(s); }
    bool ends_with(CharType c) const noexcept { return view().ends_with(c); }
    bool contains(std::basic_string_view<CharType> s) const noexcept { return find(s) != npos; }
    bool contains(CharType c) const noexcept { return find(c) != npos; }

    int compare(std::basic_string_view<CharType> x) const noexcept { return view().compare(x); }
    int compare(size_t pos, size_t sz, std::basic_string_view<CharType> x) const { return substr(pos, sz).compare(x); }

    friend bool operator==(const basic_sstring& a, const basic_sstring& b) noexcept { return a.view() == b.view(); }
    friend bool operator==(const basic_sstring& a, const char* b) noexcept {
        return a.view() == std::basic_string_view<CharType>(b);
    }
    friend bool operator==(const basic_sstring& a, const std::basic_string<CharType>& b) noexcept {
        return a.view() == b;
    }
    friend bool operator==(const basic_sstring& a, std::basic_string_view<CharType> b) noexcept {
        return a.view() == b;
    }
    friend std::strong_ordering operator<=>(const basic_sstring& a, const basic_sstring& b) noexcept {
        return a.view() <=> b.view();
    }
    friend std::strong_ordering operator<=>(const basic_sstring& a, const char* b) noexcept {
        return a.view() <=> std::basic_string_view<CharType>(b);
    }

    friend basic_sstring operator+(const basic_sstring& a, const basic_sstring& b) { return concat(a, b); }
    friend basic_sstring operator+(const basic_sstring& a, const char* b) { return concat(a, b); }
    friend basic_sstring operator+(const char* a, const basic_sstring& b) { return concat(a, b); }
    friend basic_sstring operator+(const basic_sstring& a, CharType b) {
        basic_sstring r(a);
        r.push_back(b);
        return r;
    }
    friend basic_sstring operator+(CharType a, const basic_sstring& b) { return basic_sstring(1, a) + b; }

    friend std::ostream& operator<<(std::ostream& os, const basic_sstring& s) {
        return os.write(reinterpret_cast<const char*>(s.data()), s.size());
    }

private:
    static size_t conv(size_t p) noexcept { return p == std::basic_string_view<CharType>::npos ? npos : p; }
    static basic_sstring concat(std::basic_string_view<CharType> a, std::basic_string_view<CharType> b) {
        basic_sstring r(initialized_later(), a.size() + b.size());
        if (!a.empty()) {
            std::memcpy(r.str(), a.data(), a.size());
        }
        if (!b.empty()) {
            std::memcpy(r.str() + a.size(), b.data(), b.size());
        }
        return r;
    }
};

namespace internal {
template <typename T>
struct is_sstring : std::false_type {};
template <typename C, typename S, S M, bool N>
struct is_sstring<basic_sstring<C, S, M, N>> : std::true_type {};
} // namespace internal

// A string of `size` characters whose contents the caller writes through data().
// For sstring no initialisation is done; std::string is value-initialised (its only option).
template <typename String = sstring>
String uninitialized_string(size_t size) {
    if constexpr (internal::is_sstring<String>::value) {
        return String(typename String::initialized_later(), size);
    } else {
        String r;
        r.resize(size);
        return r;
    }
}

namespace internal {
template <typename Char>
inline std::basic_string_view<Char> as_view(const Char* s) noexcept {
    return std::basic_string_view<Char>(s);
}
template <typename T>
    requires requires(const T& s) {
        s.data();
        s.size();
    }
inline auto as_view(const T& s) noexcept {
    return std::basic_string_view<typename T::value_type>(s.data(), s.size());
}
} // namespace internal

// Concatenates string-like arguments (char pointers, std::string, string_view, sstring)
// into one string of type String, with a single allocation.
template <typename String = sstring, typename... Args>
String make_sstring(Args&&... args) {
    size_t total = (internal::as_view(args).size() + ... + 0);
    String r = uninitialized_string<String>(total);
    auto* out = r.data();
    ((out = std::copy_n(internal::as_view(args).data(), internal::as_view(args).size(), out)), ...);
    return r;
}

// Decimal (integers), shortest round-trip (floating point) or the string itself.
template <typename String = sstring, typename T>
String to_sstring(T value) {
    if constexpr (std::is_same_v<std::decay_t<T>, bool>) {
        return value ? String("true") : String("false");
    } else if constexpr (std::is_arithmetic_v<std::decay_t<T>>) {
        fmt::memory_buffer buf;
        fmt::format_to(std::back_inserter(buf), "{}", value);
        return String(buf.data(), buf.size());
    } else {
        auto v = internal::as_view(value);
        return String(v.data(), v.size());
    }
}

} // namespace seastar

template <typename C, typename S, S M, bool N>
struct std::hash<seastar::basic_sstring<C, S, M, N>> {
    size_t operator()(const seastar::basic_sstring<C, S, M, N>& s) const noexcept {
        return std::hash<std::basic_string_view<C>>()(s);
    }
};

template <typename S, S M, bool N>
struct fmt::formatter<seastar::basic_sstring<char, S, M, N>> : fmt::formatter<fmt::string_view> {
    template <typename FormatContext>
    auto format(const seastar::basic_sstring<char, S, M, N>& s, FormatContext& ctx) const {
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
    }
};
