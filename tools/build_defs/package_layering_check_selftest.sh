#!/usr/bin/env bash
# The package layering check must fail when a package depends on one above it
# and pass on clean input; otherwise //seastar:package_layering_test could not
# catch anything.
set -u
check=$1
dir=$(mktemp -d)
cat >"$dir/clean" <<'GRAPH'
digraph mygraph {
  node [shape=box];
  "//seastar/smp:smp"
  "//seastar/smp:smp" -> "//seastar/core:reactor"
  "//seastar/smp:smp" -> "//seastar/core:smp.hh"
  "//seastar/core:reactor" -> "//seastar/util:log"
  "//seastar/core:reactor" -> "@bazel_tools//tools/cpp:malloc"
  "//seastar/util:log" -> "@fmt//:fmt"
}
GRAPH
cp "$dir/clean" "$dir/upward"
echo '  "//seastar/util:later" -> "//seastar/core:future"' >>"$dir/upward"
cp "$dir/clean" "$dir/unknown"
echo '  "//seastar/core:reactor" -> "//seastar/elsewhere:x"' >>"$dir/unknown"
layers=(layer '^@' layer '^//seastar/util:' layer '^//seastar/core:' layer '^//seastar/smp:')
expect() {
    local want=$1
    shift
    "$check" "$@" >"$dir/out" 2>&1
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: '$*' exited $got, want $want:"
        cat "$dir/out"
        exit 1
    fi
}
expect 0 "$dir/clean" "${layers[@]}"
expect 1 "$dir/upward" "${layers[@]}"
grep -q 'seastar/util:later' "$dir/out" || { echo "FAIL: the violation is not named"; exit 1; }
expect 0 "$dir/upward" "${layers[@]}" exempt '^//seastar/util:later$'
expect 1 "$dir/unknown" "${layers[@]}"
grep -q 'seastar/elsewhere has no layer' "$dir/out" || { echo "FAIL: the unknown package is not named"; exit 1; }
expect 2 "$dir/missing" "${layers[@]}"
echo "package layering check self-test passed"
