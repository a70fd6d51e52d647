// Reporting a broken invariant ("internal error") found at run time.
//
// on_internal_error(logger, reason) logs `reason` with the current backtrace at error
// level, then either throws std::runtime_error(reason) (the default, so a server can fail
// one request and keep running) or aborts the process when set_abort_on_internal_error(true)
// was called (to get a core dump in testing). on_internal_error_noexcept() logs and
// aborts only if so configured (it never throws); on_fatal_internal_error() logs and aborts.
//
// Contract: any thread may call these. The abort setting is process-wide.
//
//     static seastar::logger lg("cache");
//     if (entry->refs < 0) {
//         seastar::on_internal_error(lg, fmt::format("negative refcount {}", entry->refs));
//     }
#pragma once

#include <exception>
#include <string_view>

namespace seastar {

class logger;

// Sets whether an internal error aborts; returns the previous setting (default: false).
bool set_abort_on_internal_error(bool do_abort) noexcept;

// Logs `reason` with a backtrace, then throws std::runtime_error(reason) or aborts.
[[noreturn]] void on_internal_error(logger& logger, std::string_view reason);

// Logs `ex` with a backtrace, then rethrows it or aborts.
[[noreturn]] void on_internal_error(logger& logger, std::exception_ptr ex);

// Logs `reason` with a backtrace, then aborts if so configured; never throws.
void on_internal_error_noexcept(logger& logger, std::string_view reason) noexcept;

// Logs `reason` with a backtrace and aborts, whatever the setting.
[[noreturn]] void on_fatal_internal_error(logger& logger, std::string_view reason) noexcept;

} // namespace seastar
