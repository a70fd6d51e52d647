#!/bin/bash
# One TCP stream measured by Debian's iperf3 client, in one script run:
#   1. Linux's iperf3 server over loopback (the reference for 2);
#   2. our iperf_server on the POSIX stack over loopback;
#   3. our iperf_server on the native stack over a TAP device (namespace);
#   4. Linux to Linux over a veth pair between two namespaces (the reference
#      for 3: the kernel's stack on both ends of a virtual link).
# Each forward (client sends) and reverse, SECONDS each, median of ROUNDS;
# servers pinned to CPU 0, the client to CPU 1. Needs root (namespaces).
#
#   tools/iperf/bench.sh [SECONDS=3] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-3}
rounds=${2:-3}
[[ $(id -u) == 0 ]] || { echo "needs root"; exit 1; }
bazel build --config=opt //tools/iperf:iperf_server >/dev/null 2>&1 || bazel build --config=opt //tools/iperf:iperf_server
bin=$(mktemp -d)
cp bazel-bin/tools/iperf/iperf_server "$bin/"
ns=iperfbench$$
cleanup() {
    pkill -f "iperf3 -s -p 5301" 2>/dev/null || true
    ip netns del "${ns}a" 2>/dev/null || true
    ip netns del "${ns}b" 2>/dev/null || true
    rm -rf "$bin"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
gbps() { # [netns] client args...: Gbit/s the receiver saw
    local pre=()
    if [[ $1 == ns:* ]]; then pre=(ip netns exec "${1#ns:}"); shift; fi
    "${pre[@]}" taskset -c 1 iperf3 --json -t "$secs" "$@" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)'
}
run() { # label, start-server command, client args...
    local label=$1 start=$2
    shift 2
    local f=() r=()
    for _ in $(seq "$rounds"); do
        eval "$start"
        sleep 0.5
        f+=("$(gbps "$@")")
        r+=("$(gbps "$@" -R)")
        wait_server
    done
    printf "%-44s %8.2f %8.2f\n" "$label" "$(printf "%s\n" "${f[@]}" | median)" "$(printf "%s\n" "${r[@]}" | median)"
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), kernel $(uname -r), $(date -u '+%F %H:%M') UTC"
printf "%-44s %8s %8s\n" "server (one stream, Gbit/s)" forward reverse

# 1. Linux's iperf3 server, loopback.
wait_server() { pkill -f "iperf3 -s -p 5301" || true; sleep 0.2; }
run "Linux iperf3 -s, loopback" 'taskset -c 0 iperf3 -s -p 5301 -D' -c 127.0.0.1 -p 5301

# 2. Ours, POSIX stack, loopback.
wait_server() { wait "$spid" || true; }
run "iperf_server, POSIX stack, loopback" \
    'taskset -c 0 "$bin/iperf_server" --smp 1 --cpuset 0 --port 5301 --tests 2 >/dev/null 2>&1 & spid=$!' \
    -c 127.0.0.1 -p 5301

# 3. Ours, native stack over TAP in a namespace (Linux's client in it too).
ip netns add "${ns}a"
ip -n "${ns}a" link set lo up
ip -n "${ns}a" tuntap add dev tap0 mode tap
ip -n "${ns}a" link set tap0 up
ip -n "${ns}a" addr add 192.0.2.1/24 dev tap0
run "iperf_server, native stack over TAP" \
    'ip netns exec "${ns}a" taskset -c 0 "$bin/iperf_server" --smp 1 --cpuset 0 --network-stack native --tap-device tap0 --host-ipv4-addr 192.0.2.2 --gw-ipv4-addr 192.0.2.1 --netmask-ipv4-addr 255.255.255.0 --address 192.0.2.2 --port 5301 --tests 2 >/dev/null 2>&1 & spid=$!' \
    "ns:${ns}a" -c 192.0.2.2 -p 5301

# 4. Linux to Linux over a veth pair between two namespaces.
ip netns add "${ns}b"
ip link add "v${ns: -6}a" netns "${ns}a" type veth peer name "v${ns: -6}b" netns "${ns}b"
ip -n "${ns}a" addr add 198.51.100.1/24 dev "v${ns: -6}a"
ip -n "${ns}b" addr add 198.51.100.2/24 dev "v${ns: -6}b"
ip -n "${ns}a" link set "v${ns: -6}a" up
ip -n "${ns}b" link set "v${ns: -6}b" up
ip -n "${ns}b" link set lo up
wait_server() { pkill -f "iperf3 -s -p 5301" || true; sleep 0.2; }
run "Linux iperf3 -s over veth (namespaces)" 'ip netns exec "${ns}b" taskset -c 0 iperf3 -s -p 5301 -D' \
    "ns:${ns}a" -c 198.51.100.2 -p 5301
