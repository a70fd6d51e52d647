// Files on the running backend's I/O path (SEASTAR_TEST_BACKEND): data
// written reads back identical, EOF and short reads, alignment errors,
// flush/truncate/allocate/discard, vectored I/O, directory listing and the
// buffered fallback. Files live in a fresh directory under $TEST_TMPDIR.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "seastar/core/aligned_buffer.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/file.hh"
#include "seastar/core/layered_file.hh"
#include "seastar/core/smp.hh"
#include "seastar/core/when_all.hh"
#include "seastar/disk/file_functions.hh"
#include "seastar/disk/internal/posix_file.hh"
#include "seastar/testing/seastar_test.hh"
#include "seastar/util/tmp_file.hh"

namespace {

using namespace seastar;

std::filesystem::path test_root() {
    auto d = std::getenv("TEST_TMPDIR");
    return d ? std::filesystem::path(d) : default_tmpdir();
}

template <typename Func>
future<> with_dir(Func func) {
    return tmp_dir::do_with(test_root(), [func](tmp_dir& d) { return func(d.get_path()); });
}

template <typename E>
future<std::string> fails_with(future<> f) {
    try {
        co_await std::move(f);
    } catch (const E& e) {
        co_return std::string(e.what());
    } catch (const std::exception& e) {
        ADD_FAILURE() << "failed with another error: " << e.what();
        co_return std::string();
    }
    ADD_FAILURE() << "did not fail";
    co_return std::string();
}

future<int> errno_of(future<> f) {
    try {
        co_await std::move(f);
    } catch (const std::system_error& e) {
        co_return e.code().value();
    }
    co_return 0;
}

constexpr auto rw_create = open_flags::rw | open_flags::create;

SEASTAR_TEST_CASE(file, random_writes_read_back_identical_on_several_files) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        std::mt19937 rng(12345);
        constexpr size_t file_size = 256 * 1024;
        std::vector<file> files;
        std::vector<std::vector<char>> model;
        for (int i = 0; i < 3; ++i) {
            files.push_back(co_await open_file_dma((dir / ("f" + std::to_string(i))).native(), rw_create));
            model.emplace_back(file_size, 0);
        }
        auto align = files[0].disk_write_dma_alignment();
        EXPECT_GE(align, 512u);
        EXPECT_EQ(files[0].disk_read_dma_alignment() & (files[0].disk_read_dma_alignment() - 1), 0u);
        // Rounds of concurrent, non-overlapping writes of random aligned
        // extents on every file at once.
        for (int round = 0; round < 8; ++round) {
            std::vector<future<size_t>> writes;
            std::vector<std::unique_ptr<char[], free_deleter>> bufs;
            for (size_t fi = 0; fi < files.size(); ++fi) {
                auto blocks = file_size / align;
                std::set<size_t> used;
                for (int k = 0; k < 6; ++k) {
                    size_t start = rng() % blocks;
                    size_t n = 1 + rng() % 8;
                    bool clash = start + n > blocks;
                    for (size_t b = start; b < start + n && !clash; ++b) {
                        clash = used.count(b);
                    }
                    if (clash) {
                        continue;
                    }
                    for (size_t b = start; b < start + n; ++b) {
                        used.insert(b);
                    }
                    auto len = n * align;
                    auto buf = allocate_aligned_buffer<char>(len, files[fi].memory_dma_alignment());
                    for (size_t j = 0; j < len; ++j) {
                        buf[j] = char(rng());
                    }
                    std::memcpy(model[fi].data() + start * align, buf.get(), len);
                    writes.push_back(files[fi].dma_write(start * align, buf.get(), len));
                    bufs.push_back(std::move(buf));
                }
            }
            auto done = co_await when_all_succeed(writes.begin(), writes.end());
            for (auto n : done) {
                EXPECT_EQ(n % align, 0u);
            }
        }
        for (size_t fi = 0; fi < files.size(); ++fi) {
            co_await files[fi].truncate(file_size);
            // Random unaligned ranges, read concurrently.
            std::vector<future<temporary_buffer<char>>> reads;
            std::vector<std::pair<size_t, size_t>> ranges;
            for (int k = 0; k < 20; ++k) {
                size_t pos = rng() % file_size;
                size_t len = 1 + rng() % std::min<size_t>(file_size - pos, 40000);
                ranges.emplace_back(pos, len);
                reads.push_back(files[fi].dma_read<char>(pos, len));
            }
            auto got = co_await when_all_succeed(reads.begin(), reads.end());
            for (size_t k = 0; k < got.size(); ++k) {
                auto [pos, len] = ranges[k];
                EXPECT_EQ(got[k].size(), len);
                EXPECT_EQ(std::memcmp(got[k].get(), model[fi].data() + pos, len), 0) << "file " << fi << " at " << pos;
            }
            auto whole = co_await files[fi].dma_read_exactly<char>(0, file_size);
            EXPECT_EQ(std::memcmp(whole.get(), model[fi].data(), file_size), 0);
            co_await files[fi].close();
        }
    });
}

