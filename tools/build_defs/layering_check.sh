#!/usr/bin/env bash
# Checks query outputs against layering rules; see layering.bzl.
# Arguments, repeated:  forbid FILE TARGET REGEX   |   only FILE EXTERNAL REGEX
# A forbid REGEX of the form "A!B" matches labels that match A but not B
# (grep -E has no look-ahead).
set -u
failures=0
while [ $# -ge 4 ]; do
    mode=$1 file=$2 subject=$3 pattern=$4
    shift 4
    [ -r "$file" ] || { echo "layering: cannot read query output $file" >&2; exit 2; }
    labels=$(grep -vE '^@(bazel_tools|local_config_[a-z_]+)//' "$file")
    case "$mode" in
    forbid)
        except='^$'
        if [[ "$pattern" == *'!'* ]]; then
            except=${pattern#*!}
            pattern=${pattern%%!*}
        fi
        bad=$(grep -E -- "$pattern" <<<"$labels" | grep -vE -- "$except")
        if [ -n "$bad" ]; then
            echo "layering violation: $subject must not depend on anything matching '$pattern', but reaches:"
            sed 's/^/    /' <<<"$bad"
            failures=$((failures + 1))
        fi
        ;;
    only)
        bad=$(grep -vE -- "$pattern" <<<"$labels" | grep -v '^$')
        if [ -n "$bad" ]; then
            echo "layering violation: only targets matching '$pattern' may depend on $subject directly, but these do:"
            sed 's/^/    /' <<<"$bad"
            failures=$((failures + 1))
        fi
        ;;
    *)
        echo "layering: unknown rule kind '$mode'" >&2
        exit 2
        ;;
    esac
done
[ $# -eq 0 ] || { echo "layering: trailing arguments: $*" >&2; exit 2; }
if [ "$failures" -ne 0 ]; then
    echo "$failures layering rule(s) broken"
    exit 1
fi
echo "all layering rules hold"
