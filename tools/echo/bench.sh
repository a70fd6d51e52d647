#!/bin/bash
# Echo request/response benchmark: the framework's echo_server with 1 shard
# on core 0, under each reactor backend, and the plain epoll loop
# (epoll_echo_floor) as the floor; the load (echo_load, 1 shard, io_uring) on
# core 1. Each run is short and bounded; the table shows requests/s and
# latency percentiles per server, median over ROUNDS rounds (rounds
# interleave the servers, so machine noise hits them alike).
#
#   tools/echo/bench.sh [SECONDS_PER_RUN=3] [CONNS=32] [SIZE=64] [ROUNDS=3]
#
# BENCH_BIN=DIR runs the three binaries found in DIR instead of building them
# (e.g. a copy kept from an earlier commit, for a before/after comparison).
set -euo pipefail
# The load generators run on io_uring: on this kernel it is the backend with
# which one client core out-runs the servers (docs/benchmarks.md).
load_backend=${LOAD_BACKEND:-io_uring}
cd "$(dirname "$0")/../.."
secs=${1:-3}
conns=${2:-32}
size=${3:-64}
rounds=${4:-3}
port=${BENCH_PORT:-10457}

if [[ -n ${BENCH_BIN:-} ]]; then
    bin=$BENCH_BIN
else
    bazel build --config=opt //tools/echo:echo_server //tools/echo:echo_load //tools/echo:epoll_echo_floor >/dev/null 2>&1 ||
        bazel build --config=opt //tools/echo:echo_server //tools/echo:echo_load //tools/echo:epoll_echo_floor
    bin=bazel-bin/tools/echo
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

wait_up() {
    for _ in $(seq 100); do
        if taskset -c 1 "$bin/echo_load" --smp 1 --reactor-backend "$load_backend" --port "$port" --conns 1 --requests 1 --duration 1 >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    echo "server did not come up" >&2
    return 1
}

# The previous server may hold the port for a moment after it exits (io_uring
# tears its ring down asynchronously, and a pending accept keeps the socket).
wait_port_free() {
    for _ in $(seq 100); do
        ss -Hltn "sport = :$port" | grep -q . || return 0
        sleep 0.05
    done
    echo "port $port is still in use" >&2
    return 1
}

run_one() { # name, server command...
    local name=$1
    shift
    wait_port_free || exit 1
    taskset -c 0 "$@" --port "$port" >"$tmp/server.log" 2>&1 &
    local pid=$!
    if ! wait_up; then
        cat "$tmp/server.log" >&2
        kill -INT "$pid" 2>/dev/null || true
        exit 1
    fi
    taskset -c 1 "$bin/echo_load" --smp 1 --reactor-backend "$load_backend" --port "$port" --conns "$conns" --size "$size" --duration "$secs" \
        --cpuset 1 >>"$tmp/$name"
    kill -INT "$pid"
    wait "$pid" || true
}

servers=(epoll linux-aio io_uring floor)
for r in $(seq "$rounds"); do
    for s in "${servers[@]}"; do
        if [[ $s == floor ]]; then
            run_one "$s" "$bin/epoll_echo_floor"
        else
            run_one "$s" "$bin/echo_server" --smp 1 --cpuset 0 --reactor-backend "$s"
        fi
    done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep -o "$2=[0-9.]*" "$tmp/$1" | cut -d= -f2 | median; }

echo
echo "echo, $conns connections, $size-byte requests, ${secs}s per run, median of $rounds rounds"
echo "server on core 0 (1 shard), load on core 1 (echo_load, $load_backend)"
printf '%-40s %12s %10s %10s %8s\n' server requests/s p50_us p99_us vs_floor
floor_rps=$(field floor rps)
for s in "${servers[@]}"; do
    rps=$(field "$s" rps)
    name="echo_server --reactor-backend $s"
    [[ $s == floor ]] && name="epoll_echo_floor"
    printf '%-40s %12s %10s %10s %8s\n' "$name" "$rps" "$(field "$s" p50_us)" "$(field "$s" p99_us)" \
        "$(awk -v a="$rps" -v b="$floor_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