SEASTAR_TEST_CASE(file, short_reads_at_eof) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto f = co_await open_file_dma((dir / "short").native(), rw_create);
        auto align = f.disk_write_dma_alignment();
        auto buf = allocate_aligned_buffer<char>(2 * align, f.memory_dma_alignment());
        for (size_t i = 0; i < 2 * align; ++i) {
            buf[i] = char('a' + i % 26);
        }
        EXPECT_EQ(co_await f.dma_write(0, buf.get(), 2 * align), 2 * align);
        auto size = align + 100;
        co_await f.truncate(size);
        EXPECT_EQ(co_await f.size(), size);

        auto rbuf = allocate_aligned_buffer<char>(4 * align, f.memory_dma_alignment());
        auto rd_align = f.disk_read_dma_alignment();
        EXPECT_EQ(co_await f.dma_read(0, rbuf.get(), 4 * align), size);
        EXPECT_EQ(std::memcmp(rbuf.get(), buf.get(), size), 0);
        // At and past the end: 0 bytes.
        EXPECT_EQ(co_await f.dma_read(4 * align, rbuf.get(), rd_align), 0u);

        auto tail = co_await f.dma_read<char>(size - 10, 100);
        EXPECT_EQ(tail.size(), 10u);
        EXPECT_EQ(std::memcmp(tail.get(), buf.get() + size - 10, 10), 0);
        auto past = co_await f.dma_read<char>(size + 5, 100);
        EXPECT_EQ(past.size(), 0u);
        auto msg = co_await fails_with<file::eof_error>(f.dma_read_exactly<char>(size - 10, 100).discard_result());
        EXPECT_FALSE(msg.empty());
        auto bulk = co_await f.dma_read_bulk<char>(3, 17);
        EXPECT_EQ(bulk.size(), 17u);
        EXPECT_EQ(std::memcmp(bulk.get(), buf.get() + 3, 17), 0);
        auto empty = co_await f.dma_read<char>(5, 0);
        EXPECT_EQ(empty.size(), 0u);
        co_await f.close();
    });
}

SEASTAR_TEST_CASE(file, misaligned_requests_fail_naming_the_alignment) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto f = co_await open_file_dma((dir / "align").native(), rw_create);
        auto wa = f.disk_write_dma_alignment();
        // Writes need the overwrite alignment (the device's); whole write
        // alignments are what appends should use.
        auto oa = f.disk_overwrite_dma_alignment();
        EXPECT_LE(oa, wa);
        EXPECT_EQ(wa % oa, 0u);
        auto ra = f.disk_read_dma_alignment();
        auto ma = f.memory_dma_alignment();
        auto buf = allocate_aligned_buffer<char>(4 * wa, std::max<size_t>(ma, 4096));
        auto msg = co_await fails_with<std::invalid_argument>(f.dma_write(1, buf.get(), wa).discard_result());
        EXPECT_NE(msg.find("position 1"), std::string::npos) << msg;
        EXPECT_NE(msg.find("alignment " + std::to_string(oa)), std::string::npos) << msg;
        msg = co_await fails_with<std::invalid_argument>(f.dma_write(0, buf.get(), wa + 1).discard_result());
        EXPECT_NE(msg.find("length " + std::to_string(wa + 1)), std::string::npos) << msg;
        msg = co_await fails_with<std::invalid_argument>(f.dma_write(0, buf.get() + 1, wa).discard_result());
        EXPECT_NE(msg.find("buffer address"), std::string::npos) << msg;
        EXPECT_NE(msg.find("alignment " + std::to_string(ma)), std::string::npos) << msg;
        msg = co_await fails_with<std::invalid_argument>(f.dma_read(ra / 2, buf.get(), ra).discard_result());
        EXPECT_NE(msg.find("alignment " + std::to_string(ra)), std::string::npos) << msg;
        std::vector<iovec> iov{{buf.get(), wa}, {buf.get() + wa, 3}};
        msg = co_await fails_with<std::invalid_argument>(f.dma_write(0, std::move(iov)).discard_result());
        EXPECT_NE(msg.find("length 3"), std::string::npos) << msg;
        // Nothing was written by the failed calls.
        EXPECT_EQ(co_await f.size(), 0u);
        co_await f.close();
    });
}

