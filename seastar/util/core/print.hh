// Printing helpers: fmt_print(stream, fmt, args...) writes {fmt} output to an ostream,
// and std::exception_ptr gets a {fmt} formatter and operator<< that print the exception's
// type and message ("std::runtime_error (disk full)"; "<no exception>" for a null one).
// Includes seastar::format (format.hh).
//
// Contract: the formatters never throw for an exception that throws from what()
// (they print "unknown exception" for what is not a std::exception).
//
//     seastar::fmt_print(std::cerr, "failed: {}\n", std::current_exception());
#pragma once

#include <exception>
#include <iterator>
#include <ostream>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "seastar/core/format.hh"
#include "seastar/core/sstring.hh"

namespace seastar {

template <typename... A>
std::ostream& fmt_print(std::ostream& os, fmt::format_string<A...> fmt, A&&... a) {
    fmt::memory_buffer out;
    fmt::format_to(std::back_inserter(out), fmt, std::forward<A>(a)...);
    return os.write(out.data(), out.size());
}

// The type (demangled) and message of the exception `e` holds, as the formatter prints it.
std::string describe_exception(const std::exception_ptr& e);

// A readable name of a type (demangled).
std::string pretty_type_name(const std::type_info& ti);

} // namespace seastar

namespace std {
// Found by argument-dependent lookup for std::exception_ptr.
std::ostream& operator<<(std::ostream& os, const std::exception_ptr& e);
} // namespace std

template <>
struct fmt::formatter<std::exception_ptr> : fmt::formatter<fmt::string_view> {
    template <typename FormatContext>
    auto format(const std::exception_ptr& e, FormatContext& ctx) const {
        auto s = seastar::describe_exception(e);
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(s), ctx);
    }
};
