// What every test source that runs in a reactor parses first: googletest and
// the harness (reactor, futures, smp), precompiled once per configuration
// (//seastar/testing:harness_pch; tools/build_defs/pch.bzl). Not for inclusion.
#pragma once

#include <gtest/gtest.h>

#include "seastar/testing/seastar_test.hh"
