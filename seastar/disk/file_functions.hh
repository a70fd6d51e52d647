// The free functions of Seastar's seastar.hh that deal with files: opening
// files and directories, and file-system operations by path.
//
// Contract:
//   * Call from a reactor thread. Each function returns its result or error
//     in the future and never throws. Blocking system calls run on the
//     shard's syscall thread, never on the loop.
//   * Errors are std::filesystem::filesystem_error (a std::system_error:
//     code() is the errno) naming the path(s) and the operation, e.g. a
//     missing file gives std::errc::no_such_file_or_directory.
//   * file_exists() and file_type() report a missing file as false / an
//     empty optional rather than an error; file_accessible() reports denied
//     access or a missing file as false. Other errors (a path through a
//     regular file: ENOTDIR) fail.
//   * getgrnam() reports a group missing from the group database as an
//     empty optional; its other errors are std::system_error.
//
// <seastar/core/seastar.hh> (//seastar:seastar_hh) declares these together
// with the network functions; code of the disk layer includes this header.
//
//     auto f = co_await seastar::open_file_dma("data", seastar::open_flags::rw | seastar::open_flags::create);
//     co_await seastar::rename_file("data", "data.old");
//     bool there = co_await seastar::file_exists("data.old");
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "seastar/core/file-types.hh"
#include "seastar/core/file.hh"
#include "seastar/core/future.hh"
#include "seastar/core/sstring.hh"
#include "seastar/util/bool_class.hh"

namespace seastar {

struct follow_symlink_tag {};
using follow_symlink = bool_class<follow_symlink_tag>;

// Opens `name` for DMA (O_DIRECT; buffered where the file system has no
// O_DIRECT, logged once).
future<file> open_file_dma(std::string_view name, open_flags flags) noexcept;
future<file> open_file_dma(std::string_view name, open_flags flags, file_open_options options) noexcept;
// Opens a directory (for list_directory() and flush()).
future<file> open_directory(std::string_view name) noexcept;

future<> make_directory(std::string_view name,
                        file_permissions permissions = file_permissions::default_dir_permissions) noexcept;
// Creates the directory unless it exists (fails if the path exists but is not a directory).
future<> touch_directory(std::string_view name,
                         file_permissions permissions = file_permissions::default_dir_permissions) noexcept;
// touch_directory() on every component of the path, then syncs the parents.
future<> recursive_touch_directory(std::string_view name,
                                   file_permissions permissions = file_permissions::default_dir_permissions) noexcept;
// fsync()s the directory, so entries created or removed in it are durable.
future<> sync_directory(std::string_view name) noexcept;
// Removes a file or an empty directory.
future<> remove_file(std::string_view name) noexcept;
future<> rename_file(std::string_view old_name, std::string_view new_name) noexcept;
future<> link_file(std::string_view oldpath, std::string_view newpath) noexcept;
future<> chmod(std::string_view name, file_permissions permissions) noexcept;
// Changes the owner and group of `filepath` (chown(2), following links);
// -1 as either id leaves that one unchanged.
future<> chown(std::string_view filepath, uid_t owner, gid_t group) noexcept;

// The group called `name` (getgrnam_r(3)), or nothing if there is none.
future<std::optional<struct group_details>> getgrnam(std::string_view name) noexcept;

future<bool> file_exists(std::string_view name) noexcept;
future<bool> file_accessible(std::string_view name, access_flags flags) noexcept;
future<uint64_t> file_size(std::string_view name) noexcept;
future<stat_data> file_stat(std::string_view name, follow_symlink fs = follow_symlink::yes) noexcept;
future<std::optional<directory_entry_type>> file_type(std::string_view name,
                                                      follow_symlink fs = follow_symlink::yes) noexcept;

future<fs_type> file_system_at(std::string_view name) noexcept;
// Bytes available to unprivileged users / free, on the file system of `name`.
future<uint64_t> fs_avail(std::string_view name) noexcept;
future<uint64_t> fs_free(std::string_view name) noexcept;
// Capacity, free and available bytes of the file system of `name`.
future<std::filesystem::space_info> file_system_space(std::string_view name) noexcept;

// Fails unless files at `path` can be opened with O_DIRECT: a directory is
// checked by creating (then removing) a file in it, a regular file by
// opening it read-only. Anything else, or a missing path, fails with
// std::runtime_error (as in Seastar); a file system without O_DIRECT with
// std::system_error(EINVAL) saying so. (open_file_dma() itself falls back to
// buffered I/O there; this lets a program insist.)
future<> check_direct_io_support(std::string_view path) noexcept;

} // namespace seastar
