#include "seastar/core/print.hh"

#include <sstream>
#include <stdexcept>
#include <system_error>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(print, fmt_print_writes_to_a_stream) {
    std::ostringstream os;
    fmt_print(os, "{}-{}", 1, sstring("two"));
    EXPECT_EQ(os.str(), "1-two");
}

struct not_std {};

TEST(print, exception_ptr_shows_type_and_message) {
    EXPECT_EQ(fmt::format("{}", std::exception_ptr()), "<no exception>");
    auto e = std::make_exception_ptr(std::runtime_error("disk full"));
    EXPECT_EQ(fmt::format("{}", e), "std::runtime_error (disk full)");
    std::ostringstream os;
    os << std::make_exception_ptr(std::out_of_range("index 7"));
    EXPECT_EQ(os.str(), "std::out_of_range (index 7)");
    auto other = std::make_exception_ptr(not_std{});
    EXPECT_EQ(fmt::format("{}", other), "unknown exception of type seastar::(anonymous namespace)::not_std");
    EXPECT_EQ(fmt::format("{}", std::make_exception_ptr(42)), "unknown exception of type int");
    EXPECT_EQ(format("[{}]", e), "[std::runtime_error (disk full)]");
}

} // namespace
} // namespace seastar
