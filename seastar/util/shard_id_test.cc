#include "seastar/core/shard_id.hh"

#include <type_traits>

#include "seastar/core/smp.hh"
#include "gtest/gtest.h"

namespace seastar {
namespace {

TEST(shard_id, agrees_with_the_shard_layer) {
    static_assert(std::is_same_v<shard_id, unsigned>);
    // Not a shard thread: the shard layer reports shard 0.
    shard_id id = this_shard_id();
    EXPECT_EQ(id, 0u);
}

} // namespace
} // namespace seastar
