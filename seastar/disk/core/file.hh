// Files for DMA: the `file` handle and what it reads and writes.
//
// A file is opened with open_file_dma() (seastar.hh) with O_DIRECT, so reads
// and writes go between the device and the caller's buffer without the page
// cache, through this shard's I/O queue (io_queue.hh) and the reactor's
// backend (io_uring, linux-aio; epoll hands them to a helper thread).
// On a file system without O_DIRECT (tmpfs) the file is opened buffered and
// this is logged once; the API and its alignment rules stay the same.
//
// Contract:
//   * `file` is a cheap copyable handle to one open file on one shard; copies
//     share it. close() closes it for every copy; later calls fail with
//     std::system_error(EBADF). A file not closed is closed when its last copy
//     goes (and that is logged: close() is how errors are seen).
//   * dma_read/dma_write with a position, buffer and length need the position
//     and length to be multiples of disk_read_dma_alignment() (reads) or
//     disk_write_dma_alignment() (writes) and the buffer to be aligned to
//     memory_dma_alignment(); otherwise they fail with std::invalid_argument
//     naming the alignment. Buffers must stay valid until the future
//     resolves.
//   * Reads at or past the end of the file are short: the returned count (or
//     buffer) is what exists, 0 at or after EOF. dma_read_exactly() fails
//     with file::eof_error instead. dma_read_bulk() and dma_read(pos, len)
//     accept any position and length (they read the aligned range around it
//     and trim).
//   * Every call returns its errors in the future (std::system_error with the
//     errno for syscalls); none throws. flush() is fdatasync; stat/size/
//     truncate/allocate/discard/close run on the reactor's syscall thread.
//
//     auto f = co_await seastar::open_file_dma(path, seastar::open_flags::rw | seastar::open_flags::create);
//     auto buf = seastar::allocate_aligned_buffer<char>(4096, f.memory_dma_alignment());
//     co_await f.dma_write(0, buf.get(), 4096);
//     auto data = co_await f.dma_read<char>(10, 100);   // any range
//     co_await f.close();
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "seastar/core/align.hh"
#include "seastar/core/circular_buffer.hh"
#include "seastar/core/do_with.hh"
#include "seastar/core/file-types.hh"
#include "seastar/core/future.hh"
#include "seastar/core/io_intent.hh"
#include "seastar/core/shared_ptr.hh"
#include "seastar/core/sstring.hh"
#include "seastar/core/stream.hh"
#include "seastar/core/temporary_buffer.hh"
#include "seastar/coroutine/generator.hh"

namespace seastar {

struct directory_entry {
    // The last component only; never "." or "..".
    sstring name;
    // Empty when the file system does not say (then ask file_type()).
    std::optional<directory_entry_type> type;
};

// An entry of the group database (struct group of <grp.h>), from getgrnam().
struct group_details {
    sstring group_name;
    sstring group_passwd;
    gid_t group_id;
    std::vector<sstring> group_members;
};

// What file_stat() returns.
struct stat_data {
    uint64_t device_id = 0;
    uint64_t inode_number = 0;
    uint64_t mode = 0;
    directory_entry_type type = directory_entry_type::unknown;
    uint64_t number_of_links = 0;
    uint64_t uid = 0;
    uint64_t gid = 0;
    uint64_t rdev = 0;
    uint64_t size = 0;
    uint64_t block_size = 0;
    uint64_t allocated_size = 0;
    std::chrono::system_clock::time_point time_accessed;
    std::chrono::system_clock::time_point time_modified;
    std::chrono::system_clock::time_point time_changed;
};

struct file_open_options {
    // XFS: the extent size hint set on a new file (so appends allocate in
    // large extents). Ignored on other file systems.
    uint64_t extent_allocation_size_hint = 1 << 20;
    // Seastar lets an appending file's size lag behind its writes when this is
    // set; here writes always keep the size exact, so it only asserts intent.
    bool sloppy_size = false;
    uint64_t sloppy_size_hint = 1 << 20;
    file_permissions create_permissions = file_permissions::default_file_permissions;
    bool append_is_unlikely = false;

    // The largest extent size hint XFS takes (its fsx_extsize is 32 bits).
    static constexpr uint64_t max_extent_allocation_size_hint = 1u << 31;
    // Extent size hints are rounded to this.
    static constexpr uint32_t min_extent_size_hint_alignment = 128u << 10;
};

class file;
class file_handle_impl;

// The interface behind `file`: the POSIX implementation (posix_file.cc), or
// a user's (a wrapper usually derives from layered_file_impl,
// <seastar/core/layered_file.hh>). Overrides may throw; `file` turns that
// into a failed future.
class file_impl {
    friend class file;

protected:
    // The implementation behind another file (for wrappers).
    static file_impl* get_file_impl(file& f);

public:
    virtual ~file_impl() = default;

