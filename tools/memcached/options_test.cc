// The server's command line: memcached's short options, sizes, bad values.
#include "tools/memcached/options.hh"

#include <gtest/gtest.h>

#include <stdexcept>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"

ABSL_DECLARE_FLAG(uint64_t, memory_limit);
ABSL_DECLARE_FLAG(std::string, max_item_size);
ABSL_DECLARE_FLAG(int32_t, udp_port);
ABSL_DECLARE_FLAG(uint32_t, conn_limit);

using namespace seastar::memcache;

TEST(options, short_forms_become_long_flags) {
    const char* argv[] = {"memcached",
                          "-p",
                          "1234",
                          "-U5",
                          "-l=127.0.0.2",
                          "-m",
                          "100",
                          "-c",
                          "10",
                          "-I",
                          "2m",
                          "-t",
                          "3",
                          "--memory-limit=7",
                          "--reactor-backend",
                          "epoll",
                          "--",
                          "-p"};
    auto out = rewrite_short_options(int(std::size(argv)), const_cast<char**>(argv));
    std::vector<std::string> want = {"memcached",
                                     "--port",
                                     "1234",
                                     "--udp_port=5",
                                     "--listen=127.0.0.2",
                                     "--memory_limit",
                                     "100",
                                     "--conn_limit",
                                     "10",
                                     "--max_item_size",
                                     "2m",
                                     "--smp",
                                     "3",
                                     "--memory_limit=7",
                                     "--reactor-backend",
                                     "epoll",
                                     "--",
                                     "-p"};
    EXPECT_EQ(out, want);
}

TEST(options, sizes) {
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("512k"), 512u << 10);
    EXPECT_EQ(parse_size("2m"), 2u << 20);
    EXPECT_EQ(parse_size("1G"), 1u << 30);
    EXPECT_THROW(parse_size(""), std::invalid_argument);
    EXPECT_THROW(parse_size("k"), std::invalid_argument);
    EXPECT_THROW(parse_size("12x"), std::invalid_argument);
    EXPECT_THROW(parse_size("-1"), std::invalid_argument);
    EXPECT_THROW(parse_size("99999999999g"), std::invalid_argument);
}

TEST(options, read_and_reject) {
    absl::SetFlag(&FLAGS_memory_limit, 64);
    absl::SetFlag(&FLAGS_max_item_size, "1m");
    auto o = read_options(2);
    EXPECT_EQ(o.settings.store.max_bytes, size_t(32) << 20);
    EXPECT_EQ(o.settings.store.max_item_size, size_t(1) << 20);
    EXPECT_EQ(o.settings.tcp_port, 11211);
    EXPECT_EQ(o.settings.address, "127.0.0.1");
    EXPECT_FALSE(o.udp);
    absl::SetFlag(&FLAGS_udp_port, -1);
    EXPECT_TRUE(read_options(1).udp);
    absl::SetFlag(&FLAGS_udp_port, 70000);
    EXPECT_THROW(read_options(1), std::invalid_argument);
    absl::SetFlag(&FLAGS_udp_port, 0);
    absl::SetFlag(&FLAGS_memory_limit, 0);
    EXPECT_THROW(read_options(1), std::invalid_argument);
    absl::SetFlag(&FLAGS_memory_limit, 1);
    absl::SetFlag(&FLAGS_max_item_size, "2m"); // larger than the memory limit
    EXPECT_THROW(read_options(1), std::invalid_argument);
    absl::SetFlag(&FLAGS_max_item_size, "100"); // below memcached's minimum
    EXPECT_THROW(read_options(1), std::invalid_argument);
    absl::SetFlag(&FLAGS_max_item_size, "lots");
    EXPECT_THROW(read_options(1), std::invalid_argument);
    absl::SetFlag(&FLAGS_max_item_size, "1m");
    absl::SetFlag(&FLAGS_memory_limit, 64);
    absl::SetFlag(&FLAGS_conn_limit, 0);
    EXPECT_THROW(read_options(1), std::invalid_argument);
}
