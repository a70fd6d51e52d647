#!/bin/bash
# Echo over the three network stacks, same server code and same client, in
# one run: echo_server (1 shard, core 0) on
#   posix   the kernel's sockets (client and server on loopback)
#   native  the native stack over our TAP device (tap0)
#   dpdk    the native stack over DPDK's net_tap PMD (dtap0; --no-huge, no PCI;
#           the shard polls, so it keeps core 0 busy)
# and echo_load (POSIX stack, 1 shard, core 1) from Linux's side; then the
# memcached server the same way (memcached, 1 shard, core 0; memcached_dpdk
# for the dpdk row) loaded by memcached_load (POSIX stack, 1 shard, core 1,
# the same connections, pipeline 1, 10000 keys, 32-byte values, 90% gets).
# Everything runs in a network namespace the script makes (root), with
# addresses 192.0.2.1 (Linux) and 192.0.2.2 (ours). Rounds interleave the
# stacks (and the two servers); the tables show medians and ratios against posix.
#
#   tools/echo/bench_stacks.sh [SECONDS_PER_RUN=3] [CONNS=32] [SIZE=64] [ROUNDS=3]
# (SIZE is echo's request size; memcached's values are 32 bytes.)
set -euo pipefail
# The load generators run on io_uring: on this kernel it is the backend with
# which one client core out-runs the servers (docs/benchmarks.md).
load_backend=${LOAD_BACKEND:-io_uring}
cd "$(dirname "$0")/../.."
secs=${1:-3}
conns=${2:-32}
size=${3:-64}
rounds=${4:-3}
port=10459
mc_port=11459
mc_keys=10000
mc_value=32

if [[ "${BENCH_INSIDE:-}" != 1 ]]; then
    [[ $(id -u) == 0 ]] || { echo "needs root (network namespace, TAP, DPDK)" >&2; exit 1; }
    targets=(//tools/echo:echo_server //tools/echo:echo_load //tools/echo:echo_server_dpdk
        //tools/memcached:memcached //tools/memcached:memcached_dpdk //tools/memcached:memcached_load)
    bazel build --config=opt "${targets[@]}" >/dev/null 2>&1 || bazel build --config=opt "${targets[@]}"
    BENCH_INSIDE=1 exec unshare -n "$0" "$@"
fi
bin=bazel-bin/tools/echo
mcbin=bazel-bin/tools/memcached
tmp=$(mktemp -d)
# DPDK's runtime directory for this run's --file-prefix goes too.
trap 'rm -rf "$tmp" /var/run/dpdk/bench_$$' EXIT
ip link set lo up

addr_of() { [[ $1 == posix ]] && echo 127.0.0.1 || echo 192.0.2.2; }

# True once the server of `workload` answers one request at addr.
answers() { # workload addr
    if [[ $1 == echo ]]; then
        timeout 5 taskset -c 1 "$bin/echo_load" --smp 1 --address "$2" --port "$port" --conns 1 --requests 1 --duration 1
    else
        timeout 5 taskset -c 1 "$mcbin/memcached_load" --smp 1 --address "$2" --port "$mc_port" --conns 1 --requests 1 \
            --duration 1 --prefill false
    fi
}

wait_up() { # workload addr
    for _ in $(seq 200); do
        if answers "$1" "$2" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    echo "$1 server did not come up" >&2
    return 1
}

native=(--network-stack native --host-ipv4-addr 192.0.2.2 --gw-ipv4-addr 192.0.2.1 --netmask-ipv4-addr 255.255.255.0)
dpdk_eal="--no-huge -m 512 --no-pci --no-telemetry --log-level=error --vdev=net_tap0,iface=dtap0 --file-prefix=bench_$$"

# The server program of `workload` on `stack`, with its own options (the
# stack's options follow them).
server_cmd() { # workload stack
    local prog
    if [[ $1 == echo ]]; then
        prog=$bin/echo_server
        [[ $2 == dpdk ]] && prog+=_dpdk
        cmd=("$prog" --smp 1 --cpuset 0 --address "$(addr_of "$2")" --port "$port")
    else
        prog=$mcbin/memcached
        [[ $2 == dpdk ]] && prog+=_dpdk
        cmd=("$prog" --smp 1 --cpuset 0 -l "$(addr_of "$2")" -p "$mc_port" -U 0 -m 1024)
    fi
    case $2 in
    native) cmd+=("${native[@]}" --tap-device tap0) ;;
    dpdk) cmd+=("${native[@]}" --dpdk-pmd --dpdk-eal-args="$dpdk_eal") ;;
    esac
}

