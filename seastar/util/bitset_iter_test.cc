#include "seastar/core/bitset-iter.hh"

#include <bitset>
#include <vector>

#include "gtest/gtest.h"

namespace seastar {
namespace {

template <size_t N>
std::vector<int> collect(const std::bitset<N>& bs, size_t offset = 0) {
    std::vector<int> r;
    for (auto i : bitsets::for_each_set(bs, offset)) {
        r.push_back(i);
    }
    return r;
}

TEST(bitset_iter, visits_set_bits_in_order) {
    std::bitset<64> small;
    EXPECT_TRUE(collect(small).empty());
    small.set(0);
    small.set(3);
    small.set(63);
    EXPECT_EQ(collect(small), (std::vector<int>{0, 3, 63}));
    EXPECT_EQ(collect(small, 1), (std::vector<int>{3, 63}));
    EXPECT_EQ(collect(small, 3), (std::vector<int>{3, 63}));
    EXPECT_TRUE(collect(small, 64).empty());
    EXPECT_EQ(bitsets::get_first_set(small), 0u);
    EXPECT_EQ(bitsets::get_last_set(small), 63u);

    std::bitset<200> big;
    big.set(5);
    big.set(64);
    big.set(130);
    big.set(199);
    EXPECT_EQ(collect(big), (std::vector<int>{5, 64, 130, 199}));
    EXPECT_EQ(bitsets::get_first_set(big), 5u);
    EXPECT_EQ(bitsets::get_last_set(big), 199u);
    std::bitset<200> none;
    EXPECT_EQ(bitsets::get_first_set(none), 200u);
    EXPECT_EQ(bitsets::get_last_set(none), 200u);
}

} // namespace
} // namespace seastar
