"""Precompiled headers for test sources.

Every test source parses googletest (about 1.5 s of clang at -O0), and most
also parse the test harness with the reactor and futures behind it (about 3 s
more). `cc_pch` compiles such a header once per configuration, with the exact
flags the configuration gives every C++ compile (the toolchain's, --copt,
--cxxopt, the rule's copts, and the include paths and defines of its deps),
and provides it to dependents as a header input. A test source then starts
from it through `pch_copts(label)`: `-include-pch <file>`.

Clang refuses a PCH built with other language options (sanitizers, -std,
PIC, optimisation): the flags come from the same toolchain query as the
sources' own, and `-fPIC` is passed to both, so a source compiled for a static
link (no PIC) can use it too. `-fno-pch-timestamp` keeps the file independent
of header modification times and `-relocatable-pch` of the directory it was
made in, so a remote cache can share it between machines.

    cc_pch(name = "gtest_pch", hdr = "gtest_pch.hh", deps = ["@googletest//:gtest"])
    cc_test(..., deps = [":gtest_pch", ...], copts = pch_copts("//seastar/testing:gtest_pch"))
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

def _cc_pch_impl(ctx):
    cc_toolchain = find_cpp_toolchain(ctx)
    features = cc_common.configure_features(
        ctx = ctx,
        cc_toolchain = cc_toolchain,
        requested_features = ctx.features,
        unsupported_features = ctx.disabled_features,
    )
    comp = cc_common.merge_cc_infos(cc_infos = [d[CcInfo] for d in ctx.attr.deps]).compilation_context
    out = ctx.actions.declare_file(ctx.attr.name + ".pch.hh")
    hdr = ctx.file.hdr
    variables = cc_common.create_compile_variables(
        feature_configuration = features,
        cc_toolchain = cc_toolchain,
        user_compile_flags = ctx.fragments.cpp.copts + ctx.fragments.cpp.cxxopts + ctx.attr.copts + ["-fPIC"],
        include_directories = comp.includes,
        quote_include_directories = depset(["."], transitive = [comp.quote_includes]),
        system_include_directories = comp.system_includes,
        preprocessor_defines = comp.defines,
        use_pic = True,
    )
    flags = cc_common.get_memory_inefficient_command_line(
        feature_configuration = features,
        action_name = ACTION_NAMES.cpp_compile,
        variables = variables,
    )
    env = cc_common.get_environment_variables(
        feature_configuration = features,
        action_name = ACTION_NAMES.cpp_compile,
        variables = variables,
    )
    compiler = cc_common.get_tool_for_action(
        feature_configuration = features,
        action_name = ACTION_NAMES.cpp_compile,
    )

    # A relocatable PCH names the headers it was made from relative to the
    # directory the compiler ran in (the "sysroot" it is told, at cc1 level
    # only, so system header search is untouched), not by the absolute path of
    # this action's sandbox: a source compiled elsewhere finds them under its
    # own working directory (pch_copts()), and lists them in its .d file as
    # the inputs Bazel declared.
    ctx.actions.run_shell(
        command = 'exec "$@" -Xclang -isysroot -Xclang "$PWD"',
        arguments = [compiler] + flags + [
            "-Xclang",
            "-fno-pch-timestamp",
            "-Xclang",
            "-relocatable-pch",
            # The headers' own template instantiations are done once here,
            # not again in every source.
            "-fpch-instantiate-templates",
            "-x",
            "c++-header",
            hdr.path,
            "-o",
            out.path,
        ],
        env = env,
        inputs = depset([hdr], transitive = [comp.headers, cc_toolchain.all_files]),
        outputs = [out],
        mnemonic = "CppPch",
        progress_message = "Precompiling %s" % hdr.short_path,
    )

    # Dependents get the PCH and every header it was made from: clang checks
    # them when it loads the PCH.
    return [
        DefaultInfo(files = depset([out])),
        CcInfo(compilation_context = cc_common.create_compilation_context(
            headers = depset([out, hdr], transitive = [comp.headers]),
        )),
    ]

cc_pch = rule(
    implementation = _cc_pch_impl,
    attrs = {
        "hdr": attr.label(allow_single_file = [".hh", ".h"], mandatory = True),
        "deps": attr.label_list(providers = [CcInfo]),
        "copts": attr.string_list(),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    fragments = ["cpp"],
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    incompatible_use_toolchain_transition = True,
)

def pch_copts(label):
    """The copts that make a source start from the PCH `label` (a cc_pch)."""
    pkg, name = label[2:].split(":")
    return ["-fPIC", "-Xclang", "-isysroot", "-Xclang", ".", "-include-pch", "$(BINDIR)/%s/%s.pch.hh" % (pkg, name)]
