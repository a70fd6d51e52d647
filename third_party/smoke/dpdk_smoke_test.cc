// DPDK: headers compile with pkg-config's flags and the EAL library links.
#include <rte_ether.h>
#include <rte_version.h>

#include <cstring>

#include "gtest/gtest.h"

TEST(DpdkSmoke, VersionAndEtherHelpers) {
    EXPECT_GE(RTE_VERSION, RTE_VERSION_NUM(22, 11, 0, 0));
    EXPECT_NE(std::strstr(rte_version(), "22.11"), nullptr) << rte_version();
    rte_ether_addr a{};
    rte_eth_random_addr(a.addr_bytes);
    EXPECT_TRUE(rte_is_unicast_ether_addr(&a));
    EXPECT_TRUE(rte_is_local_admin_ether_addr(&a));
}
