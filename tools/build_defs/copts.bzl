"""The one place for this project's compiler flags and its thin rule macros.

Every C++ target under seastar/ and tools/ is declared through these macros so
that warnings, the language level and test defaults stay the same everywhere.
"""

load("//tools/build_defs:pch.bzl", "pch_copts")

SEASTAR_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
    "-Wimplicit-fallthrough",
    "-Wthread-safety",
]

SEASTAR_TEST_COPTS = SEASTAR_COPTS + [
    "-Wno-unused-variable",
]

def seastar_cc_library(name, copts = [], **kwargs):
    native.cc_library(
        name = name,
        copts = SEASTAR_COPTS + copts,
        **kwargs
    )

def seastar_cc_binary(name, copts = [], **kwargs):
    native.cc_binary(
        name = name,
        copts = SEASTAR_COPTS + copts,
        **kwargs
    )

SEASTAR_TEST_HARNESS = "//seastar/testing:seastar_test"

def has_test_harness(deps):
    """Whether `deps` (of a target in the current package) has the test harness."""
    return SEASTAR_TEST_HARNESS in deps or (native.package_name() == "seastar/testing" and ":seastar_test" in deps)

# Flags that change code generation only: a source compiled with them can
# still use a PCH made without them (others, like -fsanitize=fuzzer or -m...,
# change the language or target options clang checks).
_PCH_NEUTRAL_COPTS = ["-fno-omit-frame-pointer", "-fomit-frame-pointer"]

def test_pch_copts_and_deps(deps, copts, srcs):
    """Chooses the precompiled header a test's sources start from.

    googletest and the harness when `deps` has the harness, googletest alone
    otherwise, none for a test without sources or with flags a PCH cannot
    share (tools/build_defs/pch.bzl).

    Args:
      deps: the test's deps.
      copts: the test's own copts.
      srcs: the test's sources.

    Returns:
      A pair: the copts to add and the deps to add (both empty for no PCH).
    """
    if not srcs or [c for c in copts if c not in _PCH_NEUTRAL_COPTS]:
        return [], []
    if has_test_harness(deps):
        pch = "//seastar/testing:harness_pch"
    else:
        pch = "//seastar/testing:gtest_pch"
    return pch_copts(pch), [pch]

def seastar_cc_test(name, copts = [], deps = [], size = "small", gtest_main = True, srcs = [], **kwargs):
    """A googletest test; `gtest_main = False` when the test has its own main()."""
    pch_copts, pch_deps = test_pch_copts_and_deps(deps, copts, srcs)
    native.cc_test(
        name = name,
        srcs = srcs,
        copts = SEASTAR_TEST_COPTS + copts + pch_copts,
        size = size,
        deps = deps + pch_deps + (["@googletest//:gtest_main"] if gtest_main else ["@googletest//:gtest"]),
        **kwargs
    )

def seastar_cc_benchmark(name, copts = [], deps = [], tags = [], **kwargs):
    """A Google Benchmark binary: built by CI, run by hand or by tools/bench."""
    native.cc_binary(
        name = name,
        copts = SEASTAR_COPTS + copts,
        deps = deps + ["@benchmark//:benchmark"],
        tags = tags + ["benchmark"],
        testonly = True,
        **kwargs
    )
