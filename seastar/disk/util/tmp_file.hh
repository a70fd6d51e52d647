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
//     destructor). close() of a file that is not open and remove() of an
//     object without a path do nothing. tmp_dir::remove() removes the
//     directory tree.
//   * do_with(): creates the file (directory), calls func with it, then
//     closes and removes the file (removes the directory) whatever func did;
//     func may return void or future<>. The result is func's failure if it
//     failed, else the first failure of the clean-up. func is kept alive
//     until its future resolves. tmp_dir::do_with_thread() does the same
//     in a seastar::thread (func may call future::get()).
//   * Reactor thread only.
//
//     co_await seastar::tmp_dir::do_with([](seastar::tmp_dir& d) -> seastar::future<> {
//         auto f = co_await seastar::open_file_dma((d.get_path() / "x").native(),
//                                                  seastar::open_flags::rw | seastar::open_flags::create);
//         co_await f.close();
//     });
//     co_await seastar::tmp_file::do_with([](seastar::tmp_file& t) { return t.get_file().truncate(4096); });
#pragma once

#include <filesystem>
#include <functional>
#include <type_traits>
#include <utility>

#include "seastar/core/coroutine.hh"
#include "seastar/core/do_with.hh"
#include "seastar/core/file-types.hh"
#include "seastar/core/file.hh"
#include "seastar/core/future.hh"
#include "seastar/core/thread.hh"

namespace seastar {

const std::filesystem::path& default_tmpdir();
void set_default_tmpdir(std::filesystem::path path);

namespace internal {

// `first` if it failed (a failure of `second` is then dropped), else `second`.
inline future<> tmp_first_failure(future<> first, future<> second) noexcept {
    if (first.failed()) {
        second.ignore_ready_future();
        return first;
    }
    return second;
}

// Waits for `work`, then runs `cleanup()` whatever work's outcome; returns
// work's failure if it failed, else cleanup's result.
template <typename Cleanup>
future<> tmp_then_cleanup(future<> work, Cleanup cleanup) noexcept {
    return std::move(work).then_wrapped([cleanup = std::move(cleanup)](future<> w) mutable {
        return futurize_invoke(cleanup).then_wrapped(
            [w = std::move(w)](future<> c) mutable { return tmp_first_failure(std::move(w), std::move(c)); });
    });
}

template <typename Func, typename Arg>
inline constexpr bool tmp_func_returns_void_or_future_v =
    std::is_same_v<futurize_t<std::invoke_result_t<Func&, Arg&>>, future<>>;

} // namespace internal

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

    // Creates and opens a file under `path_template`, calls func(tmp_file&),
    // then closes and removes the file whatever func's outcome.
    template <typename Func>
    static future<> do_with(std::filesystem::path path_template, Func&& func, open_flags oflags = open_flags::rw,
                            file_open_options options = {}) noexcept {
        using F = std::decay_t<Func>;
        static_assert(internal::tmp_func_returns_void_or_future_v<F, tmp_file>,
                      "tmp_file::do_with: func(tmp_file&) must return void or future<>");
        // The copy or move of func may throw: that becomes a failed future.
        return futurize_invoke([&] {
            return seastar::do_with(
                tmp_file(), F(std::forward<Func>(func)),
                [path_template = std::move(path_template), oflags, options](tmp_file& t, F& f) mutable {
                    return t.open(std::move(path_template), oflags, options).then([&t, &f] {
                        return internal::tmp_then_cleanup(futurize_invoke(f, t), [&t] {
                            return internal::tmp_then_cleanup(t.close(), [&t] { return t.remove(); });
                        });
                    });
                });
        });
    }
    template <typename Func>
    static future<> do_with(Func&& func) noexcept {
        return do_with(default_tmpdir(), std::forward<Func>(func));
    }

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

    // Creates a directory under `path_template` with `create_permissions`,
    // calls func(tmp_dir&) and removes the directory whatever func's outcome.
    template <typename Func>
    static future<> do_with(std::filesystem::path path_template, Func&& func,
                            file_permissions create_permissions = file_permissions::default_dir_permissions) noexcept {
        using F = std::decay_t<Func>;
        static_assert(internal::tmp_func_returns_void_or_future_v<F, tmp_dir>,
                      "tmp_dir::do_with: func(tmp_dir&) must return void or future<>");
        return futurize_invoke([&] {
            return seastar::do_with(
                tmp_dir(), F(std::forward<Func>(func)),
                [path_template = std::move(path_template), create_permissions](tmp_dir& t, F& f) mutable {
                    return t.create(std::move(path_template), create_permissions).then([&t, &f] {
                        return internal::tmp_then_cleanup(futurize_invoke(f, t), [&t] { return t.remove(); });
                    });
                });
        });
    }
    template <typename Func>
    static future<> do_with(Func&& func) noexcept {
        return do_with(default_tmpdir(), std::forward<Func>(func));
    }

    // do_with() under default_tmpdir(), with func running in a
    // seastar::thread.
    template <typename Func>
    static future<> do_with_thread(Func&& func) noexcept {
        using F = std::decay_t<Func>;
        static_assert(internal::tmp_func_returns_void_or_future_v<F, tmp_dir>,
                      "tmp_dir::do_with_thread: func(tmp_dir&) must return void or future<>");
        return futurize_invoke([&] {
            return async([f = F(std::forward<Func>(func))]() mutable {
                tmp_dir t;
                t.create().get();
                internal::tmp_then_cleanup(futurize_invoke(f, t), [&t] { return t.remove(); }).get();
            });
        });
    }
};

future<tmp_dir> make_tmp_dir(std::filesystem::path path_template = default_tmpdir(),
                             file_permissions create_permissions = file_permissions::default_dir_permissions) noexcept;

} // namespace seastar