SEASTAR_TEST_CASE(file, vectored_io) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto f = co_await open_file_dma((dir / "iov").native(), rw_create);
        auto a = f.disk_write_dma_alignment();
        auto m = f.memory_dma_alignment();
        auto b1 = allocate_aligned_buffer<char>(a, m);
        auto b2 = allocate_aligned_buffer<char>(2 * a, m);
        std::memset(b1.get(), 'x', a);
        std::memset(b2.get(), 'y', 2 * a);
        EXPECT_EQ(co_await f.dma_write(a, std::vector<iovec>{{b1.get(), a}, {b2.get(), 2 * a}}), 3 * a);
        auto r1 = allocate_aligned_buffer<char>(2 * a, m);
        auto r2 = allocate_aligned_buffer<char>(2 * a, m);
        EXPECT_EQ(co_await f.dma_read(0, std::vector<iovec>{{r1.get(), 2 * a}, {r2.get(), 2 * a}}), 4 * a);
        EXPECT_EQ(r1[0], 0);
        EXPECT_EQ(r1[a], 'x');
        EXPECT_EQ(r2[0], 'y');
        EXPECT_EQ(r2[2 * a - 1], 'y');
        co_await f.close();
    });
}

SEASTAR_TEST_CASE(file, flush_truncate_allocate_discard_stat) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto f = co_await open_file_dma((dir / "ops").native(), rw_create);
        auto a = f.disk_write_dma_alignment();
        auto buf = allocate_aligned_buffer<char>(16 * a, f.memory_dma_alignment());
        std::memset(buf.get(), 'z', 16 * a);
        co_await f.dma_write(0, buf.get(), 16 * a);
        co_await f.flush();
        auto st = co_await f.stat();
        EXPECT_EQ(uint64_t(st.st_size), 16 * a);
        EXPECT_TRUE(S_ISREG(st.st_mode));

        co_await f.truncate(3 * a + 7);
        EXPECT_EQ(co_await f.size(), 3 * a + 7);
        co_await f.truncate(0);
        EXPECT_EQ(co_await f.size(), 0u);

        // allocate() reserves blocks but keeps the size.
        auto before = (co_await f.stat()).st_blocks;
        co_await f.allocate(0, 1 << 20);
        auto after = co_await f.stat();
        EXPECT_EQ(after.st_size, 0);
        EXPECT_GT(after.st_blocks, before);

        // discard() punches a hole: zeros come back, the size stays.
        co_await f.dma_write(0, buf.get(), 16 * a);
        co_await f.discard(4 * a, 4 * a);
        auto back = co_await f.dma_read_exactly<char>(0, 16 * a);
        EXPECT_EQ(back[4 * a - 1], 'z');
        EXPECT_EQ(back[4 * a], 0);
        EXPECT_EQ(back[8 * a - 1], 0);
        EXPECT_EQ(back[8 * a], 'z');
        EXPECT_EQ(co_await f.size(), 16 * a);
        co_await f.close();

        // A closed handle (and its copies) report EBADF.
        auto copy = f;
        EXPECT_EQ(co_await errno_of(copy.size().discard_result()), EBADF);
        EXPECT_EQ(co_await errno_of(copy.dma_write(0, buf.get(), a).discard_result()), EBADF);
        EXPECT_EQ(co_await errno_of(copy.close()), EBADF);
    });
}

