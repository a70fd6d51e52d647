// The server's command line: memcached's short options, sizes, bad values.
#include "tools/memcached/options.hh"

#include <gtest/gtest.h>

#include <stdexcept>

#include <initializer_list>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

using namespace seastar::memcache;
namespace bpo = boost::program_options;

namespace {

// The options parsed from a command line, as app_template would.
bpo::variables_map parse(std::initializer_list<std::string> args) {
    bpo::options_description desc;
    add_options(desc.add_options());
    std::vector<std::string> argv(args);
    bpo::variables_map vm;
    bpo::store(bpo::command_line_parser(argv).options(desc).run(), vm);
    bpo::notify(vm);
    return vm;
}

} // namespace

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
                                     "--udp-port=5",
                                     "--listen=127.0.0.2",
                                     "--memory-limit",
                                     "100",
                                     "--conn-limit",
                                     "10",
                                     "--max-item-size",
                                     "2m",
                                     "--smp",
                                     "3",
                                     "--memory-limit=7",
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
    auto o = read_options(parse({}), 2);
    EXPECT_EQ(o.settings.store.max_bytes, size_t(32) << 20);
    EXPECT_EQ(o.settings.store.max_item_size, size_t(1) << 20);
    EXPECT_EQ(o.settings.tcp_port, 11211);
    EXPECT_EQ(o.settings.address, "127.0.0.1");
    EXPECT_FALSE(o.udp);
    EXPECT_TRUE(read_options(parse({"--udp-port=-1"}), 1).udp);
    EXPECT_THROW(read_options(parse({"--udp-port=70000"}), 1), std::invalid_argument);
    EXPECT_THROW(read_options(parse({"--memory-limit=0"}), 1), std::invalid_argument);
    // larger than the memory limit
    EXPECT_THROW(read_options(parse({"--memory-limit=1", "--max-item-size=2m"}), 1), std::invalid_argument);
    // below memcached's minimum
    EXPECT_THROW(read_options(parse({"--max-item-size=100"}), 1), std::invalid_argument);
    EXPECT_THROW(read_options(parse({"--max-item-size=lots"}), 1), std::invalid_argument);
    EXPECT_THROW(read_options(parse({"--conn-limit=0"}), 1), std::invalid_argument);
    // not a number at all: Boost.Program_options refuses it while parsing
    EXPECT_THROW(parse({"--port=http"}), bpo::error);
}
