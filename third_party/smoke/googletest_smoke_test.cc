// GoogleTest and GoogleMock link and run.
#include "gmock/gmock.h"
#include "gtest/gtest.h"

TEST(GoogletestSmoke, MatchersWork) {
    std::vector<int> v{1, 2, 3};
    EXPECT_THAT(v, ::testing::ElementsAre(1, 2, 3));
    EXPECT_THAT(v, ::testing::Not(::testing::Contains(4)));
}
