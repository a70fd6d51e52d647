"""One test target per reactor backend for the socket suites."""

load("//tools/build_defs:copts.bzl", "seastar_cc_test")

BACKENDS = {
    "epoll": "epoll",
    "aio": "linux-aio",
    "uring": "io_uring",
}

def posix_stack_tests(name, srcs, deps, **kwargs):
    """`name`_epoll, `name`_aio, `name`_uring, and a test_suite `name` of all three.

    Args:
      name: the test_suite's name and the tests' prefix.
      srcs: the suite's sources.
      deps: its dependencies (googletest is added).
      **kwargs: passed to each seastar_cc_test.
    """
    tests = []
    for suffix, backend in BACKENDS.items():
        seastar_cc_test(
            name = name + "_" + suffix,
            srcs = srcs,
            deps = deps,
            env = {"SEASTAR_TEST_BACKEND": backend},
            **kwargs
        )
        tests.append(":" + name + "_" + suffix)
    native.test_suite(name = name, tests = tests)
