// The file-system functions of seastar.hh and tmp_file/tmp_dir, each with
// its error paths: a missing file, a path through a regular file (ENOTDIR),
// denied access (execute permission, which root is refused too when no one
// has it), a cross-device link. Under $TEST_TMPDIR.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "seastar/core/coroutine.hh"
#include "seastar/core/file.hh"
#include "seastar/core/fstream.hh"
#include "seastar/core/thread.hh"
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

// tmp_file::do_with: the file is there, open, while func runs; it is closed
// and removed after, also when func throws or returns a failed future, whose
// error comes back. func may return void. Its failure wins over a failing
// clean-up; without one, the clean-up's failure comes back.
SEASTAR_TEST_CASE(fs_functions, tmp_file_do_with) {
    co_await with_dir([](fs::path dir) -> future<> {
        fs::path seen;
        bool was_open = false;
        co_await tmp_file::do_with(dir, [&](tmp_file& t) -> future<> {
            seen = t.get_path();
            was_open = t.is_open();
            EXPECT_TRUE(co_await file_exists(t.get_path().native()));
            co_await t.get_file().truncate(4096);
            EXPECT_EQ(co_await file_size(t.get_path().native()), 4096u);
        });
        EXPECT_TRUE(was_open);
        EXPECT_EQ(seen.parent_path(), dir);
        EXPECT_FALSE(co_await file_exists(seen.native()));

        // A void function, a name template, flags and the creation mode.
        seen.clear();
        file_open_options opts;
        opts.create_permissions = file_permissions::user_read | file_permissions::user_write;
        co_await tmp_file::do_with(
            dir / "dataXXXX.db", [&](tmp_file& t) { seen = t.get_path(); }, open_flags::rw, opts);
        EXPECT_EQ(seen.filename().string().size(), 11u);
        EXPECT_FALSE(co_await file_exists(seen.native()));
        uint64_t mode = 0;
        co_await tmp_file::do_with(
            dir,
            [&](tmp_file& t) { return file_stat(t.get_path().native()).then([&](stat_data sd) { mode = sd.mode; }); },
            open_flags::rw, opts);
        EXPECT_EQ(mode & 0777, 0600u);

        // func closes (and may remove) the file itself: nothing left to do.
        co_await tmp_file::do_with(dir, [](tmp_file& t) { return t.close().then([&t] { return t.remove(); }); });

        // func throws, or returns a failed future: removed, error kept.
        for (bool throw_now : {true, false}) {
            seen.clear();
            try {
                co_await tmp_file::do_with(dir, [&](tmp_file& t) -> future<> {
                    seen = t.get_path();
                    if (throw_now) {
                        throw std::runtime_error("boom");
                    }
                    return make_exception_future<>(std::runtime_error("boom"));
                });
                ADD_FAILURE() << "the function's failure was lost";
            } catch (const std::runtime_error& e) {
                EXPECT_STREQ(e.what(), "boom");
            }
            EXPECT_FALSE(seen.empty());
            EXPECT_FALSE(co_await file_exists(seen.native()));
        }

        // The file removed behind tmp_file's back: the clean-up fails
        // (ENOENT), unless func failed too, whose error wins.
        auto remove_behind = [](tmp_file& t) { return remove_file(t.get_path().native()); };
        EXPECT_EQ(co_await errno_of(tmp_file::do_with(dir, remove_behind)), ENOENT);
        try {
            co_await tmp_file::do_with(dir, [&](tmp_file& t) {
                return remove_behind(t).then([] { return make_exception_future<>(std::runtime_error("first")); });
            });
            ADD_FAILURE();
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "first");
        }

        // No file, no call.
        bool called = false;
        EXPECT_EQ(co_await errno_of(tmp_file::do_with(dir / "none" / "x", [&](tmp_file&) { called = true; })), ENOENT);
        EXPECT_FALSE(called);

        // Under default_tmpdir().
        co_await tmp_file::do_with([&](tmp_file& t) { seen = t.get_path(); });
        EXPECT_EQ(seen.parent_path(), default_tmpdir());
        EXPECT_FALSE(co_await file_exists(seen.native()));
    });
}

// tmp_dir::do_with takes a function returning void, and the directory's
// permissions (less the umask, as mkdir(2) applies it).
SEASTAR_TEST_CASE(fs_functions, tmp_dir_do_with_void_and_permissions) {
    fs::path seen;
    co_await tmp_dir::do_with(test_root(), [&](tmp_dir& t) { seen = t.get_path(); });
    EXPECT_EQ(seen.parent_path(), test_root());
    EXPECT_FALSE(co_await file_exists(seen.native()));

    seen.clear();
    co_await tmp_dir::do_with([&](tmp_dir& t) { seen = t.get_path(); });
    EXPECT_EQ(seen.parent_path(), default_tmpdir());
    EXPECT_FALSE(co_await file_exists(seen.native()));

    mode_t mask = ::umask(0);
    ::umask(mask);
    for (auto perms :
         {file_permissions::user_permissions,
          file_permissions::user_permissions | file_permissions::group_read | file_permissions::group_execute}) {
        uint64_t mode = 0;
        co_await tmp_dir::do_with(
            test_root(),
            [&](tmp_dir& t) -> future<> {
                auto sd = co_await file_stat(t.get_path().native());
                EXPECT_EQ(sd.type, directory_entry_type::directory);
                mode = sd.mode;
            },
            perms);
        EXPECT_EQ(mode & 0777, unsigned(perms) & ~mask);
    }
}

