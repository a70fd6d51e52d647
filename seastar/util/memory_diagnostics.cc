// The allocator's large-allocation reporter: a warning on the "seastar_memory" logger with
// the size and the backtrace of the allocation, once per call site (the same backtrace
// is reported once per thread; past 1,024 distinct sites, one warning per 10 seconds).
// Installed at static initialization; the reactor links this, so every program on it
// warns once it sets a threshold (seastar::memory::set_large_allocation_warning_threshold).
//
// The reporter runs inside the allocation (on the allocating thread, after the memory was
// handed out); its own allocations are not reported again (the allocator guards that).
#include <chrono>
#include <cstddef>
#include <unordered_set>

#include "seastar/memory/memory.hh"
#include "seastar/util/backtrace.hh"
#include "seastar/util/log.hh"

namespace seastar::memory {

namespace {

logger memory_log("seastar_memory");

constexpr size_t max_remembered_sites = 1024;

void report_large_allocation(size_t size) noexcept {
    try {
        auto bt = current_backtrace();
        static thread_local std::unordered_set<size_t> seen;
        if (seen.size() < max_remembered_sites) {
            if (!seen.insert(bt.hash()).second) {
                return;
            }
            memory_log.warn("oversized allocation: {} bytes (warning threshold {} bytes); allocated at:\n{}", size,
                            get_large_allocation_warning_threshold(), bt.to_string());
            return;
        }
        static thread_local logger::rate_limit rl(std::chrono::seconds(10));
        memory_log.log(log_level::warn, rl,
                       "oversized allocation: {} bytes (warning threshold {} bytes); allocated at:\n{}", size,
                       get_large_allocation_warning_threshold(), bt.to_string());
    } catch (...) {
        // Out of memory while reporting: the allocation itself succeeded; say nothing.
    }
}

const bool installed = [] {
    internal::set_large_allocation_reporter(report_large_allocation);
    return true;
}();

} // namespace

} // namespace seastar::memory
