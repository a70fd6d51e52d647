#include "seastar/core/future.hh"

#include <atomic>
#include <cstdio>
#include <typeinfo>

namespace seastar {

broken_promise::broken_promise() : std::logic_error("broken promise") {}

future_not_available::future_not_available()
        : std::logic_error("future::get() on a future that is not available, outside a stackful thread") {}

namespace {

void default_abandoned_handler(const std::exception_ptr& ex) noexcept {
    try {
        std::rethrow_exception(ex);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "WARNING: exceptional future ignored: %s (%s)\n", e.what(), typeid(e).name());
    } catch (...) {
        std::fprintf(stderr, "WARNING: exceptional future ignored: unknown exception\n");
    }
}

std::atomic<abandoned_failed_future_handler> abandoned_handler{nullptr};

} // namespace

abandoned_failed_future_handler set_abandoned_failed_future_handler(abandoned_failed_future_handler h) noexcept {
    return abandoned_handler.exchange(h, std::memory_order_acq_rel);
}

namespace internal {

void report_abandoned_failed_future(const std::exception_ptr& ex) noexcept {
    auto h = abandoned_handler.load(std::memory_order_acquire);
    (h ? h : default_abandoned_handler)(ex);
}

} // namespace internal

} // namespace seastar
