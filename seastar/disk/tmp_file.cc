#include "seastar/util/tmp_file.hh"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

#include "seastar/core/reactor.hh"
#include "seastar/disk/file_functions.hh"

namespace seastar {

namespace {

std::filesystem::path& tmpdir() {
    static std::filesystem::path p = [] {
        auto env = std::getenv("TMPDIR");
        return std::filesystem::path(env && *env ? env : "/tmp");
    }();
    return p;
}

// The template with its trailing 'X' run replaced by random characters.
std::filesystem::path generate_name(std::filesystem::path tmpl) {
    auto name = tmpl.filename().string();
    auto last = name.rfind("XX");
    if (last == std::string::npos) {
        tmpl /= "XXXXXX.tmp";
        name = tmpl.filename().string();
    }
    static constexpr char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    thread_local std::mt19937_64 rng(std::random_device{}());
    auto end = name.rfind('X') + 1;
    auto begin = end;
    while (begin > 0 && name[begin - 1] == 'X') {
        --begin;
    }
    for (auto i = begin; i < end; ++i) {
        name[i] = chars[rng() % (sizeof(chars) - 1)];
    }
    return tmpl.parent_path() / name;
}

bool is_exists_error(const std::exception_ptr& ex) {
    try {
        std::rethrow_exception(ex);
    } catch (const std::system_error& e) {
        return e.code().value() == EEXIST;
    } catch (...) {
    }
    return false;
}

constexpr int max_attempts = 100;

} // namespace

const std::filesystem::path& default_tmpdir() {
    return tmpdir();
}

void set_default_tmpdir(std::filesystem::path path) {
    tmpdir() = std::move(path);
}

future<> tmp_file::open(std::filesystem::path path_template, open_flags oflags, file_open_options options) noexcept {
    if (_is_open) {
        throw std::logic_error("tmp_file: already open");
    }
    for (int attempt = 0;; ++attempt) {
        auto path = generate_name(path_template);
        std::exception_ptr err;
        try {
            _file = co_await open_file_dma(path.native(), oflags | open_flags::create | open_flags::exclusive, options);
            _path = std::move(path);
            _is_open = true;
            co_return;
        } catch (...) {
            err = std::current_exception();
        }
        if (!is_exists_error(err) || attempt + 1 == max_attempts) {
            std::rethrow_exception(err);
        }
    }
}

future<> tmp_file::close() noexcept {
    if (!_is_open) {
        return make_ready_future<>();
    }
    _is_open = false;
    return _file.close();
}

future<> tmp_file::remove() noexcept {
    if (_path.empty()) {
        return make_ready_future<>();
    }
    return remove_file(std::exchange(_path, {}).native());
}

future<tmp_file> make_tmp_file(std::filesystem::path path_template, open_flags oflags,
                               file_open_options options) noexcept {
    tmp_file t;
    co_await t.open(std::move(path_template), oflags, options);
    co_return std::move(t);
}

future<> tmp_dir::create(std::filesystem::path path_template, file_permissions create_permissions) noexcept {
    for (int attempt = 0;; ++attempt) {
        auto path = generate_name(path_template);
        std::exception_ptr err;
        try {
            co_await make_directory(path.native(), create_permissions);
            _path = std::move(path);
            co_return;
        } catch (...) {
            err = std::current_exception();
        }
        if (!is_exists_error(err) || attempt + 1 == max_attempts) {
            std::rethrow_exception(err);
        }
    }
}

future<> tmp_dir::remove() noexcept {
    if (_path.empty()) {
        return make_ready_future<>();
    }
    return engine().run_blocking([path = std::exchange(_path, {})] {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
        if (ec) {
            throw std::filesystem::filesystem_error("tmp_dir::remove", path, ec);
        }
    });
}

future<tmp_dir> make_tmp_dir(std::filesystem::path path_template, file_permissions create_permissions) noexcept {
    tmp_dir d;
    co_await d.create(std::move(path_template), create_permissions);
    co_return std::move(d);
}

} // namespace seastar
