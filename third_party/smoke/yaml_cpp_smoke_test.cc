// yaml-cpp: parse a document and read typed values.
#include <yaml-cpp/yaml.h>

#include "gtest/gtest.h"

TEST(YamlCppSmoke, Parses) {
    auto doc = YAML::Load("disks:\n  - mountpoint: /\n    read_iops: 42\n");
    ASSERT_TRUE(doc["disks"].IsSequence());
    EXPECT_EQ(doc["disks"][0]["read_iops"].as<int>(), 42);
    EXPECT_THROW(YAML::Load("a: [1, 2"), YAML::ParserException);
}