SEASTAR_TEST_CASE(file, open_errors) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto missing = (dir / "missing").native();
        EXPECT_EQ(co_await errno_of(open_file_dma(missing, open_flags::ro).discard_result()), ENOENT);
        auto f = co_await open_file_dma((dir / "x").native(), rw_create | open_flags::exclusive);
        co_await f.close();
        EXPECT_EQ(
            co_await errno_of(open_file_dma((dir / "x").native(), rw_create | open_flags::exclusive).discard_result()),
            EEXIST);
        // A directory cannot be opened for writing (a file-type error, which
        // root gets too).
        EXPECT_EQ(co_await errno_of(open_file_dma(dir.native(), open_flags::rw).discard_result()), EISDIR);
        EXPECT_EQ(co_await errno_of(open_directory(missing).discard_result()), ENOENT);
        EXPECT_EQ(co_await errno_of(open_directory((dir / "x").native()).discard_result()), ENOTDIR);
        // Writing a read-only handle fails with the syscall's error.
        auto ro = co_await open_file_dma((dir / "x").native(), open_flags::ro);
        auto buf = allocate_aligned_buffer<char>(ro.disk_write_dma_alignment(), ro.memory_dma_alignment());
        EXPECT_EQ(co_await errno_of(ro.dma_write(0, buf.get(), ro.disk_write_dma_alignment()).discard_result()), EBADF);
        co_await ro.close();
        // truncate on open.
        auto t = co_await open_file_dma((dir / "t").native(), rw_create);
        auto a = t.disk_write_dma_alignment();
        auto b = allocate_aligned_buffer<char>(a, t.memory_dma_alignment());
        co_await t.dma_write(0, b.get(), a);
        co_await t.close();
        t = co_await open_file_dma((dir / "t").native(), open_flags::rw | open_flags::truncate);
        EXPECT_EQ(co_await t.size(), 0u);
        co_await t.close();
    });
}

SEASTAR_TEST_CASE(file, list_directory) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        for (auto name : {"a", "b", "c"}) {
            auto f = co_await open_file_dma((dir / name).native(), rw_create);
            co_await f.close();
        }
        co_await make_directory((dir / "sub").native());
        auto d = co_await open_directory(dir.native());
        std::map<std::string, std::optional<directory_entry_type>> seen;
        for (int pass = 0; pass < 2; ++pass) {
            seen.clear();
            auto sub = d.list_directory([&](directory_entry de) {
                seen[de.name] = de.type;
                return make_ready_future<>();
            });
            co_await sub.done();
            EXPECT_EQ(seen.size(), 4u);
            EXPECT_EQ(seen["a"], directory_entry_type::regular);
            EXPECT_EQ(seen["sub"], directory_entry_type::directory);
            EXPECT_EQ(seen.count("."), 0u);
        }
        // An error from the consumer ends the listing with that error.
        int calls = 0;
        auto sub = d.list_directory([&](directory_entry) {
            ++calls;
            return make_exception_future<>(std::runtime_error("stop here"));
        });
        auto msg = co_await fails_with<std::runtime_error>(sub.done());
        EXPECT_EQ(msg, "stop here");
        EXPECT_EQ(calls, 1);
        co_await d.flush();
        co_await d.close();
    });
}

SEASTAR_TEST_CASE(file, buffered_fallback_without_o_direct) {
    internal::simulate_no_direct_io(true);
    std::exception_ptr err;
    try {
        co_await with_dir([](std::filesystem::path dir) -> future<> {
            auto f = co_await open_file_dma((dir / "buffered").native(), rw_create);
            auto a = f.disk_write_dma_alignment();
            // Without O_DIRECT the alignment comes from st_blksize.
            EXPECT_EQ(a, uint64_t((co_await f.stat()).st_blksize));
            auto buf = allocate_aligned_buffer<char>(a, f.memory_dma_alignment());
            std::memset(buf.get(), 'q', a);
            co_await f.dma_write(0, buf.get(), a);
            co_await f.truncate(a - 1);
            auto back = co_await f.dma_read<char>(0, a);
            EXPECT_EQ(back.size(), a - 1);
            EXPECT_EQ(back[a - 2], 'q');
            // The same alignment rules apply.
            co_await fails_with<std::invalid_argument>(f.dma_write(1, buf.get(), a).discard_result());
            co_await f.close();
        });
    } catch (...) {
        err = std::current_exception();
    }
    internal::simulate_no_direct_io(false);
    if (err) {
        std::rethrow_exception(err);
    }
}

