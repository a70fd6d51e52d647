// Abseil: strings, containers, status, flags and the stack trace facility.
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/debugging/stacktrace.h"
#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, smoke_flag, 7, "a flag to prove absl flags link");

TEST(AbslSmoke, StringsContainersStatusFlags) {
    absl::flat_hash_map<std::string, int> m;
    for (auto part : absl::StrSplit("a,b,c", ',')) {
        m[std::string(part)] = static_cast<int>(m.size());
    }
    EXPECT_EQ(m.size(), 3u);
    EXPECT_EQ(absl::StrCat("x", 1, "y"), "x1y");
    absl::StatusOr<int> bad = absl::InvalidArgumentError("nope");
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().message(), "nope");
    EXPECT_EQ(absl::GetFlag(FLAGS_smoke_flag), 7);
    void* frames[8];
    EXPECT_GT(absl::GetStackTrace(frames, 8, 0), 0);
}
