#include "seastar/core/unaligned.hh"

#include <cstdint>
#include <cstring>

#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(unaligned, loads_and_stores_through_a_cast) {
    char buf[12] = {};
    auto* p = unaligned_cast<uint64_t>(buf + 3);
    *p = 0x1122334455667788;
    uint64_t v = *p;
    EXPECT_EQ(v, 0x1122334455667788u);
    uint64_t check;
    std::memcpy(&check, buf + 3, 8);
    EXPECT_EQ(check, v);
    const char* cbuf = buf;
    const auto* cp = unaligned_cast<uint64_t>(cbuf + 3);
    EXPECT_EQ(uint64_t(*cp), v);
    static_assert(alignof(unaligned<uint64_t>) == 1);
}

} // namespace
} // namespace seastar