// A file handle crosses shards: shard 1 opens the file from it after shard 0
// closed its own copy, reads what shard 0 wrote and writes more; a copy of
// the handle then reads that back on shard 0. A closed file has no handle.
TEST(file, a_dup_opens_the_file_on_another_shard) {
    EXPECT_EQ(seastar::testing::run_on_shards(
                  2,
                  []() -> future<> {
                      co_await with_dir([](std::filesystem::path dir) -> future<> {
                          auto f = co_await open_file_dma((dir / "shared").native(), rw_create);
                          auto align = f.disk_write_dma_alignment();
                          auto buf = allocate_aligned_buffer<char>(align, f.memory_dma_alignment());
                          std::memset(buf.get(), 'a', align);
                          EXPECT_EQ(co_await f.dma_write(0, buf.get(), align), align);
                          auto h = f.dup();
                          co_await f.close();
                          EXPECT_EQ(co_await errno_of(futurize_invoke([&f] { (void)f.dup(); })), EBADF);
                          co_await smp::submit_to(1, [h, align]() -> future<> {
                              auto g = h.to_file();
                              auto got = co_await g.dma_read<char>(0, align);
                              EXPECT_EQ(std::string(got.get(), got.size()), std::string(align, 'a'));
                              auto b = allocate_aligned_buffer<char>(align, g.memory_dma_alignment());
                              std::memset(b.get(), 'b', align);
                              EXPECT_EQ(co_await g.dma_write(align, b.get(), align), align);
                              co_await g.close();
                          });
                          seastar::file_handle copy = h;
                          auto g = std::move(copy).to_file();
                          EXPECT_EQ(co_await g.size(), 2 * align);
                          auto got = co_await g.dma_read<char>(align, align);
                          EXPECT_EQ(std::string(got.get(), got.size()), std::string(align, 'b'));
                          co_await g.close();
                      });
                  }),
              0);
}

// with_file closes the file after the function, whether it succeeded or
// failed, and returns what it returned; with_file_close_on_failure closes it
// only on failure. A file that cannot be opened never reaches the function.
SEASTAR_TEST_CASE(file, with_file_closes_the_file) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto path = (dir / "w").native();
        auto f = co_await open_file_dma(path, rw_create);
        co_await f.truncate(8192);
        co_await f.close();

        file kept;
        auto size = co_await with_file(open_file_dma(path, open_flags::ro), [&kept](file& f) {
            kept = f;
            return f.size();
        });
        EXPECT_EQ(size, 8192u);
        EXPECT_EQ(co_await errno_of(kept.size().discard_result()), EBADF);

        auto msg = co_await fails_with<std::runtime_error>(
            with_file(open_file_dma(path, open_flags::ro), [&kept](file& f) -> future<> {
                kept = f;
                throw std::runtime_error("the function failed");
            }));
        EXPECT_EQ(msg, "the function failed");
        EXPECT_EQ(co_await errno_of(kept.size().discard_result()), EBADF);

        bool called = false;
        EXPECT_EQ(co_await errno_of(with_file(open_file_dma((dir / "missing").native(), open_flags::ro),
                                              [&called](file&) { called = true; })),
                  ENOENT);
        EXPECT_FALSE(called);

        co_await with_file_close_on_failure(open_file_dma(path, open_flags::ro), [&kept](file& f) { kept = f; });
        EXPECT_EQ(co_await kept.size(), 8192u); // still open
        co_await kept.close();
        msg = co_await fails_with<std::runtime_error>(
            with_file_close_on_failure(open_file_dma(path, open_flags::ro), [&kept](file& f) -> future<> {
                kept = f;
                return make_exception_future<>(std::runtime_error("failed later"));
            }));
        EXPECT_EQ(msg, "failed later");
        EXPECT_EQ(co_await errno_of(kept.size().discard_result()), EBADF);
    });
}

