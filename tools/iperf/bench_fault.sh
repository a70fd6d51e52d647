#!/bin/bash
# One TCP stream through the fault device, on a clean cable and with 1% of the
# frames dropped each way, in one script run:
#   1. two native stacks back to back over the pair device, in one reactor
#      pinned to CPU 0 (//seastar/net:native_stack_tcp_bench, 100 MiB
#      streams: stack:1 clean, stack:2 with 1% loss);
#   2. the reference: Linux's TCP in two network namespaces, each holding one
#      end of a TAP pair that tap_wire joins through the same fault device
#      (the wire on CPU 0; Debian's iperf3 client and server on CPU 1).
# Prints Gbit/s (median of ROUNDS) and the native / Linux ratio. Needs root.
#
#   tools/iperf/bench_fault.sh [SECONDS=3] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-3}
rounds=${2:-3}
[[ $(id -u) == 0 ]] || { echo "needs root"; exit 1; }
targets=(//tools/iperf:tap_wire //seastar/net:native_stack_tcp_bench)
bazel build --config=opt "${targets[@]}" >/dev/null 2>&1 || bazel build --config=opt "${targets[@]}"
bin=$(mktemp -d)
cp bazel-bin/tools/iperf/tap_wire bazel-bin/seastar/net/native_stack_tcp_bench "$bin/"
ns=wirebench$$
cleanup() {
    pkill -f "$bin/tap_wire" 2>/dev/null || true
    pkill -f "iperf3 -s -p 5401" 2>/dev/null || true
    ip netns del "${ns}a" 2>/dev/null || true
    ip netns del "${ns}b" 2>/dev/null || true
    rm -rf "$bin"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), kernel $(uname -r), $(date -u '+%F %H:%M') UTC"

# 1. Native stacks: Gbit/s of each kind (median over the repetitions).
native=$(taskset -c 0 "$bin/native_stack_tcp_bench" --benchmark_filter='bm_stream/stack:[12]' \
    --benchmark_repetitions="$rounds" --benchmark_format=json 2>/dev/null |
    python3 -c '
import json, sys
r = json.load(sys.stdin)
for b in r["benchmarks"]:
    if b.get("aggregate_name") == "median":
        print(b["run_name"].split("stack:")[1].split("/")[0], b["bytes_per_second"] * 8 / 1e9)
')
native_clean=$(awk '$1 == 1 {print $2}' <<<"$native")
native_loss=$(awk '$1 == 2 {print $2}' <<<"$native")

# 2. Linux over the TAP pair and tap_wire.
linux() { # drop share: median Gbit/s of ROUNDS iperf3 runs
    ip netns add "${ns}a"
    ip netns add "${ns}b"
    ip -n "${ns}a" link set lo up
    ip -n "${ns}b" link set lo up
    ip netns exec "${ns}a" taskset -c 0 "$bin/tap_wire" --tap-a wa0 --tap-b wb0 --drop "$1" --seed 1 \
        >/dev/null 2>&1 &
    local wpid=$!
    for _ in $(seq 100); do
        ip -n "${ns}a" link show wb0 >/dev/null 2>&1 && break
        sleep 0.05
    done
    ip -n "${ns}a" link set wb0 netns "${ns}b"
    ip -n "${ns}a" addr add 198.51.100.1/24 dev wa0
    ip -n "${ns}b" addr add 198.51.100.2/24 dev wb0
    ip -n "${ns}a" link set wa0 up
    ip -n "${ns}b" link set wb0 up
    local r=()
    for _ in $(seq "$rounds"); do
        ip netns exec "${ns}b" taskset -c 1 iperf3 -s -1 -p 5401 -D
        sleep 0.3
        r+=("$(ip netns exec "${ns}a" taskset -c 1 iperf3 --json -t "$secs" -c 198.51.100.2 -p 5401 |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)')")
        sleep 0.3
    done
    kill -INT "$wpid"
    wait "$wpid" || true
    ip netns del "${ns}a"
    ip netns del "${ns}b"
    printf "%s\n" "${r[@]}" | median
}
linux_clean=$(linux 0)
linux_loss=$(linux 0.01)

printf "%-58s %10s %10s\n" "one TCP stream, Gbit/s" clean "1% loss"
printf "%-58s %10.2f %10.2f\n" "two native stacks, pair device + fault device (1 core)" "$native_clean" "$native_loss"
printf "%-58s %10.2f %10.2f\n" "Linux to Linux, TAP pair + tap_wire + fault device" "$linux_clean" "$linux_loss"
awk -v nc="$native_clean" -v nl="$native_loss" -v lc="$linux_clean" -v ll="$linux_loss" \
    'BEGIN {printf "%-58s %9.2fx %9.2fx\n", "native / Linux", nc / lc, nl / ll}'
