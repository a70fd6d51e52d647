// seastar::format(fmt, args...): {fmt} formatting into an sstring.
//
// Contract: the format string is checked at compile time (fmt::format_string); what
// {fmt} throws (fmt::format_error for a runtime format string, std::bad_alloc) passes
// through.
//
//     seastar::sstring s = seastar::format("{} shards, {:.1f} MiB", 4, 12.5);
#pragma once

#include <iterator>
#include <utility>

#include <fmt/format.h>

#include "seastar/core/sstring.hh"

namespace seastar {

template <typename... A>
sstring format(fmt::format_string<A...> fmt, A&&... a) {
    fmt::memory_buffer out;
    fmt::format_to(std::back_inserter(out), fmt, std::forward<A>(a)...);
    return sstring(out.data(), out.size());
}

} // namespace seastar
