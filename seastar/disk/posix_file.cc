#include "seastar/disk/internal/posix_file.hh"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/io_queue.hh"
#include "seastar/core/reactor.hh"
#include "seastar/util/log.hh"

namespace seastar {

namespace {

logger file_log("file");

std::atomic<bool> no_direct_io{false};

[[noreturn]] void throw_errno(int err, const std::string& what) {
    throw std::system_error(err, std::system_category(), what);
}

// The result of an ioctl/fcntl, or std::system_error naming the call and file.
int call_checked(const char* what, const std::string& name, int r) {
    if (r < 0) {
        throw_errno(errno, std::string(what) + " " + name);
    }
    return r;
}

std::string describe_alignment(const char* what, uint64_t value, uint64_t alignment, const char* kind,
                               const std::string& name) {
    return std::string("DMA ") + what + " of " + name + ": " + kind + " " + std::to_string(value) +
           " is not a multiple of the required alignment " + std::to_string(alignment);
}

// A posix file reopenable on any shard: a duplicate of its fd, closed with
// the last copy of the handle; each to_file() duplicates it again.
class posix_file_handle_impl final : public file_handle_impl {
    std::shared_ptr<const int> _fd;
    std::string _name;
    bool _direct;

public:
    posix_file_handle_impl(std::shared_ptr<const int> fd, std::string name, bool direct)
        : _fd(std::move(fd)), _name(std::move(name)), _direct(direct) {}
    std::unique_ptr<file_handle_impl> clone() const override {
        return std::make_unique<posix_file_handle_impl>(_fd, _name, _direct);
    }
    shared_ptr<file_impl> to_file() && override;
};

// A duplicate of `fd` (close-on-exec), as a shared handle that closes it.
std::shared_ptr<const int> duplicate_fd(int fd, const std::string& name) {
    int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) {
        throw_errno(errno, "dup " + name);
    }
    try {
        return std::shared_ptr<const int>(new int(d), [](const int* p) {
            ::close(*p);
            delete p;
        });
    } catch (...) {
        ::close(d);
        throw;
    }
}

class posix_file_impl final : public file_impl, public enable_shared_from_this<posix_file_impl> {
    int _fd;
    std::string _name;
    dev_t _dev = 0;
    bool _direct;

