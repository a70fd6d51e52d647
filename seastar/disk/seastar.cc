#include "seastar/disk/file_functions.hh"

#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/disk/internal/posix_file.hh"
#include "seastar/util/log.hh"

namespace seastar {

namespace {

logger fs_log("file");

std::atomic<bool> buffered_fallback_logged{false};

[[noreturn]] void fs_error(int err, const char* op, std::string_view path) {
    throw std::filesystem::filesystem_error(op, std::filesystem::path(path),
                                            std::error_code(err, std::system_category()));
}

[[noreturn]] void fs_error(int err, const char* op, std::string_view a, std::string_view b) {
    throw std::filesystem::filesystem_error(op, std::filesystem::path(a), std::filesystem::path(b),
                                            std::error_code(err, std::system_category()));
}

directory_entry_type mode_type(mode_t m) noexcept {
    switch (m & S_IFMT) {
    case S_IFBLK:
        return directory_entry_type::block_device;
    case S_IFCHR:
        return directory_entry_type::char_device;
    case S_IFDIR:
        return directory_entry_type::directory;
    case S_IFIFO:
        return directory_entry_type::fifo;
    case S_IFLNK:
        return directory_entry_type::link;
    case S_IFREG:
        return directory_entry_type::regular;
    case S_IFSOCK:
        return directory_entry_type::socket;
    default:
        return directory_entry_type::unknown;
    }
}

std::chrono::system_clock::time_point to_time_point(const struct timespec& ts) {
    return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

// The XFS extent size hint (FS_IOC_FSSETXATTR); best effort.
void set_extent_hint(int fd, uint64_t hint) noexcept {
    struct ::statfs sfs{};
    if (::fstatfs(fd, &sfs) != 0 || sfs.f_type != XFS_SUPER_MAGIC || hint == 0) {
        return;
    }
    struct ::fsxattr attr{};
    if (::ioctl(fd, FS_IOC_FSGETXATTR, &attr) != 0) {
        return;
    }
    attr.fsx_xflags |= FS_XFLAG_EXTSIZE;
    attr.fsx_extsize = uint32_t(std::min<uint64_t>(hint, 1u << 30));
    (void)::ioctl(fd, FS_IOC_FSSETXATTR, &attr);
}

struct opened {
    int fd;
    bool direct;
};

opened open_dma(const std::string& name, int flags, mode_t mode) {
    bool simulate = internal::direct_io_simulated_unavailable();
    int fd = simulate ? -1 : ::open(name.c_str(), flags | O_DIRECT | O_CLOEXEC, mode);
    if (fd >= 0) {
        return {fd, true};
    }
    if (!simulate && errno != EINVAL) {
        fs_error(errno, "open", name);
    }
    // The file system has no O_DIRECT: buffered I/O, same API.
    fd = ::open(name.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) {
        fs_error(errno, "open", name);
    }
    if (!buffered_fallback_logged.exchange(true)) {
        fs_log.warn("the file system of {} does not support O_DIRECT; files there use buffered I/O", name);
    }
    return {fd, false};
}

} // namespace

future<file> open_file_dma(std::string_view name, open_flags flags) noexcept {
    return open_file_dma(name, flags, file_open_options{});
}

future<file> open_file_dma(std::string_view name, open_flags flags, file_open_options options) noexcept {
    auto path = std::string(name);
    {
        auto o = co_await engine().run_blocking([path, flags, options] {
            auto r = open_dma(path, int(flags), mode_t(options.create_permissions));
            if (int(flags) & O_CREAT) {
                set_extent_hint(r.fd, options.extent_allocation_size_hint);
            }
            return r;
        });
        try {
            co_return file(internal::make_posix_file(o.fd, path, o.direct));
        } catch (...) {
            ::close(o.fd);
            throw;
        }
    }
}

future<file> open_directory(std::string_view name) noexcept {
    auto path = std::string(name);
    {
        auto fd = co_await engine().run_blocking([path] {
            int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) {
                fs_error(errno, "open_directory", path);
            }
            return fd;
        });
        try {
            co_return file(internal::make_posix_file(fd, path, false));
        } catch (...) {
            ::close(fd);
            throw;
        }
    }
}

namespace {

// Runs `f(path)` on the syscall thread.
template <typename Func>
auto on_path(std::string_view name, Func f) noexcept {
    return futurize_invoke([&] { return engine().run_blocking([path = std::string(name), f]() { return f(path); }); });
}

void do_mkdir(const std::string& path, file_permissions p, bool existing_ok) {
    if (::mkdir(path.c_str(), mode_t(p)) == 0) {
        return;
    }
    int err = errno;
    if (err == EEXIST && existing_ok) {
        struct ::stat st{};
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            return;
        }
        fs_error(ENOTDIR, "touch_directory", path);
    }
    fs_error(err, existing_ok ? "touch_directory" : "make_directory", path);
}

void do_sync_directory(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        fs_error(errno, "sync_directory", path);
    }
    int r = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (r != 0) {
        fs_error(err, "sync_directory", path);
    }
}

} // namespace

