#!/bin/bash
# memcached side by side: our server (1 shard, default reactor backend) and
# Debian's memcached (-t 1), each pinned to core 0, loaded from core 1 by the
# same clients: memcached_load (1 shard on io_uring, pipelining depth PIPELINE) and
# memcaslap (1 thread). Same key space (10000 keys), 32-byte values, 90% gets.
# Rounds interleave the servers so machine noise hits them alike; the table
# shows medians and our/Debian ratios, and each server's CPU time per request
# under memcached_load (utime + stime from /proc, so a server that is not the
# bottleneck still shows what a request costs it; ours polls 200 us before
# sleeping, which this counts against it).
#
#   tools/memcached/bench.sh [SECONDS_PER_RUN=5] [CONNS=32] [PIPELINE=1] [ROUNDS=3]
set -euo pipefail
# The load generators run on io_uring: on this kernel it is the backend with
# which one client core out-runs the servers (docs/benchmarks.md).
load_backend=${LOAD_BACKEND:-io_uring}
cd "$(dirname "$0")/../.."
secs=${1:-5}
conns=${2:-32}
pipeline=${3:-1}
rounds=${4:-3}
port=${BENCH_PORT:-11411}
keys=10000
value=32

bazel build --config=opt //tools/memcached:memcached //tools/memcached:memcached_load >/dev/null 2>&1 ||
    bazel build --config=opt //tools/memcached:memcached //tools/memcached:memcached_load
bin=bazel-bin/tools/memcached
command -v memcached >/dev/null || { echo "Debian's memcached is missing (tools/setup installs it)" >&2; exit 1; }
command -v memcaslap >/dev/null || { echo "memcaslap is missing (libmemcached-tools)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

wait_port_free() {
    for _ in $(seq 100); do
        ss -Hltn "sport = :$port" | grep -q . || return 0
        sleep 0.05
    done
    echo "port $port is still in use" >&2
    return 1
}

wait_up() {
    for _ in $(seq 100); do
        if memcstat --servers="127.0.0.1:$port" >/dev/null 2>&1; then return 0; fi
        sleep 0.05
    done
    echo "server did not come up" >&2
    return 1
}

start_server() { # name
    wait_port_free || exit 1
    if [[ $1 == ours ]]; then
        taskset -c 0 "$bin/memcached" --smp 1 --cpuset 0 -p "$port" -m 1024 >"$tmp/server.log" 2>&1 &
    else
        taskset -c 0 memcached -t 1 -p "$port" -U 0 -l 127.0.0.1 -m 1024 -u "$(id -un)" >"$tmp/server.log" 2>&1 &
    fi
    server_pid=$!
    wait_up || { cat "$tmp/server.log" >&2; kill "$server_pid" 2>/dev/null; exit 1; }
}

stop_server() {
    kill -INT "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for r in $(seq "$rounds"); do
    for s in ours debian; do
        start_server "$s"
        t0=$(cpu_ticks "$server_pid")
        out=$(taskset -c 1 "$bin/memcached_load" --smp 1 --cpuset 1 --reactor-backend "$load_backend" --port "$port" \
            --conns "$conns" --pipeline "$pipeline" --keys "$keys" --value-size "$value" --get-ratio 0.9 \
            --duration "$secs" 2>/dev/null | tail -1)
        t1=$(cpu_ticks "$server_pid")
        reqs=$(grep -o 'requests=[0-9]*' <<<"$out" | cut -d= -f2)
        cpu_us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="${reqs:-0}" \
            'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')
        echo "$out cpu_us=$cpu_us" >>"$tmp/$s.load"
        stop_server
        start_server "$s"
        # memcaslap: one thread, the same connections, value size and get share (its default set share is 0.1).
        taskset -c 1 memcaslap -s "127.0.0.1:$port" -T 1 -c "$conns" -X "$value" -t "${secs}s" 2>&1 |
            grep -o 'TPS: [0-9]*' | tail -1 | sed 's/TPS: /tps=/' >>"$tmp/$s.slap"
        stop_server
    done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep -o "$2=[0-9.]*" "$tmp/$1" | cut -d= -f2 | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo
echo "memcached, $keys keys, ${value}-byte values, 90% gets, $conns connections, ${secs}s per run, median of $rounds rounds"
echo "server pinned to core 0 (1 shard / -t 1), client pinned to core 1; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
printf '%-34s %14s %10s %10s %12s %10s\n' client ours_ops/s ours_p99 debian_ops debian_p99 ours/debian
ol=$(field ours.load ops)
dl=$(field debian.load ops)
printf '%-34s %14s %10s %10s %12s %10s\n' "memcached_load (pipeline $pipeline)" "$ol" "$(field ours.load p99_us)" "$dl" \
    "$(field debian.load p99_us)" "$(ratio "$ol" "$dl")"
os=$(field ours.slap tps)
ds=$(field debian.slap tps)
printf '%-34s %14s %10s %10s %12s %10s\n' "memcaslap (1 thread)" "$os" "-" "$ds" "-" "$(ratio "$os" "$ds")"
oc=$(field ours.load cpu_us)
dc=$(field debian.load cpu_us)
echo
echo "server CPU time per request under memcached_load: ours ${oc} us, Debian ${dc} us;" \
    "requests per CPU-second, ours/Debian: $(ratio "$dc" "$oc")"
