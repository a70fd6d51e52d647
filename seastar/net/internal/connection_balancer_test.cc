#include "seastar/net/internal/connection_balancer.hh"

#include <gtest/gtest.h>

#include <stdexcept>

namespace seastar::net::internal {
namespace {

using lba = server_socket::load_balancing_algorithm;

TEST(connection_balancer, port_is_remote_port_modulo_shards) {
    connection_balancer b(lba::port, 4, 0);
    EXPECT_EQ(b.pick(40000), 0u);
    EXPECT_EQ(b.pick(40001), 1u);
    EXPECT_EQ(b.pick(40003), 3u);
    EXPECT_EQ(b.pick(65535), 3u);
    EXPECT_EQ(b.pick(6), 2u);
}

TEST(connection_balancer, fixed_always_names_its_shard) {
    connection_balancer b(lba::fixed, 3, 2);
    for (uint16_t p = 1000; p < 1010; ++p) {
        EXPECT_EQ(b.pick(p), 2u);
    }
    EXPECT_THROW(connection_balancer(lba::fixed, 3, 3), std::invalid_argument);
}

TEST(connection_balancer, distribution_picks_fewest_live) {
    connection_balancer b(lba::connection_distribution, 3, 0);
    // Connections that stay open are dealt round-robin.
    EXPECT_EQ(b.pick(1), 0u);
    EXPECT_EQ(b.pick(1), 1u);
    EXPECT_EQ(b.pick(1), 2u);
    EXPECT_EQ(b.pick(1), 0u);
    EXPECT_EQ(b.live(0), 2u);
    // Shard 1 loses its connection: it has the fewest now.
    b.closed(1);
    EXPECT_EQ(b.live(1), 0u);
    EXPECT_EQ(b.pick(1), 1u);
    // Closing on a shard with none, or a shard that does not exist, is ignored.
    b.closed(2);
    b.closed(2);
    b.closed(7);
    EXPECT_EQ(b.live(2), 0u);
    EXPECT_EQ(b.pick(1), 2u);
}

TEST(connection_balancer, one_shard_takes_everything) {
    for (auto a : {lba::connection_distribution, lba::port, lba::fixed}) {
        connection_balancer b(a, 1, 0);
        EXPECT_EQ(b.pick(12345), 0u);
        EXPECT_EQ(b.pick(1), 0u);
    }
    connection_balancer zero(lba::port, 0, 0); // treated as one shard
    EXPECT_EQ(zero.shard_count(), 1u);
    EXPECT_EQ(zero.pick(9), 0u);
}

} // namespace
} // namespace seastar::net::internal