future<> make_directory(std::string_view name, file_permissions permissions) noexcept {
    return on_path(name, [permissions](const std::string& p) { do_mkdir(p, permissions, false); });
}

future<> touch_directory(std::string_view name, file_permissions permissions) noexcept {
    return on_path(name, [permissions](const std::string& p) { do_mkdir(p, permissions, true); });
}

future<> recursive_touch_directory(std::string_view name, file_permissions permissions) noexcept {
    return on_path(name, [permissions](const std::string& p) {
        std::filesystem::path full(p);
        std::filesystem::path so_far;
        for (auto& part : full) {
            so_far /= part;
            if (part.empty() || part == "/" || part == "." || part == "..") {
                continue;
            }
            do_mkdir(so_far.string(), permissions, true);
            auto parent = so_far.parent_path();
            do_sync_directory(parent.empty() ? std::string(".") : parent.string());
        }
    });
}

future<> sync_directory(std::string_view name) noexcept {
    return on_path(name, [](const std::string& p) { do_sync_directory(p); });
}

future<> remove_file(std::string_view name) noexcept {
    return on_path(name, [](const std::string& p) {
        if (::remove(p.c_str()) != 0) {
            fs_error(errno, "remove_file", p);
        }
    });
}

future<> rename_file(std::string_view old_name, std::string_view new_name) noexcept {
    return on_path(old_name, [to = std::string(new_name)](const std::string& from) {
        if (::rename(from.c_str(), to.c_str()) != 0) {
            fs_error(errno, "rename_file", from, to);
        }
    });
}

future<> link_file(std::string_view oldpath, std::string_view newpath) noexcept {
    return on_path(oldpath, [to = std::string(newpath)](const std::string& from) {
        if (::link(from.c_str(), to.c_str()) != 0) {
            fs_error(errno, "link_file", from, to);
        }
    });
}

future<> chmod(std::string_view name, file_permissions permissions) noexcept {
    return on_path(name, [permissions](const std::string& p) {
        if (::chmod(p.c_str(), mode_t(permissions)) != 0) {
            fs_error(errno, "chmod", p);
        }
    });
}

future<> chown(std::string_view filepath, uid_t owner, gid_t group) noexcept {
    return on_path(filepath, [owner, group](const std::string& p) {
        if (::chown(p.c_str(), owner, group) != 0) {
            fs_error(errno, "chown", p);
        }
    });
}

namespace {

// getgrnam_r() asks for a buffer big enough for the entry's strings; a group
// with many members needs more than the usual few KiB. Past this, give up.
constexpr size_t max_group_buffer = size_t(64) << 20;

std::optional<group_details> do_getgrnam(const std::string& name) {
    if (name.find('\0') != std::string::npos) {
        return std::nullopt; // no group name holds a NUL
    }
    long hint = ::sysconf(_SC_GETGR_R_SIZE_MAX);
    std::vector<char> buf(hint > 0 ? size_t(hint) : 4096);
    for (;;) {
        struct ::group grp{};
        struct ::group* result = nullptr;
        int r = ::getgrnam_r(name.c_str(), &grp, buf.data(), buf.size(), &result);
        if (r == ERANGE && buf.size() < max_group_buffer) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (r == EINTR) {
            continue;
        }
        // "Not found" is a null result, with 0 or (in some NSS modules) ENOENT.
        if (r != 0 && r != ENOENT) {
            throw std::system_error(r, std::system_category(), "getgrnam " + name);
        }
        if (!result) {
            return std::nullopt;
        }
        group_details d;
        d.group_name = grp.gr_name;
        d.group_passwd = grp.gr_passwd ? grp.gr_passwd : "";
        d.group_id = grp.gr_gid;
        for (char** m = grp.gr_mem; m && *m; ++m) {
            d.group_members.emplace_back(*m);
        }
        return d;
    }
}

} // namespace

future<std::optional<struct group_details>> getgrnam(std::string_view name) noexcept {
    return on_path(name, [](const std::string& n) { return do_getgrnam(n); });
}

future<bool> file_exists(std::string_view name) noexcept {
    return on_path(name, [](const std::string& p) {
        struct ::stat st{};
        if (::stat(p.c_str(), &st) == 0) {
            return true;
        }
        if (errno == ENOENT) {
            return false;
        }
        fs_error(errno, "file_exists", p);
    });
}

future<bool> file_accessible(std::string_view name, access_flags flags) noexcept {
    return on_path(name, [flags](const std::string& p) {
        if (::access(p.c_str(), int(flags)) == 0) {
            return true;
        }
        if (errno == EACCES || errno == ENOENT || errno == EROFS) {
            return false;
        }
        fs_error(errno, "file_accessible", p);
    });
}