// Rewriting blocks written before at the overwrite alignment works and reads
// back; it is finer than the write alignment where the device allows.
SEASTAR_TEST_CASE(file, overwrites_at_the_overwrite_alignment) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto f = co_await open_file_dma((dir / "ow").native(), rw_create);
        auto wa = f.disk_write_dma_alignment();
        auto oa = f.disk_overwrite_dma_alignment();
        auto m = f.memory_dma_alignment();
        auto buf = allocate_aligned_buffer<char>(2 * wa, m);
        std::memset(buf.get(), 'a', 2 * wa);
        EXPECT_EQ(co_await f.dma_write(0, buf.get(), 2 * wa), 2 * wa);
        std::memset(buf.get(), 'b', oa);
        EXPECT_EQ(co_await f.dma_write(oa, buf.get(), oa), oa);
        auto back = co_await f.dma_read<char>(0, 2 * wa);
        EXPECT_EQ(back.size(), 2 * wa);
        if (back.size() != 2 * wa) {
            co_return;
        }
        EXPECT_EQ(back[oa - 1], 'a');
        EXPECT_EQ(back[oa], 'b');
        EXPECT_EQ(back[2 * oa - 1], 'b');
        EXPECT_EQ(back[0], 'a');
        if (2 * oa < 2 * wa) {
            EXPECT_EQ(back[2 * oa], 'a');
        }
        EXPECT_GE(f.disk_read_max_length(), 1u << 20);
        EXPECT_GE(f.disk_write_max_length(), 1u << 20);
        co_await f.close();
    });
}

// ioctl and fcntl reach the file's fd, on the syscall thread or inline; a
// request the file does not take fails with its errno; a closed file EBADF.
SEASTAR_TEST_CASE(file, ioctl_and_fcntl) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto f = co_await open_file_dma((dir / "ctl").native(), rw_create);
        int flags = co_await f.fcntl(F_GETFL);
        EXPECT_EQ(flags & O_ACCMODE, O_RDWR);
        EXPECT_EQ(co_await f.fcntl_short(F_GETFL), flags);
        EXPECT_NE(co_await f.fcntl(F_GETFD) & FD_CLOEXEC, 0);
        auto st = co_await f.stat();
        int block = 0;
        EXPECT_EQ(co_await f.ioctl(FIGETBSZ, &block), 0);
        EXPECT_EQ(block, int(st.st_blksize));
        block = 0;
        EXPECT_EQ(co_await f.ioctl_short(FIGETBSZ, &block), 0);
        EXPECT_EQ(block, int(st.st_blksize));
        int depth = 0;
        EXPECT_EQ(co_await errno_of(f.ioctl(BLKSSZGET, &depth).discard_result()), ENOTTY);
        EXPECT_EQ(co_await errno_of(f.fcntl_short(-1).discard_result()), EINVAL);

        // The write lifetime hint of the inode.
        EXPECT_EQ(co_await f.get_inode_lifetime_hint(), uint64_t(RWH_WRITE_LIFE_NOT_SET));
        co_await f.set_inode_lifetime_hint(RWH_WRITE_LIFE_SHORT);
        EXPECT_EQ(co_await f.get_inode_lifetime_hint(), uint64_t(RWH_WRITE_LIFE_SHORT));
        EXPECT_EQ(co_await errno_of(f.set_inode_lifetime_hint(999)), EINVAL);
        EXPECT_EQ(co_await f.get_inode_lifetime_hint(), uint64_t(RWH_WRITE_LIFE_SHORT));

        co_await f.close();
        EXPECT_EQ(co_await errno_of(f.fcntl(F_GETFL).discard_result()), EBADF);
        EXPECT_EQ(co_await errno_of(f.ioctl_short(FIGETBSZ, &block).discard_result()), EBADF);
    });
}

// A wrapper over a file, as users write them: it counts what passes and
// forwards everything; it does not override dma_read_bulk or
// experimental_list_directory, so their defaults run over its read_dma and
// list_directory.
class counting_file final : public layered_file_impl {
public:
    using layered_file_impl::layered_file_impl;
    unsigned reads = 0;
    unsigned writes = 0;
    unsigned listings = 0;

    future<size_t> write_dma(uint64_t pos, const void* b, size_t len, io_intent* i) override {
        ++writes;
        return underlying_file().dma_write(pos, static_cast<const char*>(b), len, i);
    }
    future<size_t> write_dma(uint64_t pos, std::vector<iovec> iov, io_intent* i) override {
        ++writes;
        return underlying_file().dma_write(pos, std::move(iov), i);
    }
    future<size_t> read_dma(uint64_t pos, void* b, size_t len, io_intent* i) override {
        ++reads;
        return underlying_file().dma_read(pos, static_cast<char*>(b), len, i);
    }
    future<size_t> read_dma(uint64_t pos, std::vector<iovec> iov, io_intent* i) override {
        ++reads;
        return underlying_file().dma_read(pos, std::move(iov), i);
    }
    future<> flush() override { return underlying_file().flush(); }
    future<struct stat> stat() override { return underlying_file().stat(); }
    future<> truncate(uint64_t l) override { return underlying_file().truncate(l); }
    future<> discard(uint64_t o, uint64_t l) override { return underlying_file().discard(o, l); }
    future<> allocate(uint64_t p, uint64_t l) override { return underlying_file().allocate(p, l); }
    future<uint64_t> size() override { return underlying_file().size(); }
    future<> close() override { return underlying_file().close(); }
    subscription<directory_entry> list_directory(std::function<future<>(directory_entry de)> next) override {
        ++listings;
        return underlying_file().list_directory(std::move(next));
    }
};

