// The file-system functions of seastar.hh and tmp_file/tmp_dir, each with
// its error paths: a missing file, a path through a regular file (ENOTDIR),
// denied access (execute permission, which root is refused too when no one
// has it), a cross-device link. Under $TEST_TMPDIR.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/file.hh"
#include "seastar/core/fstream.hh"
#include "seastar/disk/file_functions.hh"
#include "seastar/disk/internal/posix_file.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/file.hh"
#include "seastar/util/tmp_file.hh"

namespace {

using namespace seastar;
namespace fs = std::filesystem;

fs::path test_root() {
    auto d = std::getenv("TEST_TMPDIR");
    return d ? fs::path(d) : default_tmpdir();
}

template <typename Func>
future<> with_dir(Func func) {
    return tmp_dir::do_with(test_root(), [func](tmp_dir& d) { return func(d.get_path()); });
}

template <typename T>
future<int> errno_of(future<T> f) {
    try {
        co_await std::move(f);
    } catch (const fs::filesystem_error& e) {
        // The message names the path.
        EXPECT_FALSE(e.path1().empty());
        co_return e.code().value();
    } catch (const std::system_error& e) {
        co_return e.code().value();
    }
    co_return 0;
}

future<> make_file(const fs::path& p) {
    auto f = co_await open_file_dma(p.native(), open_flags::wo | open_flags::create);
    co_await f.close();
}

SEASTAR_TEST_CASE(fs_functions, directories) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto d = dir / "d";
        co_await make_directory(d.native());
        EXPECT_EQ(co_await file_type(d.native()), directory_entry_type::directory);
        EXPECT_EQ(co_await errno_of(make_directory(d.native())), EEXIST);
        co_await touch_directory(d.native()); // exists: fine
        co_await make_file(dir / "f");
        EXPECT_EQ(co_await errno_of(touch_directory((dir / "f").native())), ENOTDIR);
        EXPECT_EQ(co_await errno_of(make_directory((dir / "f" / "x").native())), ENOTDIR);
        EXPECT_EQ(co_await errno_of(make_directory((dir / "no" / "x").native())), ENOENT);

        co_await recursive_touch_directory((dir / "a" / "b" / "c").native());
        EXPECT_TRUE(co_await file_exists((dir / "a" / "b" / "c").native()));
        co_await recursive_touch_directory((dir / "a" / "b" / "c").native()); // again: fine
        EXPECT_EQ(co_await errno_of(recursive_touch_directory((dir / "f" / "y").native())), ENOTDIR);

        co_await sync_directory(dir.native());
        EXPECT_EQ(co_await errno_of(sync_directory((dir / "none").native())), ENOENT);
        EXPECT_EQ(co_await errno_of(sync_directory((dir / "f").native())), ENOTDIR);

        // remove_file takes files and empty directories.
        EXPECT_EQ(co_await errno_of(remove_file((dir / "a").native())), ENOTEMPTY);
        co_await remove_file((dir / "a" / "b" / "c").native());
        co_await remove_file((dir / "f").native());
        EXPECT_FALSE(co_await file_exists((dir / "f").native()));
        EXPECT_EQ(co_await errno_of(remove_file((dir / "f").native())), ENOENT);
    });
}

SEASTAR_TEST_CASE(fs_functions, rename_link_chmod) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto f = dir / "f";
        co_await make_file(f);
        co_await rename_file(f.native(), (dir / "g").native());
        EXPECT_FALSE(co_await file_exists(f.native()));
        EXPECT_TRUE(co_await file_exists((dir / "g").native()));
        EXPECT_EQ(co_await errno_of(rename_file(f.native(), (dir / "h").native())), ENOENT);
        co_await make_directory((dir / "d").native());
        EXPECT_EQ(co_await errno_of(rename_file((dir / "d").native(), (dir / "g").native())), ENOTDIR);

        co_await link_file((dir / "g").native(), (dir / "l").native());
        EXPECT_EQ((co_await file_stat((dir / "g").native())).number_of_links, 2u);
        EXPECT_EQ(co_await errno_of(link_file((dir / "g").native(), (dir / "l").native())), EEXIST);
        EXPECT_EQ(co_await errno_of(link_file((dir / "none").native(), (dir / "m").native())), ENOENT);
        if (fs::exists("/dev/shm") &&
            (co_await file_stat("/dev/shm")).device_id != (co_await file_stat(dir.native())).device_id) {
            // Another file system: no hard link across it.
            auto target = "/dev/shm/seastar_link_" + std::to_string(::getpid());
            EXPECT_EQ(co_await errno_of(link_file((dir / "g").native(), target)), EXDEV);
        }

        // Root is refused execute permission when no one has it.
        co_await chmod((dir / "g").native(), file_permissions::user_read | file_permissions::user_write);
        EXPECT_EQ((co_await file_stat((dir / "g").native())).mode & 0777, 0600u);
        EXPECT_TRUE(co_await file_accessible((dir / "g").native(), access_flags::read));
        EXPECT_FALSE(co_await file_accessible((dir / "g").native(), access_flags::execute));
        co_await chmod((dir / "g").native(), file_permissions::user_permissions);
        EXPECT_TRUE(co_await file_accessible((dir / "g").native(), access_flags::execute));
        EXPECT_FALSE(co_await file_accessible((dir / "none").native(), access_flags::exists));
        EXPECT_EQ(co_await errno_of(file_accessible((dir / "g" / "x").native(), access_flags::read)), ENOTDIR);
        EXPECT_EQ(co_await errno_of(chmod((dir / "none").native(), file_permissions::user_read)), ENOENT);
    });
}

