// Whole-file helpers of Seastar's <seastar/util/file.hh>.
//
// Contract:
//   * recursive_remove_directory(path) removes the directory `path` and
//     everything under it (symbolic links are removed, never followed), on
//     the syscall thread, then syncs the parent directory so the removal is
//     durable. A missing path fails with std::system_error(ENOENT), a path
//     that is not a directory with ENOTDIR; other failures name the entry.
//   * util::read_entire_file() returns the file's contents as the buffers a
//     file input stream read (in order; none for an empty file);
//     util::read_entire_file_contiguous() the same as one sstring. They are
//     util::read_entire_stream(_contiguous) (<seastar/util/short_streams.hh>,
//     included here as in Seastar) over with_file_input_stream().
//   * util::with_file_input_stream(path, func) opens `path` read-only, calls
//     func with an input stream over it and closes the stream and the file
//     whatever func's future did; func's failure wins over the close's. func
//     is kept alive until its future resolves.
//   * Errors come in the returned future; reactor thread only.
//
//     auto text = co_await seastar::util::read_entire_file_contiguous("/etc/hostname");
#pragma once

#include <concepts>
#include <filesystem>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "seastar/core/do_with.hh"
#include "seastar/core/file.hh"
#include "seastar/core/fstream.hh"
#include "seastar/core/future.hh"
#include "seastar/core/iostream.hh"
#include "seastar/core/sstring.hh"
#include "seastar/core/temporary_buffer.hh"
#include "seastar/util/short_streams.hh"

namespace seastar {

future<> recursive_remove_directory(std::filesystem::path path) noexcept;

namespace util {

namespace internal {
// open_file_dma(path, read-only), for the template below.
future<file> open_for_reading(const std::filesystem::path& path, file_open_options options) noexcept;
} // namespace internal

template <typename Func>
    requires std::invocable<Func, input_stream<char>&>
futurize_t<std::invoke_result_t<Func, input_stream<char>&>>
with_file_input_stream(const std::filesystem::path& path, Func func, file_open_options file_opts = {},
                       file_input_stream_options input_stream_opts = {}) noexcept {
    static_assert(std::is_nothrow_move_constructible_v<Func>, "with_file_input_stream: Func's move must not throw");
    return internal::open_for_reading(path, std::move(file_opts))
        .then([func = std::move(func), input_stream_opts = std::move(input_stream_opts)](file f) mutable {
            auto in = make_file_input_stream(f, std::move(input_stream_opts));
            // func stays alive until its future resolves (it may be a
            // coroutine lambda whose captures its frame reads).
            return do_with(std::move(func), std::move(in), std::move(f),
                           [](Func& func, input_stream<char>& in, file& f) {
                               return futurize_invoke(func, in).finally(
                                   [&in, &f] { return in.close().finally([&f] { return f.close(); }); });
                           });
        });
}

future<std::vector<temporary_buffer<char>>> read_entire_file(std::filesystem::path path) noexcept;
future<sstring> read_entire_file_contiguous(std::filesystem::path path) noexcept;

} // namespace util

} // namespace seastar