SEASTAR_TEST_CASE(file, a_layered_file_sees_every_request) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto real = co_await open_file_dma((dir / "layered").native(), rw_create);
        auto impl = make_shared<counting_file>(real);
        file f(impl);
        EXPECT_EQ(f.disk_write_dma_alignment(), real.disk_write_dma_alignment());
        EXPECT_EQ(f.disk_read_dma_alignment(), real.disk_read_dma_alignment());
        EXPECT_EQ(f.memory_dma_alignment(), real.memory_dma_alignment());
        EXPECT_EQ(f.disk_overwrite_dma_alignment(), real.disk_overwrite_dma_alignment());
        auto a = f.disk_write_dma_alignment();
        auto buf = allocate_aligned_buffer<char>(4 * a, f.memory_dma_alignment());
        for (size_t i = 0; i < 4 * a; ++i) {
            buf[i] = char('a' + i % 26);
        }
        EXPECT_EQ(co_await f.dma_write(0, buf.get(), 4 * a), 4 * a);
        EXPECT_EQ(impl->writes, 1u);
        // Unaligned ranges go through the default dma_read_bulk, which reads
        // through the wrapper.
        auto part = co_await f.dma_read<char>(3, a + 5);
        EXPECT_EQ(part.size(), a + 5);
        EXPECT_EQ(std::string(part.get(), part.size()), std::string(buf.get() + 3, a + 5));
        EXPECT_GE(impl->reads, 1u);
        auto tail = co_await f.dma_read_exactly<char>(4 * a - 10, 10);
        EXPECT_EQ(std::string(tail.get(), tail.size()), std::string(buf.get() + 4 * a - 10, 10));
        EXPECT_EQ(co_await f.size(), 4 * a);
        co_await f.close();
        EXPECT_EQ(co_await errno_of(real.size().discard_result()), EBADF);
    });
}

// A file_impl whose dma_read_bulk is its own gets every unaligned read.
class bulk_file final : public layered_file_impl {
public:
    using layered_file_impl::layered_file_impl;
    unsigned bulk_reads = 0;
    future<size_t> write_dma(uint64_t, const void*, size_t, io_intent*) override { return fail(); }
    future<size_t> write_dma(uint64_t, std::vector<iovec>, io_intent*) override { return fail(); }
    future<size_t> read_dma(uint64_t, void*, size_t, io_intent*) override { return fail(); }
    future<size_t> read_dma(uint64_t, std::vector<iovec>, io_intent*) override { return fail(); }
    future<> flush() override { return make_ready_future<>(); }
    future<struct stat> stat() override { return underlying_file().stat(); }
    future<> truncate(uint64_t) override { return make_ready_future<>(); }
    future<> discard(uint64_t, uint64_t) override { return make_ready_future<>(); }
    future<> allocate(uint64_t, uint64_t) override { return make_ready_future<>(); }
    future<uint64_t> size() override { return make_ready_future<uint64_t>(1000); }
    future<> close() override { return underlying_file().close(); }
    subscription<directory_entry> list_directory(std::function<future<>(directory_entry)>) override {
        return subscription<directory_entry>(make_ready_future<>());
    }
    future<temporary_buffer<uint8_t>> dma_read_bulk(uint64_t offset, size_t len, io_intent*) override {
        ++bulk_reads;
        temporary_buffer<uint8_t> b(len);
        for (size_t i = 0; i < len; ++i) {
            b.get_write()[i] = uint8_t(offset + i);
        }
        return make_ready_future<temporary_buffer<uint8_t>>(std::move(b));
    }

private:
    static future<size_t> fail() { return make_exception_future<size_t>(std::runtime_error("not this way")); }
};

