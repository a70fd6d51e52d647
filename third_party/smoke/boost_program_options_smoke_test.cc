// Boost.Program_options (app_template's parser): a description, a parse, a lookup.
#include <boost/program_options.hpp>

#include "gtest/gtest.h"

TEST(BoostProgramOptionsSmoke, ParsesAnOption) {
    namespace bpo = boost::program_options;
    bpo::options_description desc("smoke");
    desc.add_options()("count,c", bpo::value<int>()->default_value(1), "a count");
    const char* argv[] = {"smoke", "-c", "7"};
    bpo::variables_map vm;
    bpo::store(bpo::parse_command_line(3, argv, desc), vm);
    bpo::notify(vm);
    EXPECT_EQ(vm["count"].as<int>(), 7);
}
