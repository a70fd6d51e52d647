// c-ares: the library initialises, reports its version, and a channel can be
// made and destroyed without touching the network.
#include <ares.h>

#include "gtest/gtest.h"

TEST(CAresSmoke, ChannelLifecycle) {
    ASSERT_EQ(ares_library_init(ARES_LIB_INIT_ALL), ARES_SUCCESS);
    int version = 0;
    EXPECT_NE(ares_version(&version), nullptr);
    EXPECT_GE(version, 0x011201); // 1.18.1
    ares_channel ch = nullptr;
    ares_options opts{};
    opts.flags = ARES_FLAG_NOSEARCH;
    ASSERT_EQ(ares_init_options(&ch, &opts, ARES_OPT_FLAGS), ARES_SUCCESS);
    EXPECT_EQ(ares_set_servers_ports_csv(ch, "127.0.0.1:53"), ARES_SUCCESS);
    ares_destroy(ch);
    ares_library_cleanup();
}