SEASTAR_TEST_CASE(file, an_implementation_may_serve_bulk_reads_itself) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto impl = make_shared<bulk_file>(co_await open_file_dma((dir / "bulk").native(), rw_create));
        file f(impl);
        auto b = co_await f.dma_read<char>(7, 3);
        EXPECT_EQ(std::string(b.get(), b.size()), std::string("\x07\x08\x09"));
        auto e = co_await f.dma_read_exactly<uint8_t>(100, 4);
        EXPECT_EQ(e[3], 103);
        auto c = co_await f.dma_read_bulk<char>(50, 2);
        EXPECT_EQ(c[1], 51);
        EXPECT_EQ(impl->bulk_reads, 3u);
        co_await f.close();
    });
}

// experimental_list_directory gives the entries list_directory gives, from
// the POSIX file and (by the default over list_directory) from a wrapper; a
// consumer may stop early; an error of the listing ends the generator with it.
SEASTAR_TEST_CASE(file, experimental_list_directory) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        std::set<std::string> made;
        for (int i = 0; i < 40; ++i) {
            auto name = "entry" + std::to_string(i);
            auto f = co_await open_file_dma((dir / name).native(), rw_create);
            co_await f.close();
            made.insert(name);
        }
        co_await make_directory((dir / "sub").native());
        made.insert("sub");

        auto d = co_await open_directory(dir.native());
        auto wrapped_impl = make_shared<counting_file>(co_await open_directory(dir.native()));
        file wrapped(wrapped_impl);
        for (file* dp : {&d, &wrapped}) {
            for (int pass = 0; pass < 2; ++pass) {
                std::set<std::string> seen;
                auto g = dp->experimental_list_directory();
                for (auto it = co_await g.begin(); it != g.end(); co_await ++it) {
                    EXPECT_TRUE(seen.insert(std::string((*it).name)).second) << (*it).name;
                    if ((*it).name == "sub") {
                        EXPECT_EQ((*it).type, directory_entry_type::directory);
                    }
                }
                EXPECT_EQ(seen, made);
            }
        }
        EXPECT_EQ(wrapped_impl->listings, 2u);
        // Stopping after a few entries, then listing again from the start.
        for (file* dp : {&d, &wrapped}) {
            {
                auto g = dp->experimental_list_directory();
                auto it = co_await g.begin();
                EXPECT_TRUE(it != g.end());
                co_await ++it;
                EXPECT_TRUE(it != g.end());
            }
            size_t n = 0;
            auto g = dp->experimental_list_directory();
            for (auto it = co_await g.begin(); it != g.end(); co_await ++it) {
                ++n;
            }
            EXPECT_EQ(n, made.size());
        }
        co_await d.close();
        co_await wrapped.close();
        // A closed directory: the generator fails with EBADF.
        for (file* dp : {&d, &wrapped}) {
            int err = 0;
            try {
                auto g = dp->experimental_list_directory();
                for (auto it = co_await g.begin(); it != g.end(); co_await ++it) {
                }
            } catch (const std::system_error& e) {
                err = e.code().value();
            }
            EXPECT_EQ(err, EBADF);
        }
    });
}

// make_file_impl takes an fd the caller opened; file(file_handle&&) opens a
// handle's file.
SEASTAR_TEST_CASE(file, files_from_an_fd_and_from_a_handle) {
    co_await with_dir([](std::filesystem::path dir) -> future<> {
        auto path = (dir / "fd").native();
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EINVAL) {
            fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        }
        EXPECT_GE(fd, 0);
        int oflags = ::fcntl(fd, F_GETFL);
        file f(co_await make_file_impl(fd, file_open_options{}, oflags));
        auto a = f.disk_write_dma_alignment();
        auto buf = allocate_aligned_buffer<char>(a, f.memory_dma_alignment());
        std::memset(buf.get(), 'q', a);
        EXPECT_EQ(co_await f.dma_write(0, buf.get(), a), a);

        file again(f.dup());
        auto back = co_await again.dma_read_exactly<char>(0, a);
        EXPECT_EQ(std::string(back.get(), back.size()), std::string(a, 'q'));
        co_await again.close();
        co_await f.close();
        EXPECT_EQ(co_await errno_of(make_file_impl(-1, file_open_options{}, O_RDWR).discard_result()), EBADF);
    });
}

} // namespace
