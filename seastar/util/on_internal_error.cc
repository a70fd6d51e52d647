#include "seastar/core/on_internal_error.hh"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "seastar/core/print.hh"
#include "seastar/util/backtrace.hh"
#include "seastar/util/log.hh"

namespace seastar {

namespace {
std::atomic<bool> abort_on_internal_error{false};
} // namespace

bool set_abort_on_internal_error(bool do_abort) noexcept {
    return abort_on_internal_error.exchange(do_abort);
}

void on_internal_error(logger& logger, std::string_view reason) {
    logger.error("{}, at: {}", reason, current_backtrace());
    if (abort_on_internal_error.load()) {
        std::abort();
    }
    throw std::runtime_error(std::string(reason));
}

void on_internal_error(logger& logger, std::exception_ptr ex) {
    logger.error("{}, at: {}", ex, current_backtrace());
    if (abort_on_internal_error.load()) {
        std::abort();
    }
    std::rethrow_exception(std::move(ex));
}

void on_internal_error_noexcept(logger& logger, std::string_view reason) noexcept {
    logger.error("{}, at: {}", reason, current_backtrace());
    if (abort_on_internal_error.load()) {
        std::abort();
    }
}

void on_fatal_internal_error(logger& logger, std::string_view reason) noexcept {
    logger.error("{}, at: {}", reason, current_backtrace());
    std::abort();
}

} // namespace seastar
