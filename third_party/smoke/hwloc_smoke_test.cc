// hwloc: a topology can be loaded and has at least one processing unit.
#include <hwloc.h>

#include "gtest/gtest.h"

TEST(HwlocSmoke, LoadsTopology) {
    // The API version (2.8 for release 2.9) must match the headers' major.
    EXPECT_EQ(hwloc_get_api_version() >> 16, unsigned(HWLOC_API_VERSION) >> 16);
    hwloc_topology_t topo;
    ASSERT_EQ(hwloc_topology_init(&topo), 0);
    ASSERT_EQ(hwloc_topology_load(topo), 0);
    EXPECT_GE(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU), 1);
    hwloc_topology_destroy(topo);
}
