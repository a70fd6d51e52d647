"""One test suite, run once per reactor backend.

    seastar_backend_tests(
        name = "reactor_test",
        srcs = ["reactor_test.cc"],
        deps = [":reactor", "//seastar/testing:seastar_test"],
    )

declares
  * `reactor_test_lib`: the test's sources, compiled once (testonly, alwayslink so
    that googletest's registrations survive the link);
  * `reactor_test_epoll`, `reactor_test_linux_aio`, `reactor_test_io_uring`: one
    googletest binary each, run with SEASTAR_TEST_BACKEND set to that backend
    (see seastar/testing/seastar_test.hh);
  * `reactor_test`: a test_suite of the three, so `bazel test :reactor_test`
    still runs the whole suite.

A backend the machine cannot create makes its test fail (the reactor refuses to
start): the suite is meant for machines that have all three, as CI does.
"""

load("//tools/build_defs:copts.bzl", "SEASTAR_TEST_COPTS", "seastar_cc_test")

# Backend name (as --reactor-backend spells it) -> target suffix.
SEASTAR_BACKENDS = {
    "epoll": "epoll",
    "linux-aio": "linux_aio",
    "io_uring": "io_uring",
}

def seastar_backend_tests(name, srcs, deps = [], copts = [], backends = None, size = "small", tags = [], **kwargs):
    """Declares `name` as a test_suite with one test per reactor backend.

    Args:
      name: the suite's name; per-backend tests are `<name>_<backend>`.
      srcs: the test's sources (googletest, usually SEASTAR_TEST_CASEs).
      deps: the test's dependencies (googletest's main is added).
      copts: extra compiler flags.
      backends: backend names to run on (default: all of SEASTAR_BACKENDS).
      size: each per-backend test's size.
      tags: tags of every per-backend test and of the suite.
      **kwargs: passed to each per-backend test (e.g. timeout, shard_count).
    """
    lib = name + "_lib"
    native.cc_library(
        name = lib,
        testonly = True,
        srcs = srcs,
        copts = SEASTAR_TEST_COPTS + copts,
        deps = deps + ["@googletest//:gtest"],
        alwayslink = True,
    )
    tests = []
    for backend in (backends or SEASTAR_BACKENDS.keys()):
        test = "%s_%s" % (name, SEASTAR_BACKENDS[backend])
        seastar_cc_test(
            name = test,
            size = size,
            env = {"SEASTAR_TEST_BACKEND": backend},
            tags = tags,
            deps = [":" + lib],
            **kwargs
        )
        tests.append(":" + test)
    native.test_suite(
        name = name,
        tests = tests,
        tags = tags,
    )
