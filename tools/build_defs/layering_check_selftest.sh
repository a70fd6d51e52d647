#!/usr/bin/env bash
# The layering check must fail on a violation and pass on clean input;
# otherwise //seastar:layering_test could not catch anything.
set -u
check=$1
dir=$(mktemp -d)
printf '//seastar/core:future\n@liburing//:liburing\n@bazel_tools//tools/cpp:x\n' >"$dir/deps"
printf '//seastar/core:reactor_backend_uring\n//seastar/net:posix_stack\n' >"$dir/rdeps"
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
expect 1 forbid "$dir/deps" //seastar/core:future '^@'
expect 0 forbid "$dir/deps" //seastar/core:future '^//seastar/net'
expect 0 forbid "$dir/deps" //seastar/core:future '^@bazel_tools'
expect 1 only "$dir/rdeps" @liburing//:liburing '^//seastar/core:reactor_backend_uring$'
expect 0 only "$dir/rdeps" @liburing//:liburing '^//seastar/(core:reactor_backend_uring|net:posix_stack)$'
expect 1 forbid "$dir/deps" //x '^//seastar/core!:task$'
expect 0 forbid "$dir/deps" //x '^//seastar/core!:future$'
expect 2 forbid "$dir/missing" x y
expect 2 forbid "$dir/deps" x
expect 2 sideways "$dir/deps" x y
# Several rules in one call: one broken rule among clean ones fails the check
# and is the one named.
expect 1 forbid "$dir/deps" a '^//seastar/net' only "$dir/rdeps" @liburing//:liburing '^//seastar/core:reactor_backend_uring$' forbid "$dir/deps" b '^//x'
grep -q "only targets matching" "$dir/out" || { echo "FAIL: the broken rule was not named"; cat "$dir/out"; exit 1; }
grep -q "must not depend" "$dir/out" && { echo "FAIL: a clean rule was reported"; cat "$dir/out"; exit 1; }
expect 0 forbid "$dir/deps" a '^//seastar/net' forbid "$dir/deps" b '^//x'
echo "layering check self-test passed"
