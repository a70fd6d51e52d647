#!/usr/bin/env bash
# Runs //seastar/memory:memory_bench against the peer allocators in one go and prints ns per
# allocate+free pair with ratios (peer / shard allocator; > 1 means the shard allocator is faster).
#
#   shard      seastar::memory::allocate/free on shard 0 (the memory_bench binary itself)
#   override   malloc/free routed to the shard allocator by :malloc_override
#   glibc      malloc/free of the system allocator
#   jemalloc, tcmalloc, mimalloc   the same malloc/free code under LD_PRELOAD
#
# Usage: tools/bench/memory_bench.sh [min_time_seconds (default 0.2)] [rounds (default 3)]
# Prints the CPU model and cache sizes (lscpu) before its table: keep them together.
# Each round runs every allocator once, one after the other, so that load from elsewhere on
# a shared machine falls on all of them alike; the minimum over rounds is reported (the round
# least disturbed by other processes is the best estimate of what the allocator itself
# costs; the median is printed beside it). Run from the workspace root.
#
# The cross-shard row is CPU time (both threads, per object) for a fixed number of objects,
# the median of 5 repetitions inside each round (see BM_cross in memory_bench.cc). In the
# shard and override columns the consumer is shard 1 (as in a program on app_template, whose
# threads are shards); for the other allocators it is a plain thread.
set -euo pipefail

MIN_TIME="${1:-0.2}"
REPS="${2:-3}"
LIBDIR=/usr/lib/x86_64-linux-gnu
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

bazel build --config=opt //seastar/memory:memory_bench //seastar/memory:memory_override_bench >&2
BIN="$(bazel info --config=opt bazel-bin 2>/dev/null)/seastar/memory"

run() {  # round name filter binary [preload]
    local round="$1" name="$2" filter="$3" bin="$4" preload="${5:-}"
    echo "round $round: $name" >&2
    env ${preload:+LD_PRELOAD=$preload} "$bin" --benchmark_filter="$filter" \
        --benchmark_min_time="$MIN_TIME" --benchmark_format=json >"$OUT/$name.$round.json"
}

for round in $(seq 1 "$REPS"); do
    run "$round" shard 'shard_api' "$BIN/memory_bench"
    run "$round" override 'libc_api' "$BIN/memory_override_bench"
    run "$round" glibc 'libc_api' "$BIN/memory_bench"
    for peer in jemalloc:libjemalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4 mimalloc:libmimalloc.so.2; do
        name="${peer%%:*}"
        lib="$LIBDIR/${peer#*:}"
        if [[ -e "$lib" ]]; then
            run "$round" "$name" 'libc_api' "$BIN/memory_bench" "$lib"
        else
            echo "skipping $name: $lib not installed" >&2
        fi
    done
done

# The machine, printed with the table: figures from different CPUs cannot be compared.
cpu_model="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
caches="$(lscpu -C=NAME,ONE-SIZE,WAYS 2>/dev/null | tail -n +2 |
    awk '{printf "%s%s %s per instance, %s-way", (NR > 1 ? "; " : ""), $1, $2, $3}')"
# Some virtual machines give lscpu nothing about caches; glibc still reads CPUID.
if [ -z "$caches" ]; then
    caches="$(for c in LEVEL1_DCACHE LEVEL1_ICACHE LEVEL2_CACHE LEVEL3_CACHE; do
        getconf "${c}_SIZE" 2>/dev/null | awk -v n="$c" '$1 > 0 {printf "%s %dK", n, $1 / 1024}'
        echo
    done | sed '/^$/d' | sed -e 's/LEVEL1_DCACHE/L1d/' -e 's/LEVEL1_ICACHE/L1i/' -e 's/LEVEL2_CACHE/L2/' \
        -e 's/LEVEL3_CACHE/L3/' | paste -sd';' | sed 's/;/; /g')"
    [ -z "$caches" ] || caches="$caches (getconf; lscpu gave none)"
fi
echo "CPU: ${cpu_model:-unknown} ($(getconf _NPROCESSORS_ONLN) CPUs online); ${caches:-cache sizes unknown}"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$OUT" <<'PY'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
order = ["shard", "override", "glibc", "jemalloc", "tcmalloc", "mimalloc"]
samples = {}
for name in order:
    for path in sorted(glob.glob(os.path.join(out, name + ".*.json"))):
        for b in json.load(open(path))["benchmarks"]:
            # Repeated benchmarks (BM_cross) report aggregates only: keep their median.
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            m = re.match(r"BM_(\w+)<\w+>/(\d+)", b["name"])
            kind, size = m.group(1), int(m.group(2))
            # CPU time for the single-thread loops (steadier on a shared machine). BM_cross
            # reports as its (manual) time the CPU time of both of its threads for a fixed
            # number of objects, with waiting done by blocking, so it is CPU time too.
            ns = b["real_time"] if kind == "cross" else b["cpu_time"]
            assert b["time_unit"] == "ns"
            if kind == "batch":
                ns /= 64.0
            if kind == "cross":
                ns /= b["messages_per_iteration"]
            samples.setdefault((kind, size), {}).setdefault(name, []).append(ns)
results = {k: {n: min(v) for n, v in d.items()} for k, d in samples.items()}
medians = {k: {n: statistics.median(v) for n, v in d.items()} for k, d in samples.items()}
cols = [c for c in order if any(c in v for v in results.values())]
def label(kind, size):
    s = f"{size // 1048576} MiB" if size >= 1048576 else f"{size // 1024} KiB" if size >= 1024 else f"{size} B"
    return {"pair": "pair", "batch": "batch64", "cross": "cross-shard"}[kind] + " " + s
rounds = max(len(v) for d in samples.values() for v in d.values())
print(f"ns per allocate+free pair, minimum over {rounds} rounds (cross-shard: CPU ns of both threads per")
print("object, median of 5 repetitions, then minimum over rounds); ratio = peer / shard (> 1: shard")
print("allocator faster); the last column is the shard allocator's median over rounds")
print("| benchmark | " + " | ".join(cols) + " | " + " | ".join(f"{c}/shard" for c in cols[1:]) + " | shard median |")
print("|---" * (2 * len(cols) + 1) + "|")
for kind in ("pair", "batch", "cross"):
    for (k, size), v in sorted(results.items(), key=lambda kv: kv[0][1]):
        if k != kind:
            continue
        base = v.get("shard")
        cells = [f"{v[c]:.1f}" if c in v else "-" for c in cols]
        ratios = [f"{v[c] / base:.2f}x" if c in v and base else "-" for c in cols[1:]]
        med = medians[(k, size)].get("shard")
        print(f"| {label(kind, size)} | " + " | ".join(cells) + " | " + " | ".join(ratios) +
              (f" | {med:.1f} |" if med else " | - |"))
PY
