#!/usr/bin/env bash
# Checks query outputs against layering rules; see layering.bzl.
# Arguments, repeated:  forbid FILE TARGET REGEX   |   only FILE EXTERNAL REGEX
# A forbid REGEX of the form "A!B" matches labels that match A but not B
# (extended regexes have no look-ahead).
#
# All rules are checked by one awk process, each query file read once: a
# process per rule (hundreds of rules) made this test take minutes on a
# loaded machine.
set -u
[ $(($# % 4)) -eq 0 ] || {
    echo "layering: arguments come in fours (mode file subject regex), got $#" >&2
    exit 2
}
args=("$@")
for ((i = 0; i < $#; i += 4)); do
    case "${args[i]}" in
    forbid | only) ;;
    *)
        echo "layering: unknown rule kind '${args[i]}'" >&2
        exit 2
        ;;
    esac
    [ -r "${args[i + 1]}" ] || {
        echo "layering: cannot read query output ${args[i + 1]}" >&2
        exit 2
    }
done

exec awk '
function load(file,    line, n) {
    if (file in count) return
    n = 0
    while ((getline line < file) > 0) {
        if (line == "" || line ~ /^@(bazel_tools|local_config_[a-z_]+)\/\//) continue
        labels[file, ++n] = line
    }
    close(file)
    count[file] = n
}
BEGIN {
    failures = 0
    for (i = 1; i + 3 < ARGC; i += 4) {
        mode = ARGV[i]; file = ARGV[i + 1]; subject = ARGV[i + 2]; pattern = ARGV[i + 3]
        load(file)
        bad = ""
        if (mode == "forbid") {
            except = "^$"
            split_at = index(pattern, "!")
            if (split_at > 0) {
                except = substr(pattern, split_at + 1)
                pattern = substr(pattern, 1, split_at - 1)
            }
            for (j = 1; j <= count[file]; j++) {
                l = labels[file, j]
                if (l ~ pattern && l !~ except) bad = bad "    " l "\n"
            }
            if (bad != "") {
                printf "layering violation: %s must not depend on anything matching \047%s\047, but reaches:\n%s", subject, pattern, bad
                failures++
            }
        } else {
            for (j = 1; j <= count[file]; j++) {
                l = labels[file, j]
                if (l !~ pattern) bad = bad "    " l "\n"
            }
            if (bad != "") {
                printf "layering violation: only targets matching \047%s\047 may depend on %s directly, but these do:\n%s", pattern, subject, bad
                failures++
            }
        }
    }
    if (failures != 0) {
        print failures " layering rule(s) broken"
        exit 1
    }
    print "all layering rules hold"
    exit 0
}' "$@"
