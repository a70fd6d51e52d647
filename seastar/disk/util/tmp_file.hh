// Temporary files and directories with unique names, removed on request.
//
// Contract:
//   * Names come from a template path whose last component's trailing run of
//     'X' characters is replaced by random characters ("XXXXXX.tmp" is
//     appended when the template has no 'X' run: the template then names the
//     directory to create in). Creation retries on a name collision.
//   * default_tmpdir() is $TMPDIR (else /tmp), read once; tests under Bazel
//     get $TEST_TMPDIR through $TMPDIR.
//   * tmp_file::open/close/remove and tmp_dir::create/remove return errors in
//     futures; a tmp_file must be closed and removed (and a tmp_dir removed)
//     before destruction or its file stays (nothing blocking runs in a
//     destructor). tmp_dir::remove() removes the directory tree.
//   * Reactor thread only.
//
//     co_await seastar::tmp_dir::do_with([](seastar::tmp_dir& d) -> seastar::future<> {
//         auto f = co_await seastar::open_file_dma((d.get_path() / "x").native(), seastar::open_flags::rw |
//         seastar::open_flags::create); co_await f.close();
//     });
#pragma once

#include <filesystem>
#include <functional>
#include <type_traits>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/file-types.hh"
#include "seastar/core/file.hh"
#include "seastar/core/future.hh"

namespace seastar {

const std::filesystem::path& default_tmpdir();
void set_default_tmpdir(std::filesystem::path path);

class tmp_file {
    std::filesystem::path _path;
    file _file;
    bool _is_open = false;

public:
    tmp_file() noexcept = default;
    tmp_file(tmp_file&&) noexcept = default;
    tmp_file& operator=(tmp_file&&) noexcept = default;

    future<> open(std::filesystem::path path_template = default_tmpdir(), open_flags oflags = open_flags::rw,
                  file_open_options options = {}) noexcept;
    future<> close() noexcept;
    future<> remove() noexcept;

    bool has_path() const noexcept { return !_path.empty(); }
    bool is_open() const noexcept { return _is_open; }
    const std::filesystem::path& get_path() const noexcept { return _path; }
    file& get_file() noexcept { return _file; }
};

// A new, open temporary file.
future<tmp_file> make_tmp_file(std::filesystem::path path_template = default_tmpdir(),
                               open_flags oflags = open_flags::rw, file_open_options options = {}) noexcept;

class tmp_dir {
    std::filesystem::path _path;

public:
    tmp_dir() noexcept = default;
    tmp_dir(tmp_dir&&) noexcept = default;
    tmp_dir& operator=(tmp_dir&&) noexcept = default;

    future<> create(std::filesystem::path path_template = default_tmpdir(),
                    file_permissions create_permissions = file_permissions::default_dir_permissions) noexcept;
    future<> remove() noexcept;

    bool has_path() const noexcept { return !_path.empty(); }
    const std::filesystem::path& get_path() const noexcept { return _path; }

    // Creates a directory under `path_template`, calls func(tmp_dir&) and
    // removes the directory whatever func's outcome; returns func's result.
    template <typename Func>
    static auto do_with(std::filesystem::path path_template, Func&& func) noexcept
        -> std::invoke_result_t<Func, tmp_dir&> {
        return futurize_invoke([path_template = std::move(path_template), func = std::forward<Func>(func)]() mutable {
            auto d = std::make_unique<tmp_dir>();
            auto& ref = *d;
            return ref.create(std::move(path_template))
                .then([&ref, func = std::move(func), d = std::move(d)]() mutable {
                    return futurize_invoke(func, ref).finally([&ref, d = std::move(d)] { return ref.remove(); });
                });
        });
    }
    template <typename Func>
    static auto do_with(Func&& func) noexcept -> std::invoke_result_t<Func, tmp_dir&> {
        return do_with(default_tmpdir(), std::forward<Func>(func));
    }
};

future<tmp_dir> make_tmp_dir(std::filesystem::path path_template = default_tmpdir(),
                             file_permissions create_permissions = file_permissions::default_dir_permissions) noexcept;

} // namespace seastar
