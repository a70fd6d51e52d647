"""The one place for this project's compiler flags and its thin rule macros.

Every C++ target under seastar/ and tools/ is declared through these macros so
that warnings, the language level and test defaults stay the same everywhere.
"""

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

def seastar_cc_test(name, copts = [], deps = [], size = "small", gtest_main = True, **kwargs):
    """A googletest test; `gtest_main = False` when the test has its own main()."""
    native.cc_test(
        name = name,
        copts = SEASTAR_TEST_COPTS + copts,
        size = size,
        deps = deps + (["@googletest//:gtest_main"] if gtest_main else ["@googletest//:gtest"]),
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