// do_with_thread: func runs in a seastar::thread (it may wait with get());
// the directory is removed after, also when func throws.
SEASTAR_TEST_CASE(fs_functions, tmp_dir_do_with_thread) {
    fs::path seen;
    co_await tmp_dir::do_with_thread([&](tmp_dir& t) {
        seen = t.get_path();
        EXPECT_TRUE(thread::running_in_thread());
        make_file(t.get_path() / "inside").get();
        EXPECT_TRUE(file_exists((t.get_path() / "inside").native()).get());
    });
    EXPECT_EQ(seen.parent_path(), default_tmpdir());
    EXPECT_FALSE(co_await file_exists(seen.native()));

    seen.clear();
    try {
        co_await tmp_dir::do_with_thread([&](tmp_dir& t) {
            seen = t.get_path();
            make_file(t.get_path() / "inside").get();
            throw std::runtime_error("thread boom");
        });
        ADD_FAILURE() << "the function's failure was lost";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "thread boom");
    }
    EXPECT_FALSE(seen.empty());
    EXPECT_FALSE(co_await file_exists(seen.native()));
}

TEST(file_types, operators) {
    static_assert((open_flags::rw | open_flags::create) == open_flags(O_RDWR | O_CREAT));
    auto flags = open_flags::wo | open_flags::create | open_flags::exclusive;
    flags &= open_flags::create | open_flags::truncate;
    EXPECT_EQ(flags, open_flags::create);
    flags &= open_flags::exclusive;
    EXPECT_EQ(int(flags), 0);
    flags |= open_flags::dsync;
    EXPECT_EQ(flags, open_flags::dsync);

    auto rw = access_flags::read | access_flags::write;
    EXPECT_EQ(rw & access_flags::read, access_flags::read);
    EXPECT_EQ(int(rw & access_flags::execute), 0);
    EXPECT_EQ(int(access_flags::exists & rw), 0);
    static_assert((access_flags::lookup & access_flags::execute) == access_flags::execute);

    static_assert((file_permissions::all_permissions & file_permissions::group_permissions) ==
                  file_permissions::group_permissions);
    EXPECT_EQ(unsigned(file_permissions::user_read | file_permissions::others_write), 0402u);
}

// getgrnam finds the group of this process (as getgrgid_r names it), with its
// id and members; a name no group has gives nothing.
SEASTAR_TEST_CASE(fs_functions, getgrnam) {
    struct ::group grp{};
    struct ::group* found = nullptr;
    std::vector<char> buf(1 << 16);
    ::getgrgid_r(::getgid(), &grp, buf.data(), buf.size(), &found);
    if (!found) {
        // (GTEST_SKIP returns, which a coroutine cannot.)
        std::cerr << "gid " << ::getgid() << " has no entry in the group database: skipped\n";
        co_return;
    }
    std::string name = grp.gr_name;
    std::vector<std::string> members;
    for (char** m = grp.gr_mem; *m; ++m) {
        members.emplace_back(*m);
    }
    auto g = co_await seastar::getgrnam(name);
    if (!g) {
        ADD_FAILURE() << "no group " << name;
        co_return;
    }
    EXPECT_EQ(g->group_name, name);
    EXPECT_EQ(g->group_id, ::getgid());
    EXPECT_EQ(g->group_members.size(), members.size());
    for (size_t i = 0; i < std::min(members.size(), g->group_members.size()); ++i) {
        EXPECT_EQ(g->group_members[i], members[i]);
    }
    EXPECT_EQ(co_await seastar::getgrnam("no-such-group-" + std::to_string(::getpid())), std::nullopt);
    EXPECT_EQ(co_await seastar::getgrnam(""), std::nullopt);
}

// chown to our own ids succeeds and file_stat shows them; root can give the
// file away and back. A missing file fails with ENOENT, naming it.
SEASTAR_TEST_CASE(fs_functions, chown) {
    co_await with_dir([](fs::path dir) -> future<> {
        auto p = (dir / "f").native();
        co_await make_file(p);
        co_await seastar::chown(p, ::getuid(), ::getgid());
        auto sd = co_await file_stat(p);
        EXPECT_EQ(sd.uid, ::getuid());
        EXPECT_EQ(sd.gid, ::getgid());
        if (::geteuid() == 0) {
            co_await seastar::chown(p, 4321, 1234);
            sd = co_await file_stat(p);
            EXPECT_EQ(sd.uid, 4321u);
            EXPECT_EQ(sd.gid, 1234u);
            // -1 keeps that id.
            co_await seastar::chown(p, uid_t(-1), ::getgid());
            sd = co_await file_stat(p);
            EXPECT_EQ(sd.uid, 4321u);
            EXPECT_EQ(sd.gid, ::getgid());
        }
        EXPECT_EQ(co_await errno_of(seastar::chown((dir / "none").native(), ::getuid(), ::getgid())), ENOENT);
    });
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
// device fails with std::runtime_error; a file system without O_DIRECT
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
            } catch (const std::runtime_error& e) {
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
