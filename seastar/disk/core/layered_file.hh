// layered_file_impl: the base of a file_impl that wraps another file (to
// count, throttle, encrypt or check its I/O) and forwards what it does not
// change to it.
//
// Contract: the wrapper starts with the underlying file's alignments and
// maximum lengths; it owns its copy of the underlying `file` handle, so
// closing the wrapper must close it (forward close()). Everything else is
// file_impl's: a derived class still implements every pure virtual, usually
// by calling underlying_file().
//
//     class counting_file : public seastar::layered_file_impl {
//     public:
//         using layered_file_impl::layered_file_impl;
//         uint64_t reads = 0;
//         seastar::future<size_t> read_dma(uint64_t pos, void* buf, size_t len, seastar::io_intent* i) override {
//             ++reads;
//             return underlying_file().dma_read(pos, static_cast<char*>(buf), len, i);
//         }
//         ...
//     };
//     seastar::file f(seastar::make_shared<counting_file>(std::move(real)));
#pragma once

#include <utility>

#include "seastar/core/file.hh"

namespace seastar {

class layered_file_impl : public file_impl {
protected:
    file _underlying_file;

public:
    explicit layered_file_impl(file underlying_file) noexcept : _underlying_file(std::move(underlying_file)) {
        _memory_dma_alignment = uint32_t(_underlying_file.memory_dma_alignment());
        _disk_read_dma_alignment = uint32_t(_underlying_file.disk_read_dma_alignment());
        _disk_write_dma_alignment = uint32_t(_underlying_file.disk_write_dma_alignment());
        _disk_overwrite_dma_alignment = uint32_t(_underlying_file.disk_overwrite_dma_alignment());
        _read_max_length = uint32_t(_underlying_file.disk_read_max_length());
        _write_max_length = uint32_t(_underlying_file.disk_write_max_length());
    }

protected:
    file& underlying_file() noexcept { return _underlying_file; }
    const file& underlying_file() const noexcept { return _underlying_file; }
};

} // namespace seastar
