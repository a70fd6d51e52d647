#!/bin/bash
# Starts echo_server (2 shards, each reactor backend) and epoll_echo_floor on a
# free loopback port, runs echo_load against each for a bounded number of
# requests, and checks that every request was answered.
set -euo pipefail
dir=tools/echo
server=$dir/echo_server
load=$dir/echo_load
floor=$dir/epoll_echo_floor

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

check_load() { # port
    out=$("$load" --smp 1 --port "$1" --conns 4 --size 100 --requests 400 --duration 20)
    echo "$out"
    [[ "$out" == *"requests=400 errors=0"* ]] || { echo "FAIL: load did not complete"; exit 1; }
}

for backend in epoll linux-aio io_uring; do
    port=$(free_port)
    "$server" --smp 2 --overprovisioned --reactor-backend "$backend" --port "$port" --duration 30 &
    pid=$!
    for _ in $(seq 100); do
        if "$load" --smp 1 --port "$port" --conns 1 --requests 1 --duration 1 >/dev/null 2>&1; then break; fi
        sleep 0.1
    done
    check_load "$port"
    kill -INT "$pid"
    wait "$pid"
done

port=$(free_port)
"$floor" --port "$port" --duration 30 &
pid=$!
for _ in $(seq 100); do
    if "$load" --smp 1 --port "$port" --conns 1 --requests 1 --duration 1 >/dev/null 2>&1; then break; fi
    sleep 0.1
done
check_load "$port"
kill -INT "$pid"
wait "$pid"
echo PASS