SEASTAR_TEST_CASE(fs_functions, stat_size_type_exists) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto p = dir / "f";
        auto f = co_await open_file_dma(p.native(), open_flags::rw | open_flags::create);
        co_await f.truncate(12345);
        co_await f.close();
        EXPECT_EQ(co_await file_size(p.native()), 12345u);
        auto sd = co_await file_stat(p.native());
        EXPECT_EQ(sd.size, 12345u);
        EXPECT_EQ(sd.type, directory_entry_type::regular);
        EXPECT_GT(sd.inode_number, 0u);
        EXPECT_GT(sd.block_size, 0u);
        EXPECT_GT(sd.time_modified.time_since_epoch().count(), 0);
        EXPECT_EQ(co_await errno_of(file_size((dir / "none").native())), ENOENT);
        EXPECT_EQ(co_await errno_of(file_stat((dir / "f" / "x").native())), ENOTDIR);

        EXPECT_EQ(::symlink(p.c_str(), (dir / "s").c_str()), 0);
        EXPECT_EQ(co_await file_type((dir / "s").native()), directory_entry_type::regular);
        EXPECT_EQ(co_await file_type((dir / "s").native(), follow_symlink::no), directory_entry_type::link);
        EXPECT_EQ((co_await file_stat((dir / "s").native(), follow_symlink::no)).type, directory_entry_type::link);
        EXPECT_EQ(co_await file_type((dir / "none").native()), std::nullopt);
        EXPECT_EQ(co_await errno_of(file_type((dir / "f" / "x").native())), ENOTDIR);
        EXPECT_TRUE(co_await file_exists(p.native()));
        EXPECT_FALSE(co_await file_exists((dir / "none").native()));
        EXPECT_EQ(co_await errno_of(file_exists((dir / "f" / "x").native())), ENOTDIR);
    });
}

SEASTAR_TEST_CASE(fs_functions, file_systems) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto avail = co_await fs_avail(dir.native());
        auto free = co_await fs_free(dir.native());
        EXPECT_GT(free, 0u);
        EXPECT_LE(avail, free);
        EXPECT_EQ(co_await errno_of(fs_avail((dir / "none").native())), ENOENT);
        EXPECT_EQ(co_await errno_of(fs_free((dir / "none").native())), ENOENT);
        EXPECT_EQ(co_await errno_of(file_system_at((dir / "none").native())), ENOENT);
        auto space = co_await file_system_space(dir.native());
        EXPECT_GT(space.capacity, 0u);
        EXPECT_GE(space.capacity, space.free);
        EXPECT_GE(space.free, space.available);
        EXPECT_EQ(co_await errno_of(file_system_space((dir / "none").native())), ENOENT);
        if (fs::exists("/proc/self")) {
            EXPECT_EQ(co_await file_system_at("/proc"), fs_type::other);
        }
        if (fs::exists("/dev/shm")) {
            EXPECT_EQ(co_await file_system_at("/dev/shm"), fs_type::tmpfs);
        }
    });
}

SEASTAR_TEST_CASE(fs_functions, tmp_file_and_tmp_dir) {
    auto d = co_await make_tmp_dir(test_root());
    EXPECT_TRUE(d.has_path());
    EXPECT_EQ(d.get_path().parent_path(), test_root());
    EXPECT_EQ(co_await file_type(d.get_path().native()), directory_entry_type::directory);

    auto t = co_await make_tmp_file(d.get_path());
    EXPECT_TRUE(t.is_open());
    EXPECT_EQ(t.get_path().parent_path(), d.get_path());
    co_await t.get_file().truncate(10);
    co_await t.close();
    EXPECT_EQ(co_await file_size(t.get_path().native()), 10u);
    // A template with its own X run.
    auto t2 = co_await make_tmp_file(d.get_path() / "dataXXXX.db");
    auto name = t2.get_path().filename().string();
    EXPECT_EQ(name.size(), 11u);
    EXPECT_EQ(name.substr(0, 4), "data");
    EXPECT_EQ(name.substr(8), ".db");
    EXPECT_NE(name, "dataXXXX.db");
    co_await t2.close();
    co_await t2.remove();
    EXPECT_FALSE(co_await file_exists(t2.get_path().native()));

    auto path = d.get_path();
    co_await d.remove(); // removes the tree, the remaining file included
    EXPECT_FALSE(co_await file_exists(path.native()));

    // Errors: a template in a missing directory.
    EXPECT_EQ(co_await errno_of(make_tmp_dir(test_root() / "none" / "x")), ENOENT);
    EXPECT_EQ(co_await errno_of(make_tmp_file(test_root() / "none")), ENOENT);

    // do_with removes the directory even when the function fails.
    fs::path seen;
    try {
        co_await tmp_dir::do_with(test_root(), [&](tmp_dir& td) -> future<> {
            seen = td.get_path();
            co_await make_file(td.get_path() / "inside");
            throw std::runtime_error("boom");
        });
        ADD_FAILURE();
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "boom");
    }
    EXPECT_FALSE(seen.empty());
    EXPECT_FALSE(co_await file_exists(seen.native()));
}

