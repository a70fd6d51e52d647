// What every test source parses first, precompiled once per configuration
// (//seastar/testing:gtest_pch; tools/build_defs/pch.bzl). Not for inclusion.
#pragma once

#include <gtest/gtest.h>