future<stat_data> file_stat(std::string_view name, follow_symlink fs) noexcept {
    return on_path(name, [fs](const std::string& p) {
        struct ::stat st{};
        int r = fs ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st);
        if (r != 0) {
            fs_error(errno, "file_stat", p);
        }
        stat_data sd;
        sd.device_id = st.st_dev;
        sd.inode_number = st.st_ino;
        sd.mode = st.st_mode;
        sd.type = mode_type(st.st_mode);
        sd.number_of_links = st.st_nlink;
        sd.uid = st.st_uid;
        sd.gid = st.st_gid;
        sd.rdev = st.st_rdev;
        sd.size = uint64_t(st.st_size);
        sd.block_size = uint64_t(st.st_blksize);
        sd.allocated_size = uint64_t(st.st_blocks) * 512;
        sd.time_accessed = to_time_point(st.st_atim);
        sd.time_modified = to_time_point(st.st_mtim);
        sd.time_changed = to_time_point(st.st_ctim);
        return sd;
    });
}

future<uint64_t> file_size(std::string_view name) noexcept {
    return file_stat(name).then([](stat_data sd) { return sd.size; });
}

future<std::optional<directory_entry_type>> file_type(std::string_view name, follow_symlink fs) noexcept {
    return on_path(name, [fs](const std::string& p) -> std::optional<directory_entry_type> {
        struct ::stat st{};
        int r = fs ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st);
        if (r != 0) {
            if (errno == ENOENT) {
                return std::nullopt;
            }
            fs_error(errno, "file_type", p);
        }
        return mode_type(st.st_mode);
    });
}

future<fs_type> file_system_at(std::string_view name) noexcept {
    return on_path(name, [](const std::string& p) {
        struct ::statfs sfs{};
        if (::statfs(p.c_str(), &sfs) != 0) {
            fs_error(errno, "file_system_at", p);
        }
        switch (sfs.f_type) {
        case XFS_SUPER_MAGIC:
            return fs_type::xfs;
        case EXT4_SUPER_MAGIC: // ext2, ext3 and ext4 share the magic
            return fs_type::ext4;
        case BTRFS_SUPER_MAGIC:
            return fs_type::btrfs;
        case TMPFS_MAGIC:
            return fs_type::tmpfs;
        case 0x4244: // HFS
            return fs_type::hfs;
        default:
            return fs_type::other;
        }
    });
}

namespace {

struct ::statvfs do_statvfs(const std::string& p, const char* op) {
    struct ::statvfs sv{};
    if (::statvfs(p.c_str(), &sv) != 0) {
        fs_error(errno, op, p);
    }
    return sv;
}

} // namespace

future<uint64_t> fs_avail(std::string_view name) noexcept {
    return on_path(name, [](const std::string& p) {
        auto sv = do_statvfs(p, "fs_avail");
        return uint64_t(sv.f_bavail) * sv.f_frsize;
    });
}

future<uint64_t> fs_free(std::string_view name) noexcept {
    return on_path(name, [](const std::string& p) {
        auto sv = do_statvfs(p, "fs_free");
        return uint64_t(sv.f_bfree) * sv.f_frsize;
    });
}

future<std::filesystem::space_info> file_system_space(std::string_view name) noexcept {
    return on_path(name, [](const std::string& p) {
        auto sv = do_statvfs(p, "file_system_space");
        return std::filesystem::space_info{uint64_t(sv.f_blocks) * sv.f_frsize, uint64_t(sv.f_bfree) * sv.f_frsize,
                                           uint64_t(sv.f_bavail) * sv.f_frsize};
    });
}

future<> check_direct_io_support(std::string_view path) noexcept {
    return on_path(path, [](const std::string& p) {
        struct ::stat st{};
        if (::stat(p.c_str(), &st) != 0) {
            throw std::runtime_error("check_direct_io_support: cannot open " + p + ": " + std::strerror(errno));
        }
        bool dir = S_ISDIR(st.st_mode);
        if (!dir && !S_ISREG(st.st_mode)) {
            throw std::runtime_error("check_direct_io_support: " + p + " is neither a directory nor a regular file");
        }
        auto target = dir ? p + "/.o_direct_test" : p;
        int flags = dir ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;
        int fd = internal::direct_io_simulated_unavailable()
                     ? (errno = EINVAL, -1)
                     : ::open(target.c_str(), flags | O_DIRECT | O_CLOEXEC, 0600);
        if (fd < 0) {
            int err = errno;
            throw std::system_error(err, std::system_category(),
                                    err == EINVAL ? "the file system of " + p + " does not support O_DIRECT"
                                                  : "check_direct_io_support: open " + target);
        }
        ::close(fd);
        if (dir) {
            ::unlink(target.c_str());
        }
    });
}

} // namespace seastar