    void check_open() const {
        if (_fd < 0) {
            throw_errno(EBADF, "file " + _name + " is closed");
        }
    }
    void check(const char* what, uint64_t pos, const void* buf, size_t len, uint64_t disk_align) const {
        check_open();
        if (pos % disk_align) {
            throw std::invalid_argument(describe_alignment(what, pos, disk_align, "position", _name));
        }
        if (len % disk_align) {
            throw std::invalid_argument(describe_alignment(what, len, disk_align, "length", _name));
        }
        if (uintptr_t(buf) % _memory_dma_alignment) {
            throw std::invalid_argument(
                describe_alignment(what, uintptr_t(buf), _memory_dma_alignment, "buffer address", _name));
        }
    }
    void check(const char* what, uint64_t pos, const std::vector<iovec>& iov, uint64_t disk_align) const {
        check_open();
        if (pos % disk_align) {
            throw std::invalid_argument(describe_alignment(what, pos, disk_align, "position", _name));
        }
        for (auto& v : iov) {
            check(what, pos, v.iov_base, v.iov_len, disk_align);
        }
    }
    static size_t total(const std::vector<iovec>& iov) noexcept {
        size_t n = 0;
        for (auto& v : iov) {
            n += v.iov_len;
        }
        return n;
    }
    future<size_t> vectored(io_direction dir, uint64_t pos, std::vector<iovec> iov, io_intent* intent) {
        auto v = std::make_unique<std::vector<iovec>>(std::move(iov));
        auto len = total(*v);
        auto req = dir == io_direction::read ? internal::io_request::make_readv(_fd, pos, v->data(), v->size())
                                             : internal::io_request::make_writev(_fd, pos, v->data(), v->size());
        return internal::get_io_queue(_dev).submit(req, dir, len, intent).finally([v = std::move(v)] {});
    }
    template <typename Func>
    auto blocking(Func f) {
        check_open();
        return engine().run_blocking(std::move(f));
    }

public:
    posix_file_impl(int fd, std::string name, bool direct) : _fd(fd), _name(std::move(name)), _direct(direct) {
        struct ::stat st{};
        if (::fstat(fd, &st) != 0) {
            throw_errno(errno, "fstat " + _name);
        }
        _dev = st.st_dev;
        uint32_t disk = st.st_blksize > 0 ? uint32_t(st.st_blksize) : 4096;
        uint32_t read_align = disk;
        uint32_t write_align = disk;
        uint32_t mem_align = 4096;
        struct ::statx stx{};
        if (S_ISBLK(st.st_mode)) {
            int logical = 0;
            unsigned physical = 0;
            if (::ioctl(fd, BLKSSZGET, &logical) == 0 && logical > 0) {
                read_align = uint32_t(logical);
                mem_align = uint32_t(logical);
                write_align = read_align;
                if (::ioctl(fd, BLKPBSZGET, &physical) == 0 && physical >= unsigned(logical)) {
                    write_align = physical;
                }
            }
        } else if (direct && ::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
                   (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
            read_align = stx.stx_dio_offset_align;
            // Writes smaller than a file-system block make it read, modify
            // and write the block: ask for whole blocks (up to 4 KiB).
            write_align = std::max<uint32_t>(read_align, std::min<uint32_t>(disk, 4096));
            mem_align = std::max<uint32_t>(stx.stx_dio_mem_align, sizeof(void*));
        }
        _disk_read_dma_alignment = read_align;
        _disk_write_dma_alignment = write_align;
        // Blocks written before may be overwritten at the device's own
        // granularity; new blocks best in whole file-system blocks.
        _disk_overwrite_dma_alignment = read_align;
        _memory_dma_alignment = mem_align;
        // The kernel moves at most 2 GiB less a page in one call; keep to
        // whole aligned units below 1 GiB.
        _read_max_length = _write_max_length = 1u << 30;
    }
    ~posix_file_impl() override {
        if (_fd >= 0) {
            file_log.warn("file {} destroyed without close(); closing it", _name);
            ::close(_fd);
        }
    }

    future<size_t> write_dma(uint64_t pos, const void* buffer, size_t len, io_intent* intent) override {
        check("write", pos, buffer, len, _disk_overwrite_dma_alignment);
        return internal::get_io_queue(_dev).submit(internal::io_request::make_write(_fd, pos, buffer, len),
                                                   io_direction::write, len, intent);
    }
    future<size_t> write_dma(uint64_t pos, std::vector<iovec> iov, io_intent* intent) override {
        check("write", pos, iov, _disk_overwrite_dma_alignment);
        return vectored(io_direction::write, pos, std::move(iov), intent);
    }
    future<size_t> read_dma(uint64_t pos, void* buffer, size_t len, io_intent* intent) override {
        check("read", pos, buffer, len, _disk_read_dma_alignment);
        return internal::get_io_queue(_dev).submit(internal::io_request::make_read(_fd, pos, buffer, len),
                                                   io_direction::read, len, intent);
    }
    future<size_t> read_dma(uint64_t pos, std::vector<iovec> iov, io_intent* intent) override {
        check("read", pos, iov, _disk_read_dma_alignment);
        return vectored(io_direction::read, pos, std::move(iov), intent);
    }
    future<> flush() override {
        check_open();
        return engine().submit_io(internal::io_request::make_fdatasync(_fd)).discard_result();
    }
    future<struct stat> stat() override {
        return blocking([fd = _fd, name = _name] {
            struct ::stat st{};
            if (::fstat(fd, &st) != 0) {
                throw_errno(errno, "fstat " + name);
            }
            return st;
        });
    }
    future<> truncate(uint64_t length) override {
        return blocking([fd = _fd, name = _name, length] {
            if (::ftruncate(fd, off_t(length)) != 0) {
                throw_errno(errno, "ftruncate " + name);
            }
        });
    }
    future<> discard(uint64_t offset, uint64_t length) override {
        return blocking([fd = _fd, name = _name, offset, length] {
            if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(offset), off_t(length)) != 0) {
                throw_errno(errno, "fallocate(punch hole) " + name);
            }
        });
    }
    future<> allocate(uint64_t position, uint64_t length) override {
        return blocking([fd = _fd, name = _name, position, length] {
            if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, off_t(position), off_t(length)) != 0) {
                throw_errno(errno, "fallocate " + name);
            }
        });
    }
    future<uint64_t> size() override {
        return stat().then([](struct stat st) { return uint64_t(st.st_size); });
    }
    future<> close() override {
        check_open();
        auto fd = std::exchange(_fd, -1);
        return engine().run_blocking([fd, name = _name] {
            if (::close(fd) != 0) {
                throw_errno(errno, "close " + name);
            }
        });
    }
    future<int> ioctl(uint64_t cmd, void* argp) noexcept override {
        return futurize_invoke([&] {
            return blocking(
                [fd = _fd, name = _name, cmd, argp] { return call_checked("ioctl", name, ::ioctl(fd, cmd, argp)); });
        });
    }
    future<int> ioctl_short(uint64_t cmd, void* argp) noexcept override {
        return futurize_invoke([&] {
            check_open();
            return call_checked("ioctl", _name, ::ioctl(_fd, cmd, argp));
        });
    }
    future<int> fcntl(int op, uintptr_t arg) noexcept override {
        return futurize_invoke([&] {
            return blocking(
                [fd = _fd, name = _name, op, arg] { return call_checked("fcntl", name, ::fcntl(fd, op, arg)); });
        });
    }
    future<int> fcntl_short(int op, uintptr_t arg) noexcept override {
        return futurize_invoke([&] {
            check_open();
            return call_checked("fcntl", _name, ::fcntl(_fd, op, arg));
        });
    }
    subscription<directory_entry> list_directory(std::function<future<>(directory_entry de)> next) override;
    coroutine::experimental::generator<directory_entry> experimental_list_directory() override;
    std::unique_ptr<file_handle_impl> dup() override {
        check_open();
        return std::make_unique<posix_file_handle_impl>(duplicate_fd(_fd, _name), _name, _direct);
    }
};

