#!/bin/bash
# Echo over the three network stacks, same server code and same client, in
# one run: echo_server (1 shard, core 0) on
#   posix   the kernel's sockets (client and server on loopback)
#   native  the native stack over our TAP device (tap0)
#   dpdk    the native stack over DPDK's net_tap PMD (dtap0; --no-huge, no PCI;
#           the shard polls, so it keeps core 0 busy)
# and echo_load (POSIX stack, 1 shard, core 1) from Linux's side. Everything
# runs in a network namespace the script makes (root), with addresses
# 192.0.2.1 (Linux) and 192.0.2.2 (ours). Rounds interleave the stacks;
# the table shows medians and ratios against posix.
#
#   tools/echo/bench_stacks.sh [SECONDS_PER_RUN=3] [CONNS=32] [SIZE=64] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-3}
conns=${2:-32}
size=${3:-64}
rounds=${4:-3}
port=10459

if [[ "${BENCH_INSIDE:-}" != 1 ]]; then
    [[ $(id -u) == 0 ]] || { echo "needs root (network namespace, TAP, DPDK)" >&2; exit 1; }
    targets=(//tools/echo:echo_server //tools/echo:echo_load //tools/echo:echo_server_dpdk)
    bazel build --config=opt "${targets[@]}" >/dev/null 2>&1 || bazel build --config=opt "${targets[@]}"
    BENCH_INSIDE=1 exec unshare -n "$0" "$@"
fi
bin=bazel-bin/tools/echo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ip link set lo up

addr_of() { [[ $1 == posix ]] && echo 127.0.0.1 || echo 192.0.2.2; }

wait_up() { # addr
    for _ in $(seq 200); do
        if taskset -c 1 "$bin/echo_load" --smp 1 --address "$1" --port "$port" --conns 1 --requests 1 --duration 1 \
            >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    echo "server did not come up" >&2
    return 1
}

native=(--network-stack native --host-ipv4-addr 192.0.2.2 --gw-ipv4-addr 192.0.2.1 --netmask-ipv4-addr 255.255.255.0)

run_one() { # stack
    local s=$1 pid
    case $s in
    posix)
        taskset -c 0 "$bin/echo_server" --smp 1 --cpuset 0 --address 127.0.0.1 --port "$port" >"$tmp/server.log" 2>&1 &
        pid=$!
        ;;
    native)
        ip tuntap add dev tap0 mode tap
        ip link set tap0 up
        ip addr add 192.0.2.1/24 dev tap0
        taskset -c 0 "$bin/echo_server" --smp 1 --cpuset 0 "${native[@]}" --tap-device tap0 --address 192.0.2.2 \
            --port "$port" >"$tmp/server.log" 2>&1 &
        pid=$!
        ;;
    dpdk)
        taskset -c 0 "$bin/echo_server_dpdk" --smp 1 --cpuset 0 "${native[@]}" --dpdk-pmd \
            --dpdk-eal-args="--no-huge -m 512 --no-pci --no-telemetry --log-level=error --vdev=net_tap0,iface=dtap0 --file-prefix=bench_$$" \
            --address 192.0.2.2 --port "$port" >"$tmp/server.log" 2>&1 &
        pid=$!
        for _ in $(seq 200); do
            ip link show dtap0 >/dev/null 2>&1 && break
            sleep 0.05
        done
        ip link set dtap0 up
        ip addr add 192.0.2.1/24 dev dtap0
        ;;
    esac
    if ! wait_up "$(addr_of "$s")"; then
        cat "$tmp/server.log" >&2
        kill -INT "$pid" 2>/dev/null || true
        exit 1
    fi
    taskset -c 1 "$bin/echo_load" --smp 1 --cpuset 1 --address "$(addr_of "$s")" --port "$port" --conns "$conns" \
        --size "$size" --duration "$secs" >>"$tmp/$s"
    kill -INT "$pid"
    wait "$pid" || true
    ip link del tap0 2>/dev/null || true
}

stacks=(posix native dpdk)
for r in $(seq "$rounds"); do
    for s in "${stacks[@]}"; do
        run_one "$s"
    done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep -o "$2=[0-9.]*" "$tmp/$1" | cut -d= -f2 | median; }

echo
echo "echo, $conns connections, $size-byte requests, ${secs}s per run, median of $rounds rounds"
echo "server: echo_server, 1 shard on core 0; load: echo_load (POSIX stack) on core 1; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
printf '%-44s %12s %10s %10s %9s %9s\n' stack requests/s p50_us p99_us rps/posix p99/posix
posix_rps=$(field posix rps)
posix_p99=$(field posix p99_us)
for s in "${stacks[@]}"; do
    case $s in
    posix) name="posix (kernel sockets, loopback)" ;;
    native) name="native over TAP (--network-stack native)" ;;
    dpdk) name="native over DPDK net_tap (--dpdk-pmd)" ;;
    esac
    rps=$(field "$s" rps)
    p99=$(field "$s" p99_us)
    printf '%-44s %12s %10s %10s %9s %9s\n' "$name" "$rps" "$(field "$s" p50_us)" "$p99" \
        "$(awk -v a="$rps" -v b="$posix_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
        "$(awk -v a="$p99" -v b="$posix_p99" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