// recursive_remove_directory removes a tree (files, directories, a link to a
// file outside it, which survives); a missing path or a file is an error
// that names it.
SEASTAR_TEST_CASE(fs_functions, recursive_remove_directory) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto outside = dir / "outside";
        co_await make_file(outside);
        auto tree = dir / "tree";
        co_await recursive_touch_directory((tree / "a" / "b").native());
        co_await make_file(tree / "top");
        co_await make_file(tree / "a" / "b" / "deep");
        co_await link_file(outside.native(), (tree / "hard").native());
        EXPECT_EQ(::symlink(outside.c_str(), (tree / "a" / "to_outside").c_str()), 0);
        co_await recursive_remove_directory(tree.native() + "/");
        EXPECT_FALSE(co_await file_exists(tree.native()));
        EXPECT_TRUE(co_await file_exists(outside.native()));
        EXPECT_EQ(co_await errno_of(recursive_remove_directory(tree)), ENOENT);
        EXPECT_EQ(co_await errno_of(recursive_remove_directory(outside)), ENOTDIR);
    });
}

// read_entire_file gives back exactly what was written, in one piece or in
// the stream's buffers; an empty file is empty; a missing one fails.
SEASTAR_TEST_CASE(fs_functions, read_entire_file) {
    co_await with_dir([](fs::path dir) -> future<> {
        std::string content;
        for (int i = 0; content.size() < 300000; ++i) {
            content += std::to_string(i * 7919) + ",";
        }
        auto path = dir / "data";
        {
            auto f = co_await open_file_dma(path.native(), open_flags::wo | open_flags::create);
            auto out = co_await make_file_output_stream(f);
            co_await out.write(content.data(), content.size());
            co_await out.close();
        }
        auto whole = co_await util::read_entire_file_contiguous(path);
        EXPECT_EQ(whole.size(), content.size());
        EXPECT_TRUE(std::string(whole.data(), whole.size()) == content);
        auto parts = co_await util::read_entire_file(path);
        EXPECT_GT(parts.size(), 1u);
        std::string joined;
        for (auto& b : parts) {
            joined.append(b.get(), b.size());
        }
        EXPECT_TRUE(joined == content);

        co_await make_file(dir / "empty");
        EXPECT_EQ((co_await util::read_entire_file_contiguous(dir / "empty")).size(), 0u);
        EXPECT_TRUE((co_await util::read_entire_file(dir / "empty")).empty());
        EXPECT_EQ(co_await errno_of(util::read_entire_file_contiguous(dir / "missing")), ENOENT);

        // with_file_input_stream: the function's failure comes back, after
        // the stream was closed.
        std::string first;
        try {
            co_await util::with_file_input_stream(path, [&first](input_stream<char>& in) -> future<> {
                auto b = co_await in.read();
                first.assign(b.get(), std::min<size_t>(b.size(), 5));
                throw std::runtime_error("stop reading");
            });
            ADD_FAILURE() << "the function's failure was lost";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "stop reading");
        }
        EXPECT_EQ(first, content.substr(0, 5));
    });
}

// check_direct_io_support: a directory and a regular file on this file
// system pass (the directory keeps no test file); a missing path or a
// device fails with std::invalid_argument; a file system without O_DIRECT
// (simulated) fails with EINVAL saying so.
SEASTAR_TEST_CASE(fs_functions, check_direct_io_support) {
    co_await with_dir([](fs::path dir) -> future<> {
        co_await make_file(dir / "f");
        co_await check_direct_io_support(dir.native());
        co_await check_direct_io_support((dir / "f").native());
        EXPECT_FALSE(co_await file_exists((dir / ".o_direct_test").native()));
        for (auto bad : {(dir / "none").native(), std::string("/dev/null")}) {
            try {
                co_await check_direct_io_support(bad);
                ADD_FAILURE() << "accepted " << bad;
            } catch (const std::invalid_argument& e) {
                EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
            }
        }
        internal::simulate_no_direct_io(true);
        std::string msg;
        int err = 0;
        try {
            co_await check_direct_io_support(dir.native());
        } catch (const std::system_error& e) {
            err = e.code().value();
            msg = e.what();
        }
        internal::simulate_no_direct_io(false);
        EXPECT_EQ(err, EINVAL);
        EXPECT_NE(msg.find("does not support O_DIRECT"), std::string::npos) << msg;
    });
}

} // namespace
