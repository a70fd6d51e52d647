// Memory for DMA: buffers aligned to what O_DIRECT needs
// (file::memory_dma_alignment()).
//
// Contract: allocate_aligned_buffer<T>(size, align) returns a buffer of
// `size` bytes whose address is a multiple of `align` (a power of two, at
// least sizeof(void*)); it throws std::bad_alloc when memory runs out and
// std::invalid_argument for an alignment that is not a power of two. The
// buffer is freed with free() by its deleter.
//
//     auto buf = seastar::allocate_aligned_buffer<char>(4096, 4096);
//     co_await f.dma_write(0, buf.get(), 4096);
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>

namespace seastar {

struct free_deleter {
    void operator()(void* p) const noexcept { ::free(p); }
};

template <typename CharType>
inline std::unique_ptr<CharType[], free_deleter> allocate_aligned_buffer(size_t size, size_t align) {
    static_assert(sizeof(CharType) == 1, "must allocate byte type");
    if (align < sizeof(void*) || (align & (align - 1)) != 0) {
        throw std::invalid_argument("allocate_aligned_buffer: alignment must be a power of two >= sizeof(void*)");
    }
    void* p = nullptr;
    // posix_memalign accepts size 0; ask for at least one byte so the
    // pointer is always a real, distinct allocation.
    if (::posix_memalign(&p, align, size ? size : 1) != 0) {
        throw std::bad_alloc();
    }
    return std::unique_ptr<CharType[], free_deleter>(reinterpret_cast<CharType*>(p));
}

} // namespace seastar
