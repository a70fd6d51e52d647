// The POSIX implementation of file_impl: an fd opened (normally with
// O_DIRECT) by open_file_dma()/open_directory(), whose reads and writes go
// through this shard's I/O queue for the fd's device.
//
// Contract: reactor thread only. make_posix_file() takes ownership of `fd`
// (closed by close() or, failing that, by the destructor, which logs it),
// learns the DMA alignments (statx STATX_DIOALIGN; for block devices the
// logical/physical sector sizes; else st_blksize) and throws
// std::system_error if fstat fails.
#pragma once

#include <memory>
#include <string>

#include "seastar/core/file.hh"

namespace seastar::internal {

shared_ptr<file_impl> make_posix_file(int fd, std::string name, bool direct_io);

// Tests: treat every file system as lacking O_DIRECT (as tmpfs once did),
// so the buffered fallback runs. Process-wide.
void simulate_no_direct_io(bool on) noexcept;
bool direct_io_simulated_unavailable() noexcept;

} // namespace seastar::internal
