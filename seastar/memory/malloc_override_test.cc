// Checks that, with //seastar/memory:malloc_override linked, every C allocation function and
// every form of operator new/delete is served by the shard allocator: before configure(),
// during static initialization, on shards and on non-shard threads.

#include <gtest/gtest.h>
#include <malloc.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "seastar/memory/memory.hh"

namespace seastar::memory {
namespace {

// Keeps the compiler from pairing up and removing allocations the test makes.
template <typename T>
T* escape(T* p) {
    asm volatile("" : "+r"(p) : : "memory");
    return p;
}

#ifndef SEASTAR_MALLOC_OVERRIDE_EXCLUDED

// Allocated during static initialization, before main() and before configure().
struct static_user {
    std::string* text = new std::string(200, 'x');
    void* raw = ::malloc(100);
};
static_user g_static_user;

constexpr unsigned shards = 2;

void ensure_configured() {
    static std::once_flag once;
    std::call_once(once, [] { configure(size_t(64) << 20, shards); });
}

template <typename Fn>
void on_shard(unsigned shard, Fn fn) {
    ensure_configured();
    std::thread([&] {
        internal::init_shard(shard);
        fn();
    }).join();
}

TEST(malloc_override, static_initialization_used_the_shared_heap) {
    EXPECT_EQ(owner_shard(g_static_user.text), -1);
    EXPECT_EQ(owner_shard(g_static_user.raw), -1);
    EXPECT_EQ(*g_static_user.text, std::string(200, 'x'));
}

TEST(malloc_override, c_functions_go_to_the_shard) {
    on_shard(0, [] {
        auto before = stats();
        void* m = escape(::malloc(100));
        EXPECT_EQ(owner_shard(m), 0);
        EXPECT_EQ(stats().mallocs(), before.mallocs() + 1);
        EXPECT_GE(::malloc_usable_size(m), 100u);
        EXPECT_EQ(::malloc_usable_size(nullptr), 0u);

        auto* c = static_cast<unsigned char*>(escape(::calloc(300, 7)));
        ASSERT_NE(c, nullptr);
        EXPECT_EQ(owner_shard(c), 0);
        for (int i = 0; i < 2100; ++i) {
            ASSERT_EQ(c[i], 0);
        }
        std::memset(c, 0xff, 2100);
        ::free(c);
        // Reused memory is zeroed too.
        auto* c2 = static_cast<unsigned char*>(escape(::calloc(2100, 1)));
        for (int i = 0; i < 2100; ++i) {
            ASSERT_EQ(c2[i], 0);
        }
        ::free(c2);
        errno = 0;
        EXPECT_EQ(escape(::calloc(size_t(1) << 40, size_t(1) << 40)), nullptr);
        EXPECT_EQ(errno, ENOMEM);

        auto* r = static_cast<char*>(escape(::realloc(nullptr, 10)));
        std::memcpy(r, "abcdefghi", 10);
        r = static_cast<char*>(escape(::realloc(r, 100000)));
        ASSERT_NE(r, nullptr);
        EXPECT_STREQ(r, "abcdefghi");
        EXPECT_EQ(owner_shard(r), 0);
        r = static_cast<char*>(escape(::realloc(r, 5)));
        EXPECT_EQ(std::memcmp(r, "abcde", 5), 0);
        EXPECT_EQ(::realloc(r, 0), nullptr);

        void* pm = nullptr;
        EXPECT_EQ(::posix_memalign(&pm, 4096, 100), 0);
        EXPECT_EQ(uintptr_t(pm) % 4096, 0u);
        EXPECT_EQ(owner_shard(pm), 0);
        ::free(pm);
        EXPECT_EQ(::posix_memalign(&pm, 3, 100), EINVAL);
        EXPECT_EQ(::posix_memalign(&pm, 4, 100), EINVAL) << "not a multiple of sizeof(void*)";
        EXPECT_EQ(::posix_memalign(&pm, size_t(1) << 21, 10), 0);
        EXPECT_EQ(uintptr_t(pm) % (size_t(1) << 21), 0u);
        ::free(pm);
        EXPECT_EQ(::posix_memalign(&pm, 64, size_t(1) << 40), ENOMEM);

        void* aa = escape(::aligned_alloc(256, 512));
        EXPECT_EQ(uintptr_t(aa) % 256, 0u);
        EXPECT_EQ(owner_shard(aa), 0);
        ::free(aa);
        volatile size_t bad_align = 24; // hidden from the compiler, which rejects constants
        errno = 0;
        EXPECT_EQ(escape(::aligned_alloc(bad_align, 48)), nullptr);
        EXPECT_EQ(errno, EINVAL);

        void* ma = escape(::memalign(128, 10));
        EXPECT_EQ(uintptr_t(ma) % 128, 0u);
        ::free(ma);
        bad_align = 48;
        void* ma3 = escape(::memalign(bad_align, 10)); // rounded up to 64, as glibc does
        EXPECT_EQ(uintptr_t(ma3) % 64, 0u);
        ::free(ma3);
        void* va = escape(::valloc(10));
        EXPECT_EQ(uintptr_t(va) % 4096, 0u);
        EXPECT_EQ(owner_shard(va), 0);
        ::free(va);
        void* pv = escape(::pvalloc(5000));
        EXPECT_EQ(uintptr_t(pv) % 4096, 0u);
        EXPECT_GE(::malloc_usable_size(pv), 8192u);
        ::free(pv);
        ::free(m);
        ::free(nullptr);
        EXPECT_EQ(stats().mallocs() - before.mallocs(), stats().frees() - before.frees());
    });
}

struct alignas(256) overaligned {
    char data[300];
};

TEST(malloc_override, every_operator_new_and_delete_goes_to_the_shard) {
    on_shard(1, [] {
        auto before = stats();
        auto* a = escape(new int(5));
        EXPECT_EQ(owner_shard(a), 1);
        delete a;
        auto* b = escape(new int[100]);
        EXPECT_EQ(owner_shard(b), 1);
        delete[] b;
        auto* c = escape(new (std::nothrow) long(1));
        EXPECT_EQ(owner_shard(c), 1);
        delete c;
        auto* d = escape(new (std::nothrow) char[5000]);
        EXPECT_EQ(owner_shard(d), 1);
        delete[] d;
        auto* e = escape(new overaligned);
        EXPECT_EQ(uintptr_t(e) % 256, 0u);
        EXPECT_EQ(owner_shard(e), 1);
        delete e;
        auto* f = escape(new overaligned[3]);
        EXPECT_EQ(uintptr_t(f) % 256, 0u);
        delete[] f;
        auto* g = escape(new (std::nothrow) overaligned);
        EXPECT_EQ(uintptr_t(g) % 256, 0u);
        delete g;
        void* h = escape(::operator new(100, std::align_val_t(4096)));
        EXPECT_EQ(uintptr_t(h) % 4096, 0u);
        ::operator delete(h, 100, std::align_val_t(4096));
        void* i = escape(::operator new[](64, std::align_val_t(64), std::nothrow));
        ::operator delete[](i, std::align_val_t(64), std::nothrow);
        void* j = escape(::operator new(24));
        ::operator delete(j, 24);
        void* k = escape(::operator new[](24));
        ::operator delete[](k, 24);
        void* l = escape(::operator new(24, std::nothrow));
        ::operator delete(l, std::nothrow);
        void* m = escape(::operator new[](24, std::nothrow));
        ::operator delete[](m, std::nothrow);
        void* n = escape(::operator new(24, std::align_val_t(32)));
        ::operator delete(n, std::align_val_t(32));
        void* o = escape(::operator new[](24, std::align_val_t(32)));
        ::operator delete[](o, 24, std::align_val_t(32));
        void* q = escape(::operator new(24, std::align_val_t(32), std::nothrow));
        ::operator delete(q, std::align_val_t(32), std::nothrow);
        auto after = stats();
        EXPECT_EQ(after.mallocs() - before.mallocs(), 16u);
        EXPECT_EQ(after.frees() - before.frees(), 16u);

        // Exhausting the shard throws bad_alloc from new and returns nullptr from nothrow
        // new and malloc; the process carries on.
        EXPECT_THROW(escape(::operator new(size_t(1) << 40)), std::bad_alloc);
        EXPECT_EQ(escape(new (std::nothrow) char[size_t(1) << 40]), nullptr);
        EXPECT_EQ(escape(::malloc(size_t(1) << 40)), nullptr);
        EXPECT_GE(stats().failed_allocations(), 3u);
        // Standard containers work on a shard.
        std::vector<std::string> v;
        for (int x = 0; x < 1000; ++x) {
            v.push_back(std::string(x % 100, 'a'));
        }
        EXPECT_EQ(v[999].size(), 99u);
        EXPECT_EQ(owner_shard(v.data()), 1);
    });
}

TEST(malloc_override, malloc_trim_gives_free_memory_back) {
    on_shard(1, [] {
        void* p = escape(::malloc(512 << 10)); // small enough to wait in the large-block cache
        ASSERT_NE(p, nullptr);
        std::memset(p, 1, 512 << 10);
        ::free(p);
        size_t released = stats().released_memory();
        EXPECT_EQ(::malloc_trim(0), 1);
        EXPECT_GE(stats().released_memory(), released + (512 << 10));
        EXPECT_EQ(stats().resident_free_memory(), 0u);
        EXPECT_EQ(::malloc_trim(0), 0) << "nothing left";
    });
}

TEST(malloc_override, non_shard_threads_and_cross_thread_frees) {
    ensure_configured();
    std::vector<std::thread> threads;
    std::vector<void*> handed(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&handed, t] {
            for (int i = 0; i < 2000; ++i) {
                auto s = std::make_unique<std::string>(i % 300, char('a' + t));
                ASSERT_EQ(owner_shard(s.get()), -1);
                ASSERT_EQ(s->size(), size_t(i % 300));
            }
            handed[t] = ::malloc(64);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    void* from_shard = nullptr;
    on_shard(0, [&] {
        for (void* p : handed) {
            ::free(p); // shared-heap memory freed on a shard
        }
        from_shard = ::malloc(64);
    });
    EXPECT_EQ(owner_shard(from_shard), 0);
    ::free(from_shard); // shard memory freed on a non-shard thread goes back to shard 0
    on_shard(0, [] { EXPECT_GE(stats().cross_cpu_frees_received(), 1u); });
}

#else

TEST(malloc_override, excluded_in_sanitizer_builds) {
    GTEST_SKIP() << "//seastar/memory:malloc_override compiles to nothing under "
                    "--define=seastar_sanitizer=1: the sanitizer runtime owns malloc";
}

TEST(malloc_override, system_allocator_is_in_use) {
    void* p = escape(::malloc(100));
    EXPECT_EQ(owner_shard(p), -2);
    ::free(p);
}

#endif

} // namespace
} // namespace seastar::memory