    // Learned per file when it is opened; public here (Seastar keeps them
    // protected) so code of this package reads them without friendship.
    uint32_t _memory_dma_alignment = 4096;
    uint32_t _disk_read_dma_alignment = 4096;
    uint32_t _disk_write_dma_alignment = 4096;
    // Overwriting blocks written before may use this finer alignment.
    uint32_t _disk_overwrite_dma_alignment = 4096;
    // The largest single read or write the file takes.
    uint32_t _read_max_length = 1u << 30;
    uint32_t _write_max_length = 1u << 30;

    virtual future<size_t> write_dma(uint64_t pos, const void* buffer, size_t len, io_intent* intent) = 0;
    virtual future<size_t> write_dma(uint64_t pos, std::vector<iovec> iov, io_intent* intent) = 0;
    virtual future<size_t> read_dma(uint64_t pos, void* buffer, size_t len, io_intent* intent) = 0;
    virtual future<size_t> read_dma(uint64_t pos, std::vector<iovec> iov, io_intent* intent) = 0;
    virtual future<> flush() = 0;
    virtual future<struct stat> stat() = 0;
    virtual future<> truncate(uint64_t length) = 0;
    virtual future<> discard(uint64_t offset, uint64_t length) = 0;
    // ioctl(2)/fcntl(2) on the file: the plain forms run on the syscall
    // thread, the _short forms on the reactor (for calls that never block).
    // The defaults fail with std::system_error(ENOTSUP).
    virtual future<int> ioctl(uint64_t cmd, void* argp) noexcept;
    virtual future<int> ioctl_short(uint64_t cmd, void* argp) noexcept;
    virtual future<int> fcntl(int op, uintptr_t arg) noexcept;
    virtual future<int> fcntl_short(int op, uintptr_t arg) noexcept;
    virtual future<> allocate(uint64_t position, uint64_t length) = 0;
    virtual future<uint64_t> size() = 0;
    virtual future<> close() = 0;
    // A handle another shard can open this file from (file::dup()). The
    // default: this kind of file cannot be shared (std::runtime_error).
    virtual std::unique_ptr<file_handle_impl> dup();
    virtual subscription<directory_entry> list_directory(std::function<future<>(directory_entry de)> next) = 0;
    // The entries as a generator. The default runs list_directory() and
    // hands its entries over one at a time.
    virtual coroutine::experimental::generator<directory_entry> experimental_list_directory();
    // [offset, offset + range_size) at any position and length, shorter at
    // EOF, in a buffer aligned for DMA. The default reads the aligned range
    // around it with read_dma() and trims.
    virtual future<temporary_buffer<uint8_t>> dma_read_bulk(uint64_t offset, size_t range_size, io_intent* intent);
};

// What file_handle holds: the file, reopenable on any shard.
class file_handle_impl {
public:
    virtual ~file_handle_impl() = default;
    virtual std::unique_ptr<file_handle_impl> clone() const = 0;
    // A file of the calling shard, open on the same file.
    virtual shared_ptr<file_impl> to_file() && = 0;
};

// A file_impl over an fd the caller opened (with `oflags`, as given to
// open(2); O_DIRECT in them means DMA): learns the alignments and takes the
// fd (closed by the file's close()). On failure the fd is left to the caller.
// Defined by //seastar/disk:seastar (open_file_dma's package).
future<shared_ptr<file_impl>> make_file_impl(int fd, file_open_options options, int oflags) noexcept;
future<shared_ptr<file_impl>> make_file_impl(int fd, file_open_options options, int oflags, struct stat st) noexcept;

class file_handle;

class file {
    shared_ptr<file_impl> _file_impl;
    friend class file_impl;

public:
    // Thrown (in the future) by dma_read_exactly() when the file ends first.
    class eof_error : public std::exception {
    public:
        const char* what() const noexcept override { return "the file ended before the requested range"; }
    };

    file() noexcept = default;
    file(shared_ptr<file_impl> impl) noexcept : _file_impl(std::move(impl)) {}
    // Opens the file of a handle from another shard (as handle.to_file(),
    // but noexcept: a failure aborts).
    explicit file(file_handle&& handle) noexcept;

    explicit operator bool() const noexcept { return bool(_file_impl); }