shared_ptr<file_impl> posix_file_handle_impl::to_file() && {
    int fd = ::fcntl(*_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        throw_errno(errno, "dup " + _name);
    }
    try {
        return seastar::make_shared<posix_file_impl>(fd, _name, _direct);
    } catch (...) {
        ::close(fd);
        throw;
    }
}

directory_entry_type dirent_type(unsigned char t) noexcept {
    switch (t) {
    case DT_BLK:
        return directory_entry_type::block_device;
    case DT_CHR:
        return directory_entry_type::char_device;
    case DT_DIR:
        return directory_entry_type::directory;
    case DT_FIFO:
        return directory_entry_type::fifo;
    case DT_LNK:
        return directory_entry_type::link;
    case DT_REG:
        return directory_entry_type::regular;
    case DT_SOCK:
        return directory_entry_type::socket;
    default:
        return directory_entry_type::unknown;
    }
}

// Reads the next batch of entries of the directory `fd` (empty at the end).
std::vector<directory_entry> read_entries(int fd, const std::string& name) {
    alignas(8) char buf[8192];
    auto n = ::getdents64(fd, buf, sizeof(buf));
    if (n < 0) {
        throw_errno(errno, "getdents64 " + name);
    }
    std::vector<directory_entry> out;
    for (ssize_t off = 0; off < n;) {
        auto d = reinterpret_cast<const ::dirent64*>(buf + off);
        off += d->d_reclen;
        std::string_view entry(d->d_name);
        if (entry == "." || entry == "..") {
            continue;
        }
        directory_entry de{sstring(entry.data(), entry.size()), std::nullopt};
        if (d->d_type != DT_UNKNOWN) {
            de.type = dirent_type(d->d_type);
        }
        out.push_back(std::move(de));
    }
    return out;
}

// Feeds the entries of `entries` to `next`, one at a time.
future<> list_entries(coroutine::experimental::generator<directory_entry> entries,
                      std::function<future<>(directory_entry)> next) {
    for (auto it = co_await entries.begin(); it != entries.end(); co_await ++it) {
        co_await next(std::move(*it));
    }
}

subscription<directory_entry> posix_file_impl::list_directory(std::function<future<>(directory_entry de)> next) {
    return subscription<directory_entry>(list_entries(experimental_list_directory(), std::move(next)));
}

// Batches of getdents64 on the syscall thread. Starts (when first awaited)
// from the beginning, so a directory can be listed more than once; a closed
// file fails it with EBADF.
coroutine::experimental::generator<directory_entry> posix_file_impl::experimental_list_directory() {
    check_open();
    auto keep = shared_from_this();
    ::lseek(_fd, 0, SEEK_SET);
    for (;;) {
        auto batch = co_await engine().run_blocking([fd = _fd, name = _name] { return read_entries(fd, name); });
        if (batch.empty()) {
            co_return;
        }
        for (auto& de : batch) {
            co_yield std::move(de);
        }
    }
}

} // namespace

// A file over an fd someone else opened: O_DIRECT in its flags says whether
// it does DMA.
future<shared_ptr<file_impl>> make_file_impl(int fd, file_open_options, int oflags, struct stat) noexcept {
    return futurize_invoke([&] {
        return shared_ptr<file_impl>(
            seastar::make_shared<posix_file_impl>(fd, "fd " + std::to_string(fd), (oflags & O_DIRECT) != 0));
    });
}

future<shared_ptr<file_impl>> make_file_impl(int fd, file_open_options options, int oflags) noexcept {
    return make_file_impl(fd, options, oflags, {});
}

namespace internal {

shared_ptr<file_impl> make_posix_file(int fd, std::string name, bool direct_io) {
    return seastar::make_shared<posix_file_impl>(fd, std::move(name), direct_io);
}

void simulate_no_direct_io(bool on) noexcept {
    no_direct_io.store(on, std::memory_order_relaxed);
}

bool direct_io_simulated_unavailable() noexcept {
    return no_direct_io.load(std::memory_order_relaxed);
}

} // namespace internal

} // namespace seastar
