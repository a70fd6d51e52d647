// temporary_buffer<CharType>: a byte range plus the deleter that keeps its
// memory alive. The unit of data that streams, sockets and files pass around:
// it can own its memory, share it with other buffers (reference counted, no
// copy), or view a sub-range of it.
//
// Contract:
//   * One thread (shard), like deleter.
//   * Move-only. share() returns another view of the same bytes (no copy); the
//     memory is released when the last view is gone. Shared bytes are not
//     copy-on-write: writing through get_write() is seen by every view.
//   * Allocation: temporary_buffer(size), aligned() and copy_of() allocate with
//     malloc and throw std::bad_alloc on failure; share() may allocate one
//     deleter node. trim(), trim_front(), prefix() never allocate or throw.
//   * Size arguments beyond size() are caller errors (asserted), as in Seastar.
//
// Example:
//
//     auto buf = seastar::temporary_buffer<char>::copy_of("hello world");
//     auto word = buf.share(6, 5);   // "world", no copy
//     buf.trim(5);                   // "hello"
//     // the bytes are freed once both buf and word are destroyed
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

#include "seastar/core/deleter.hh"

namespace seastar {

template <typename CharType>
class temporary_buffer {
    static_assert(sizeof(CharType) == 1, "must buffer stream of bytes");
    CharType* _buffer;
    std::size_t _size;
    deleter _deleter;

public:
    // A buffer of `size` uninitialized bytes, owned (malloc). Throws std::bad_alloc.
    explicit temporary_buffer(std::size_t size)
        : _buffer(static_cast<CharType*>(std::malloc(size * sizeof(CharType)))), _size(size),
          _deleter(make_free_deleter(_buffer)) {
        if (size && !_buffer) {
            throw std::bad_alloc();
        }
    }
    temporary_buffer() noexcept : _buffer(nullptr), _size(0) {}
    temporary_buffer(const temporary_buffer&) = delete;
    temporary_buffer& operator=(const temporary_buffer&) = delete;
    temporary_buffer(temporary_buffer&& x) noexcept
        : _buffer(std::exchange(x._buffer, nullptr)), _size(std::exchange(x._size, 0)),
          _deleter(std::move(x._deleter)) {}
    temporary_buffer& operator=(temporary_buffer&& x) noexcept {
        if (this != &x) {
            _buffer = std::exchange(x._buffer, nullptr);
            _size = std::exchange(x._size, 0);
            _deleter = std::move(x._deleter);
        }
        return *this;
    }
    // Views [buf, buf+size) and keeps `d` until the last view is gone.
    temporary_buffer(CharType* buf, std::size_t size, deleter d) noexcept
        : _buffer(buf), _size(size), _deleter(std::move(d)) {}
    // An owned copy of [src, src+size).
    temporary_buffer(const CharType* src, std::size_t size) : temporary_buffer(size) {
        if (size) {
            std::memcpy(_buffer, src, size);
        }
    }

    const CharType* get() const noexcept { return _buffer; }
    CharType* get_write() noexcept { return _buffer; }
    std::size_t size() const noexcept { return _size; }
    const CharType* begin() const noexcept { return _buffer; }
    const CharType* end() const noexcept { return _buffer + _size; }
    CharType operator[](std::size_t pos) const noexcept { return _buffer[pos]; }
    bool empty() const noexcept { return !_size; }
    explicit operator bool() const noexcept { return _size; }

    // Consumes this buffer and returns its first `size` bytes.
    temporary_buffer prefix(std::size_t size) && noexcept {
        assert(size <= _size);
        auto ret = std::move(*this);
        ret._size = size;
        return ret;
    }
    // Another view of all the bytes (no copy).
    temporary_buffer share() { return temporary_buffer(_buffer, _size, _deleter.share()); }
    // Another view of [pos, pos+len) (no copy).
    temporary_buffer share(std::size_t pos, std::size_t len) {
        assert(pos <= _size && len <= _size - pos);
        auto ret = share();
        ret._buffer += pos;
        ret._size = len;
        return ret;
    }
    // An owned copy of the bytes.
    temporary_buffer clone() const { return temporary_buffer(_buffer, _size); }
    // Drops the first `pos` bytes.
    void trim_front(std::size_t pos) noexcept {
        assert(pos <= _size);
        _buffer += pos;
        _size -= pos;
    }
    // Keeps only the first `pos` bytes.
    void trim(std::size_t pos) noexcept {
        assert(pos <= _size);
        _size = pos;
    }
    // Gives up ownership: the caller gets the deleter, this buffer becomes empty.
    deleter release() noexcept {
        _buffer = nullptr;
        _size = 0;
        return std::move(_deleter);
    }
    // An owned buffer of `size` bytes whose address is a multiple of `alignment`
    // (a power of two). Throws std::bad_alloc.
    static temporary_buffer aligned(std::size_t alignment, std::size_t size) {
        void* ptr = nullptr;
        auto ret = ::posix_memalign(&ptr, std::max(alignment, sizeof(void*)), size * sizeof(CharType));
        if (ret) {
            throw std::bad_alloc();
        }
        auto buf = static_cast<CharType*>(ptr);
        return temporary_buffer(buf, size, make_free_deleter(buf));
    }
    // An owned copy of `view`.
    static temporary_buffer copy_of(std::string_view view) {
        return temporary_buffer(reinterpret_cast<const CharType*>(view.data()), view.size());
    }

    // Compares contents (not identity).
    bool operator==(const temporary_buffer& o) const noexcept {
        return _size == o._size && (!_size || std::memcmp(_buffer, o._buffer, _size) == 0);
    }
    bool operator!=(const temporary_buffer& o) const noexcept { return !(*this == o); }
};

} // namespace seastar
