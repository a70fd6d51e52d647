// memory_limit_program: fills each shard's memory through operator new until it fails,
// and prints what happened, one line per shard:
//
//   shard=1 allocator=shard slice=33554432 bad_alloc=yes allocated=31457280 reclaimer_calls=4 after_free=ok
//
// Before filling, a shard keeps a small cache (4 blocks) that its memory::reclaimer gives
// back one block per call: the allocator must run it before failing. `allocator` says
// whether malloc/new reach the shard allocator (shard) or the system's (system: a build
// that opted out, or a sanitizer build); with the system allocator nothing bounds the
// shard, so the fill stops at twice the slice and reports bad_alloc=no. Run with a small
// -m, e.g. `memory_limit_program --smp 2 -m 64M`. Exit code 0 unless something
// unexpected was thrown.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "seastar/core/app-template.hh"
#include "seastar/core/coroutine.hh"
#include "seastar/core/future.hh"
#include "seastar/core/smp.hh"
#include "seastar/memory/memory.hh"

namespace {

namespace bpo = boost::program_options;
using namespace seastar;

std::string fill_this_shard(size_t block) {
    // Where does malloc go?
    void* probe = std::malloc(64);
    bool ours = memory::owner_shard(probe) >= 0;
    std::free(probe);
    size_t slice = memory::stats().total_memory();

    std::vector<std::unique_ptr<char[]>> cache;
    for (int i = 0; i < 4; ++i) {
        cache.push_back(std::make_unique<char[]>(block));
    }
    unsigned reclaimer_calls = 0;
    memory::reclaimer give_back([&] {
        ++reclaimer_calls;
        if (cache.empty()) {
            return memory::reclaiming_result::reclaimed_nothing;
        }
        cache.pop_back();
        return memory::reclaiming_result::reclaimed_something;
    });

    std::vector<std::unique_ptr<char[]>> held;
    held.reserve(2 * slice / block + 16);
    bool failed = false;
    size_t allocated = 0;
    try {
        while (allocated < 2 * slice) {
            held.push_back(std::unique_ptr<char[]>(new char[block]));
            allocated += block;
        }
    } catch (const std::bad_alloc&) {
        failed = true;
    }
    held.clear();
    // The shard lives on: memory that was freed can be allocated again.
    bool after_free = true;
    try {
        auto again = std::make_unique<char[]>(block);
        again[block - 1] = 1;
    } catch (const std::bad_alloc&) {
        after_free = false;
    }
    return "shard=" + std::to_string(this_shard_id()) + " allocator=" + (ours ? "shard" : "system") +
           " slice=" + std::to_string(slice) + " bad_alloc=" + (failed ? "yes" : "no") +
           " allocated=" + std::to_string(allocated) + " reclaimer_calls=" + std::to_string(reclaimer_calls) +
           " after_free=" + (after_free ? "ok" : "failed");
}

} // namespace

int main(int ac, char** av) {
    app_template app;
    app.add_options()("block-kb", bpo::value<unsigned>()->default_value(256), "size of each allocation, in KiB");
    return app.run(ac, av, [&app]() -> future<int> {
        size_t block = size_t(app.configuration()["block-kb"].as<unsigned>()) << 10;
        for (unsigned s = 0; s < smp::count; ++s) {
            auto line = co_await smp::submit_to(s, [block] { return fill_this_shard(block); });
            std::cout << line << std::endl;
        }
        co_return 0;
    });
}