run_one() { # workload stack
    local w=$1 s=$2 pid cmd
    if [[ $s == native ]]; then
        ip tuntap add dev tap0 mode tap
        ip link set tap0 up
        ip addr add 192.0.2.1/24 dev tap0
    fi
    server_cmd "$w" "$s"
    taskset -c 0 "${cmd[@]}" >"$tmp/server.log" 2>&1 &
    pid=$!
    if [[ $s == dpdk ]]; then
        for _ in $(seq 200); do
            ip link show dtap0 >/dev/null 2>&1 && break
            sleep 0.05
        done
        ip link set dtap0 up
        ip addr add 192.0.2.1/24 dev dtap0
    fi
    if ! wait_up "$w" "$(addr_of "$s")"; then
        cat "$tmp/server.log" >&2
        kill -INT "$pid" 2>/dev/null || true
        exit 1
    fi
    if [[ $w == echo ]]; then
        taskset -c 1 "$bin/echo_load" --smp 1 --cpuset 1 --reactor-backend "$load_backend" --address "$(addr_of "$s")" \
            --port "$port" --conns "$conns" --size "$size" --duration "$secs" >>"$tmp/$w.$s"
    else
        # As tools/memcached/bench.sh runs it (its output line: ops= p50_us= p99_us= ...).
        taskset -c 1 "$mcbin/memcached_load" --smp 1 --cpuset 1 --reactor-backend "$load_backend" --address "$(addr_of "$s")" \
            --port "$mc_port" --conns "$conns" --pipeline 1 --keys "$mc_keys" --value-size "$mc_value" --get-ratio 0.9 \
            --duration "$secs" 2>/dev/null >>"$tmp/$w.$s"
    fi
    kill -INT "$pid"
    wait "$pid" || true
    ip link del tap0 2>/dev/null || true
}

stacks=(posix native dpdk)
for r in $(seq "$rounds"); do
    for w in echo memcached; do
        for s in "${stacks[@]}"; do
            run_one "$w" "$s"
        done
    done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep -o "$2=[0-9.]*" "$tmp/$1" | cut -d= -f2 | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
cpu=$(lscpu | sed -n 's/^Model name: *//p')

# One table: a row per stack, medians and ratios against posix.
table() { # workload rate-field rate-header ratio-header
    local w=$1 f=$2 posix_rate posix_p99 name rate p99
    printf '%-44s %12s %10s %10s %9s %9s\n' stack "$3" p50_us p99_us "$4" p99/posix
    posix_rate=$(field "$w.posix" "$f")
    posix_p99=$(field "$w.posix" p99_us)
    for s in "${stacks[@]}"; do
        case $s in
        posix) name="posix (kernel sockets, loopback)" ;;
        native) name="native over TAP (--network-stack native)" ;;
        dpdk) name="native over DPDK net_tap (--dpdk-pmd)" ;;
        esac
        rate=$(field "$w.$s" "$f")
        p99=$(field "$w.$s" p99_us)
        printf '%-44s %12s %10s %10s %9s %9s\n' "$name" "$rate" "$(field "$w.$s" p50_us)" "$p99" \
            "$(ratio "$rate" "$posix_rate")" "$(ratio "$p99" "$posix_p99")"
    done
}

echo
echo "echo, $conns connections, $size-byte requests, ${secs}s per run, median of $rounds rounds"
echo "server: echo_server, 1 shard on core 0; load: echo_load (POSIX stack) on core 1; CPU: $cpu"
table echo rps requests/s rps/posix

echo
echo "memcached, $mc_keys keys, $mc_value-byte values, 90% gets, $conns connections, pipeline 1, ${secs}s per run," \
    "median of $rounds rounds"
echo "server: memcached (memcached_dpdk for dpdk), 1 shard on core 0; load: memcached_load (POSIX stack) on core 1;" \
    "CPU: $cpu"
table memcached ops ops/s ops/posix