    uint64_t disk_read_dma_alignment() const noexcept { return _file_impl->_disk_read_dma_alignment; }
    uint64_t disk_write_dma_alignment() const noexcept { return _file_impl->_disk_write_dma_alignment; }
    uint64_t disk_overwrite_dma_alignment() const noexcept { return _file_impl->_disk_overwrite_dma_alignment; }
    uint64_t memory_dma_alignment() const noexcept { return _file_impl->_memory_dma_alignment; }
    // The largest single dma_read()/dma_write() the file takes.
    size_t disk_read_max_length() const noexcept { return _file_impl->_read_max_length; }
    size_t disk_write_max_length() const noexcept { return _file_impl->_write_max_length; }

    template <typename CharType>
    future<size_t> dma_read(uint64_t aligned_pos, CharType* aligned_buffer, size_t aligned_len,
                            io_intent* intent = nullptr) noexcept {
        return futurize_invoke([&] { return _file_impl->read_dma(aligned_pos, aligned_buffer, aligned_len, intent); });
    }
    future<size_t> dma_read(uint64_t pos, std::vector<iovec> iov, io_intent* intent = nullptr) noexcept {
        return futurize_invoke([&] { return _file_impl->read_dma(pos, std::move(iov), intent); });
    }
    // Reads [pos, pos + len) at any position and length; shorter at EOF.
    template <typename CharType>
    future<temporary_buffer<CharType>> dma_read(uint64_t pos, size_t len, io_intent* intent = nullptr) noexcept {
        return dma_read_bulk<CharType>(pos, len, intent);
    }
    // Like dma_read(pos, len) but fails with eof_error when the file is shorter.
    template <typename CharType>
    future<temporary_buffer<CharType>> dma_read_exactly(uint64_t pos, size_t len,
                                                        io_intent* intent = nullptr) noexcept {
        return dma_read_bulk<CharType>(pos, len, intent).then([len](temporary_buffer<CharType> buf) {
            if (buf.size() < len) {
                return make_exception_future<temporary_buffer<CharType>>(eof_error());
            }
            return make_ready_future<temporary_buffer<CharType>>(std::move(buf));
        });
    }
    // Reads the aligned range around [offset, offset + range_size) and returns
    // exactly that range (shorter at EOF), in a buffer aligned for DMA.
    template <typename CharType>
    future<temporary_buffer<CharType>> dma_read_bulk(uint64_t offset, size_t range_size,
                                                     io_intent* intent = nullptr) noexcept {
        return futurize_invoke([&] { return _file_impl->dma_read_bulk(offset, range_size, intent); })
            .then([](temporary_buffer<uint8_t> b) {
                return make_ready_future<temporary_buffer<CharType>>(
                    temporary_buffer<CharType>(reinterpret_cast<CharType*>(b.get_write()), b.size(), b.release()));
            });
    }

    template <typename CharType>
    future<size_t> dma_write(uint64_t pos, const CharType* buffer, size_t len, io_intent* intent = nullptr) noexcept {
        return futurize_invoke([&] { return _file_impl->write_dma(pos, buffer, len, intent); });
    }
    future<size_t> dma_write(uint64_t pos, std::vector<iovec> iov, io_intent* intent = nullptr) noexcept {
        return futurize_invoke([&] { return _file_impl->write_dma(pos, std::move(iov), intent); });
    }

