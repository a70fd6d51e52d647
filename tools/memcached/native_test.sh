#!/bin/bash
# The memcached server on the native stack (--network-stack native) over a
# TAP device, inside a network namespace this test creates, with Linux's
# clients on the other side: memcstat, memccp/memccat (text and binary, a
# 200 KB value over many segments), pymemcache, a UDP request with the frame
# header, and memcached_load on the POSIX stack. Then SIGINT stops it cleanly.
# All of it on one shard, then on two.
set -euo pipefail
server=tools/memcached/memcached
load=tools/memcached/memcached_load
py=/usr/bin/python3

source tools/testing/tap_namespace.sh
source tools/memcached/client_checks.sh
tap_namespace_enter "$0" memcstat memccp memccat
tap_namespace_setup
tmp=${TEST_TMPDIR:-$(mktemp -d)}

# Everything on a server with $1 shards (with 2, shard 0 drives the TAP
# queue and forwards to shard 1 what its hash owns; keys move between the
# shards as usual).
run_server() { # shards
    timeout --foreground 250 "$server" "${NATIVE_STACK_OPTIONS[@]}" --smp "$1" -l 192.0.2.2 -p 11211 -U 11211 -m 32 >"$tmp/server.out" 2>&1 &
    pid=$!
    kill_on_exit "$pid"
    wait_until 40 timeout 10 memcstat --servers=192.0.2.2:11211 || {
        cat "$tmp/server.out"
        fail "our server never answered"
    }
    memcached_client_checks "$1 shard(s)"

    out=$(timeout 120 "$load" --smp 1 --overprovisioned --address 192.0.2.2 --port 11211 --conns 4 --pipeline 4 --keys 500 \
        --requests 2000 --duration 100)
    echo "$out"
    [[ "$out" == *"errors=0"* ]] || fail "memcached_load over the native stack ($1 shard(s))"

    stop_cleanly "$pid" "$tmp/server.out"
}

run_server 1
run_server 2
echo PASS
