#!/bin/bash
# httpd side by side: our httpd (1 shard, default reactor backend) and
# Debian's nginx (1 worker), each pinned to core 0, serving the same small
# response ("hello", text/plain, keep-alive), loaded from core 1 by the same
# clients: seawreck (1 shard; pipelining depth 1 and PIPELINE) and wrk
# (1 thread). Rounds interleave the servers so machine noise hits them
# alike; the table shows medians of requests/s and p99, and ours/nginx ratios.
#
#   tools/httpd/bench.sh [SECONDS_PER_RUN=5] [CONNS=32] [PIPELINE=8] [ROUNDS=3]
set -euo pipefail
# The load generators run on io_uring: on this kernel it is the backend with
# which one client core out-runs the servers (docs/benchmarks.md).
load_backend=${LOAD_BACKEND:-io_uring}
cd "$(dirname "$0")/../.."
secs=${1:-5}
conns=${2:-32}
pipeline=${3:-8}
rounds=${4:-3}
port=${BENCH_PORT:-10480}

bazel build --config=opt //tools/httpd:httpd //tools/seawreck:seawreck >/dev/null 2>&1 ||
    bazel build --config=opt //tools/httpd:httpd //tools/seawreck:seawreck
httpd=bazel-bin/tools/httpd/httpd
seawreck=bazel-bin/tools/seawreck/seawreck
command -v nginx >/dev/null || { echo "nginx is missing (tools/setup installs nginx-light)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (tools/setup installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

cat >"$tmp/nginx.conf" <<CONF
user root;
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    server {
        listen 127.0.0.1:$port backlog=1024;
        location / { default_type text/plain; return 200 "hello"; }
    }
}
CONF

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
        if [ "$(curl -s --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null)" = hello ]; then return 0; fi
        sleep 0.05
    done
    echo "server did not come up" >&2
    return 1
}

start_server() { # name
    wait_port_free || exit 1
    if [[ $1 == ours ]]; then
        taskset -c 0 "$httpd" --smp 1 --cpuset 0 --port "$port" >"$tmp/server.log" 2>&1 &
    else
        taskset -c 0 nginx -c "$tmp/nginx.conf" -p "$tmp" >"$tmp/server.log" 2>&1 &
    fi
    server_pid=$!
    wait_up || { cat "$tmp/server.log" >&2; exit 1; }
}

stop_server() {
    kill -INT "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# wrk's "99%  1.23ms" as microseconds.
wrk_p99_us() {
    awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
         m = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : 0; printf "%.1f", v * m }'
}

for r in $(seq "$rounds"); do
    for s in ours nginx; do
        start_server "$s"
        taskset -c 1 "$seawreck" --smp 1 --cpuset 1 --reactor-backend "$load_backend" --port "$port" --conns "$conns" \
            --pipeline 1 --duration "$secs" 2>/dev/null >>"$tmp/$s.wreck1"
        taskset -c 1 "$seawreck" --smp 1 --cpuset 1 --reactor-backend "$load_backend" --port "$port" --conns "$conns" \
            --pipeline "$pipeline" --duration "$secs" 2>/dev/null >>"$tmp/$s.wreckp"
        out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/")
        echo "rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}') p99_us=$(echo "$out" | wrk_p99_us)" \
            >>"$tmp/$s.wrk"
        stop_server
    done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep -o "$2=[0-9.]*" "$tmp/$1" | cut -d= -f2 | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo
echo "httpd vs nginx, \"hello\" (text/plain), $conns connections, ${secs}s per run, median of $rounds rounds"
echo "server pinned to core 0 (1 shard / 1 worker), client pinned to core 1; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
printf '%-26s %12s %10s %12s %10s %11s %11s\n' client ours_req/s ours_p99 nginx_req/s nginx_p99 req/s_ratio p99_ratio
for row in "wreck1:seawreck (pipeline 1)" "wreckp:seawreck (pipeline $pipeline)" "wrk:wrk (1 thread)"; do
    f=${row%%:*}
    name=${row#*:}
    o=$(field "ours.$f" rps)
    n=$(field "nginx.$f" rps)
    op=$(field "ours.$f" p99_us)
    np=$(field "nginx.$f" p99_us)
    printf '%-26s %12.0f %10s %12.0f %10s %11s %11s\n' "$name" "$o" "$op" "$n" "$np" "$(ratio "$o" "$n")" \
        "$(ratio "$op" "$np")"
done