    future<> flush() noexcept {
        return futurize_invoke([&] { return _file_impl->flush(); });
    }
    future<struct stat> stat() noexcept {
        return futurize_invoke([&] { return _file_impl->stat(); });
    }
    future<> truncate(uint64_t length) noexcept {
        return futurize_invoke([&] { return _file_impl->truncate(length); });
    }
    // Reserves blocks for [position, position + length) without changing the size.
    future<> allocate(uint64_t position, uint64_t length) noexcept {
        return futurize_invoke([&] { return _file_impl->allocate(position, length); });
    }
    // Frees the blocks of [offset, offset + length) (reads then give zeros).
    future<> discard(uint64_t offset, uint64_t length) noexcept {
        return futurize_invoke([&] { return _file_impl->discard(offset, length); });
    }
    future<uint64_t> size() const noexcept {
        return futurize_invoke([&] { return _file_impl->size(); });
    }
    future<> close() noexcept {
        return futurize_invoke([&] { return _file_impl->close(); });
    }
    // ioctl(2) on the file (on the syscall thread); the result of the call,
    // or std::system_error with its errno.
    future<int> ioctl(uint64_t cmd, void* argp) noexcept { return _file_impl->ioctl(cmd, argp); }
    // The same on the reactor thread, for requests that never block.
    future<int> ioctl_short(uint64_t cmd, void* argp) noexcept { return _file_impl->ioctl_short(cmd, argp); }
    // fcntl(2) on the file (on the syscall thread), as ioctl().
    future<int> fcntl(int op, uintptr_t arg = 0UL) noexcept { return _file_impl->fcntl(op, arg); }
    future<int> fcntl_short(int op, uintptr_t arg = 0UL) noexcept { return _file_impl->fcntl_short(op, arg); }
    // The write lifetime hint of the file's inode (F_SET_RW_HINT: one of
    // RWH_WRITE_LIFE_NOT_SET, _NONE, _SHORT, _MEDIUM, _LONG, _EXTREME), which
    // lets a device place data that dies together; std::system_error (EINVAL)
    // for a value outside that set or a file system that has no such hints.
    future<> set_inode_lifetime_hint(uint64_t hint) noexcept;
    future<uint64_t> get_inode_lifetime_hint() noexcept;
    // For a directory opened with open_directory(): calls `next` with each
    // entry (not "." or ".."), waiting for each call.
    subscription<directory_entry> list_directory(std::function<future<>(directory_entry de)> next);
    // The same entries, pulled one at a time:
    //     auto g = dir.experimental_list_directory();
    //     for (auto it = co_await g.begin(); it != g.end(); co_await ++it) { use(it->name); }
    coroutine::experimental::generator<directory_entry> experimental_list_directory();
    // A handle to this file that may be moved or copied to another shard,
    // which opens the file there with to_file(). Throws std::system_error
    // (EBADF) for a closed file.
    file_handle dup();
};

// A file that can cross shards (Seastar's file_handle), from file::dup():
// copy or move it to another shard and call to_file() there. Each to_file()
// gives a file of its own (close it as any file); the handle keeps the file
// open until its last copy is gone, whatever happens to the original. A
// handle of a directory shares its read position with the original, so two
// shards listing one directory at once interleave.
class file_handle {
    std::unique_ptr<file_handle_impl> _impl;

public:
    explicit file_handle(std::unique_ptr<file_handle_impl> impl) noexcept : _impl(std::move(impl)) {}
    file_handle(const file_handle& x) : _impl(x._impl->clone()) {}
    file_handle(file_handle&&) noexcept = default;
    file_handle& operator=(const file_handle& x) {
        if (this != &x) {
            _impl = x._impl->clone();
        }
        return *this;
    }
    file_handle& operator=(file_handle&&) noexcept = default;
    ~file_handle() = default;

    // Opens the file on the calling shard; throws std::system_error.
    file to_file() const& { return file_handle(*this).to_file(); }
    file to_file() && { return file(std::move(*_impl).to_file()); }
};

inline file_handle file::dup() {
    return file_handle(_file_impl->dup());
}

inline file::file(file_handle&& handle) noexcept : file(std::move(handle).to_file()) {}

inline file_impl* file_impl::get_file_impl(file& f) {
    return f._file_impl.get();
}

// Calls func(f) on the file that `file_fut` gives, then closes the file
// whatever func's future did, and returns func's result. func's failure wins
// over close()'s; after a success, a failed close() fails the result. If the
// file could not be opened, func is not called and the open's error is
// returned. func is kept alive until its future resolves; it must not close
// the file itself (the second close() fails with EBADF).
//
//     co_await seastar::with_file(seastar::open_file_dma(path, seastar::open_flags::ro),
//                                 [](seastar::file& f) { return f.size(); });
template <typename Func>
    requires std::invocable<Func, file&>
auto with_file(future<file> file_fut, Func func) noexcept {
    static_assert(std::is_nothrow_move_constructible_v<Func>, "with_file: Func's move must not throw");
    return file_fut.then([func = std::move(func)](file f) mutable {
        // func lives until its future resolves (a coroutine lambda's frame
        // reads its captures).
        return do_with(std::move(f), std::move(func), [](file& f, Func& func) {
            return futurize_invoke(func, f).finally([&f] { return f.close(); });
        });
    });
}

// Like with_file(), but closes the file only if func fails: on success the
// file stays open for the caller (who holds a copy of it, or reopens it).
template <typename Func>
    requires std::invocable<Func, file&>
auto with_file_close_on_failure(future<file> file_fut, Func func) noexcept {
    static_assert(std::is_nothrow_move_constructible_v<Func>, "with_file_close_on_failure: Func's move must not throw");
    return file_fut.then([func = std::move(func)](file f) mutable {
        return do_with(std::move(f), std::move(func), [](file& f, Func& func) {
            using result = futurize_t<std::invoke_result_t<Func, file&>>;
            return futurize_invoke(func, f).then_wrapped([&f](result r) {
                if (!r.failed()) {
                    return r;
                }
                return r.finally([&f] { return f.close(); });
            });
        });
    });
}

} // namespace seastar
