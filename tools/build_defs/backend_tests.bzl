"""One test suite, run once per reactor backend: the one macro for per-backend tests.

    seastar_backend_tests(
        name = "reactor_test",
        srcs = ["reactor_test.cc"],
        deps = [":reactor"],
    )

declares
  * `reactor_test_lib`: the test's sources, compiled once (testonly, alwayslink so
    that googletest's registrations survive the link);
  * `reactor_test_epoll`, `reactor_test_linux_aio`, `reactor_test_io_uring`: one
    googletest binary each, run with SEASTAR_TEST_BACKEND set to that backend;
  * `reactor_test`: a test_suite of the three, so `bazel test :reactor_test`
    still runs the whole suite.

Every test links the harness, //seastar/testing:seastar_test (added when not in
`deps`): its runners (run_in_reactor, run_on_shards, SEASTAR_TEST_CASE) start
reactors on the backend the target names, and when this machine cannot create
that backend (io_uring disabled in a container, say) the binary skips all of
its tests with one message saying why, and passes.
"""

load("//tools/build_defs:copts.bzl", "SEASTAR_TEST_COPTS", "SEASTAR_TEST_HARNESS", "has_test_harness", "seastar_cc_test", "test_pch_copts_and_deps")

# Backend name (as --reactor-backend spells it) -> target suffix.
SEASTAR_BACKENDS = {
    "epoll": "epoll",
    "linux-aio": "linux_aio",
    "io_uring": "io_uring",
}

def seastar_backend_tests(name, srcs, deps = [], copts = [], backends = None, size = "small", tags = [], env = {}, **kwargs):
    """Declares `name` as a test_suite with one test per reactor backend.

    Args:
      name: the suite's name; per-backend tests are `<name>_<backend>`.
      srcs: the test's sources (googletest, usually SEASTAR_TEST_CASEs or run_on_shards).
      deps: the test's dependencies (googletest's main and the harness are added).
      copts: extra compiler flags.
      backends: backend names to run on (default: all of SEASTAR_BACKENDS).
      size: each per-backend test's size.
      tags: tags of every per-backend test and of the suite.
      env: extra environment of every per-backend test.
      **kwargs: passed to each per-backend test (e.g. timeout, shard_count).
    """
    lib = name + "_lib"
    harness = [] if has_test_harness(deps) else [SEASTAR_TEST_HARNESS]
    pch_copts, pch_deps = test_pch_copts_and_deps(deps + harness, copts, srcs)
    native.cc_library(
        name = lib,
        testonly = True,
        srcs = srcs,
        copts = SEASTAR_TEST_COPTS + copts + pch_copts,
        deps = deps + harness + pch_deps + ["@googletest//:gtest"],
        alwayslink = True,
    )
    tests = []
    for backend in (backends or SEASTAR_BACKENDS.keys()):
        test = "%s_%s" % (name, SEASTAR_BACKENDS[backend])
        test_env = dict(env)
        test_env["SEASTAR_TEST_BACKEND"] = backend
        seastar_cc_test(
            name = test,
            size = size,
            env = test_env,
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
