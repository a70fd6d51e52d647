"""Layering rules checked by tests (genquery + a shell check), not by review.

layering_test checks targets; package_layering_test checks packages (at the end).

    layering_test(
        name = "layering_test",
        universe = "//seastar:full",
        forbid = {"//seastar/core:future": ["^@", "^//seastar/net"]},
        direct_dependents = {"@liburing//:liburing": "^//seastar/core:reactor_backend_uring$"},
    )

`forbid`: no label in deps(target) may match any of the extended regexes.
`direct_dependents`: within deps(universe), every target that depends
directly on the external label must match the regex.
Labels of Bazel's own tool repositories (@bazel_tools, @local_config_*) are
ignored: they are the toolchain, not dependencies.
"""

_QUERY_OPTS = ["--noimplicit_deps", "--nohost_deps"]

def layering_test(name, universe, forbid = {}, direct_dependents = {}, **kwargs):
    """A test that fails when a layering rule is broken (see the module doc).

    Args:
      name: the test's name.
      universe: the target whose dependency graph `direct_dependents` searches.
      forbid: {target: [regex, ...]} patterns no label in deps(target) may match.
      direct_dependents: {external label: regex} the only targets allowed to depend on it directly.
      **kwargs: passed to the sh_test.
    """
    data = []
    args = []
    index = 0
    for target, patterns in forbid.items():
        query = "%s_deps_%d" % (name, index)
        index += 1
        native.genquery(
            name = query,
            expression = "deps(%s)" % target,
            scope = [target],
            opts = _QUERY_OPTS,
            testonly = True,
        )
        data.append(":" + query)
        for pattern in patterns:
            args += ["forbid", "$(location :%s)" % query, target, "'%s'" % pattern.replace("$", "$$")]
    for external, allowed in direct_dependents.items():
        query = "%s_rdeps_%d" % (name, index)
        index += 1
        native.genquery(
            name = query,
            expression = "rdeps(deps(%s), %s, 1) except %s" % (universe, external, external),
            scope = [universe, external],
            opts = _QUERY_OPTS,
            testonly = True,
        )
        data.append(":" + query)
        args += ["only", "$(location :%s)" % query, external, "'%s'" % allowed.replace("$", "$$")]
    native.sh_test(
        name = name,
        srcs = ["//tools/build_defs:layering_check.sh"],
        data = data,
        args = args,
        size = "small",
        **kwargs
    )

def package_layering_test(name, universe, layers, exempt = [], **kwargs):
    """A test that fails when a package depends on a package above it.

    Args:
      name: the test's name.
      universe: the target whose dependency graph is checked (every edge in it).
      layers: extended regexes over "package:" strings (e.g. "^//seastar/core:"),
        one per layer, bottom first. Every package in the graph must match one;
        a package may depend on its own layer and the layers below.
      exempt: regexes over labels whose own dependencies are not checked (a
        target on its way to another package), each with the reason beside it.
      **kwargs: passed to the sh_test.
    """
    query = name + "_graph"
    native.genquery(
        name = query,
        expression = "deps(%s)" % universe,
        scope = [universe],
        opts = _QUERY_OPTS + ["--output=graph", "--nograph:factored"],
        testonly = True,
    )
    args = ["$(location :%s)" % query]
    for layer in layers:
        args += ["layer", "'%s'" % layer.replace("$", "$$")]
    for pattern in exempt:
        args += ["exempt", "'%s'" % pattern.replace("$", "$$")]
    native.sh_test(
        name = name,
        srcs = ["//tools/build_defs:package_layering_check.sh"],
        data = [":" + query],
        args = args,
        size = "small",
        **kwargs
    )
