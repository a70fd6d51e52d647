"""The external repositories this project needs, all from the system.

A consumer's WORKSPACE calls `seastar_repositories()` after declaring this
repository (see examples/consumer), so the same labels resolve there.
"""

load("//third_party:system_library.bzl", "system_library")

_MULTIARCH = "/usr/lib/x86_64-linux-gnu"

def seastar_repositories():
    """Declares every system library used by the project."""
    system_library(
        name = "com_google_absl",
        build_file = Label("//third_party:absl.BUILD"),
        debian_package = "libabsl-dev",
        links = {"include/absl": "/usr/include/absl"},
        min_version = "20220623",
        pkg_config = "absl_base",
    )
    system_library(
        name = "fmt",
        build_file = Label("//third_party:fmt.BUILD"),
        debian_package = "libfmt-dev",
        links = {"include/fmt": "/usr/include/fmt"},
        min_version = "9.1.0",
        pkg_config = "fmt",
    )
    system_library(
        name = "liburing",
        build_file = Label("//third_party:liburing.BUILD"),
        debian_package = "liburing-dev",
        links = {
            "include/liburing": "/usr/include/liburing",
            "include/liburing.h": "/usr/include/liburing.h",
        },
        min_version = "2.3",
        pkg_config = "liburing",
    )
    system_library(
        name = "dpdk",
        build_file = Label("//third_party:dpdk.BUILD"),
        debian_package = "libdpdk-dev",
        links = {
            "include/arch": "/usr/include/x86_64-linux-gnu/dpdk",
            "include/dpdk": "/usr/include/dpdk",
        },
        min_version = "22.11",
        pkg_config = "libdpdk",
    )
    system_library(
        name = "googletest",
        build_file = Label("//third_party:googletest.BUILD"),
        debian_package = "libgmock-dev",
        links = {
            "include/gmock": "/usr/include/gmock",
            "include/gtest": "/usr/include/gtest",
        },
        min_version = "1.12.1",
        pkg_config = "gmock",
    )
    system_library(
        name = "benchmark",
        build_file = Label("//third_party:benchmark.BUILD"),
        debian_package = "libbenchmark-dev",
        links = {"include/benchmark": "/usr/include/benchmark"},
        min_version = "1.7.1",
        pkg_config = "benchmark",
    )
    system_library(
        name = "hwloc",
        build_file = Label("//third_party:hwloc.BUILD"),
        debian_package = "libhwloc-dev",
        links = {
            "include/hwloc": "/usr/include/hwloc",
            "include/hwloc.h": "/usr/include/hwloc.h",
        },
        min_version = "2.9.0",
        pkg_config = "hwloc",
    )
    system_library(
        name = "boringssl",
        build_file = Label("//third_party:boringssl.BUILD"),
        debian_package = "android-libboringssl-dev",
        links = {
            "include/openssl": "/usr/include/android/openssl",
            "lib/libcrypto.so": _MULTIARCH + "/android/libcrypto.so",
            "lib/libssl.so": _MULTIARCH + "/android/libssl.so",
        },
        min_version = "10",
    )
    system_library(
        name = "boost",
        build_file = Label("//third_party:boost.BUILD"),
        debian_package = "libboost-thread-dev",
        min_version = "1.74",
    )
    system_library(
        name = "boost_program_options",
        build_file = Label("//third_party:boost_program_options.BUILD"),
        debian_package = "libboost-program-options-dev",
        min_version = "1.74",
    )
    system_library(
        name = "yaml_cpp",
        build_file = Label("//third_party:yaml_cpp.BUILD"),
        debian_package = "libyaml-cpp-dev",
        links = {"include/yaml-cpp": "/usr/include/yaml-cpp"},
        min_version = "0.7.0",
        pkg_config = "yaml-cpp",
    )

    # JSON parsing of request bodies (//seastar/json:parse); rapidjson and
    # nlohmann-json are its peers in //seastar/json:json_parse_bench only.
    system_library(
        name = "simdjson",
        build_file = Label("//third_party:simdjson.BUILD"),
        debian_package = "libsimdjson-dev",
        links = {"include/simdjson.h": "/usr/include/simdjson.h"},
        min_version = "3.0.0",
        pkg_config = "simdjson",
    )
    system_library(
        name = "rapidjson",
        build_file = Label("//third_party:rapidjson.BUILD"),
        debian_package = "rapidjson-dev",
        links = {"include/rapidjson": "/usr/include/rapidjson"},
        min_version = "1.1.0",
        pkg_config = "RapidJSON",
    )
    system_library(
        name = "nlohmann_json",
        build_file = Label("//third_party:nlohmann_json.BUILD"),
        debian_package = "nlohmann-json3-dev",
        links = {"include/nlohmann": "/usr/include/nlohmann"},
        min_version = "3.11.0",
        pkg_config = "nlohmann_json",
    )
    system_library(
        name = "c_ares",
        build_file = Label("//third_party:c_ares.BUILD"),
        debian_package = "libc-ares-dev",
        links = {
            "include/ares.h": "/usr/include/ares.h",
            "include/ares_build.h": "/usr/include/ares_build.h",
            "include/ares_dns.h": "/usr/include/ares_dns.h",
            "include/ares_nameser.h": "/usr/include/ares_nameser.h",
            "include/ares_rules.h": "/usr/include/ares_rules.h",
            "include/ares_version.h": "/usr/include/ares_version.h",
        },
        min_version = "1.18.1",
        pkg_config = "libcares",
    )
