#include "seastar/util/file.hh"

#include <cerrno>
#include <string>
#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/reactor.hh"
#include "seastar/disk/file_functions.hh"

namespace seastar {

future<> recursive_remove_directory(std::filesystem::path path) noexcept {
    co_await engine().run_blocking([path] {
        std::error_code ec;
        auto st = std::filesystem::symlink_status(path, ec);
        if (ec || !std::filesystem::exists(st)) {
            throw std::system_error(ec ? ec.value() : ENOENT, std::system_category(),
                                    "recursive_remove_directory " + path.native());
        }
        if (!std::filesystem::is_directory(st)) {
            throw std::system_error(ENOTDIR, std::system_category(), "recursive_remove_directory " + path.native());
        }
        // remove_all() removes links themselves, never what they point at.
        std::filesystem::remove_all(path, ec);
        if (ec) {
            throw std::filesystem::filesystem_error("recursive_remove_directory", path, ec);
        }
    });
    // "a/b/" names the directory b: its parent is a.
    auto dir = !path.has_filename() && path.has_parent_path() ? path.parent_path() : path;
    auto parent = dir.has_parent_path() ? dir.parent_path() : std::filesystem::path(".");
    co_await sync_directory(parent.native());
}

namespace util {

namespace internal {

future<file> open_for_reading(const std::filesystem::path& path, file_open_options options) noexcept {
    return open_file_dma(path.native(), open_flags::ro, std::move(options));
}

} // namespace internal

future<std::vector<temporary_buffer<char>>> read_entire_file(std::filesystem::path path) noexcept {
    return with_file_input_stream(path, [](input_stream<char>& in) { return read_entire_stream(in); });
}

future<sstring> read_entire_file_contiguous(std::filesystem::path path) noexcept {
    return with_file_input_stream(path, [](input_stream<char>& in) { return read_entire_stream_contiguous(in); });
}

} // namespace util

} // namespace seastar
