#!/usr/bin/env bash
# Checks that dependencies between packages run one way; see layering.bzl
# (package_layering_test).
# Arguments: GRAPH_FILE then, repeated:  layer REGEX  |  exempt REGEX
#   layer:  the packages of one layer (extended regex over labels), bottom first;
#           a label may depend on labels of its own layer or of a layer below.
#   exempt: dependencies *from* labels matching REGEX are not checked (a target
#           that is moving to the layer its dependencies need, named with why).
# Labels of Bazel's own repositories (@bazel_tools, @local_config_*) are ignored.
set -u
graph=$1
shift
[ -r "$graph" ] || { echo "package layering: cannot read query output $graph" >&2; exit 2; }
layers=()
exempt=()
while [ $# -ge 2 ]; do
    case "$1" in
    layer) layers+=("$2") ;;
    exempt) exempt+=("$2") ;;
    *) echo "package layering: unknown argument kind '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
[ $# -eq 0 ] || { echo "package layering: trailing arguments: $*" >&2; exit 2; }

# Regexes are matched by bash itself (no process per match: this runs on
# loaded CI machines).
layer_of() {
    local i
    for i in "${!layers[@]}"; do
        if [[ $1 =~ ${layers[$i]} ]]; then
            echo "$i"
            return
        fi
    done
    echo "-1"
}

is_exempt() {
    local e
    for e in "${exempt[@]+"${exempt[@]}"}"; do
        if [[ $1 =~ $e ]]; then
            return 0
        fi
    done
    return 1
}

# Edges of `bazel query --output=graph --nograph:factored`: "a" -> "b"
edges=$(sed -nE 's/^ *"([^"]+)" -> "([^"]+)".*$/\1 \2/p' "$graph" |
    grep -vE '(^| )@(bazel_tools|local_config_[a-z_]+)//' | sort -u)
if [ -z "$edges" ]; then
    echo "package layering: no dependency edges in $graph (wrong query output?)" >&2
    exit 2
fi
declare -A rank
failures=0
while read -r from to; do
    from_pkg=${from%%:*}
    to_pkg=${to%%:*}
    [ "$from_pkg" = "$to_pkg" ] && continue
    for l in "$from" "$to"; do
        pkg=${l%%:*}
        if [ -z "${rank[$pkg]+x}" ]; then
            rank[$pkg]=$(layer_of "$pkg:")
            if [ "${rank[$pkg]}" -lt 0 ]; then
                echo "package layering: package $pkg has no layer: add it to the order"
                failures=$((failures + 1))
            fi
        fi
    done
    if [ "${rank[$to_pkg]}" -gt "${rank[$from_pkg]}" ] && ! is_exempt "$from"; then
        echo "package layering violation: $from (layer ${rank[$from_pkg]}) depends on $to (layer ${rank[$to_pkg]}, above it)"
        failures=$((failures + 1))
    fi
done <<<"$edges"
if [ "$failures" -ne 0 ]; then
    echo "$failures package layering problem(s)"
    exit 1
fi
echo "packages depend only on their own layer and the layers below"
