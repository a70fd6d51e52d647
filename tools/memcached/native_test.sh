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
    stats=$(timeout 10 memcstat --servers=192.0.2.2:11211)
    [[ "$stats" == *"version: 1.6.21"* ]] || fail "memcstat: $stats"
    echo "ok: memcstat ($1 shard(s))"

    head -c 200000 /dev/urandom >"$tmp/blob.bin"
    for proto in "" "--binary"; do
        (cd "$tmp" && timeout 30 memccp $proto --servers=192.0.2.2:11211 blob.bin)
        rm -f "$tmp/blob.out"
        timeout 30 memccat $proto --servers=192.0.2.2:11211 --file="$tmp/blob.out" blob.bin
        cmp "$tmp/blob.bin" "$tmp/blob.out" || fail "memccat $proto: the value came back different"
        echo "ok: memccp/memccat $proto, 200000 bytes ($1 shard(s))"
    done

    timeout 60 $py - <<'PY'
import socket, struct
from pymemcache.client.base import Client
c = Client(("192.0.2.2", 11211), connect_timeout=10, timeout=10)
assert c.set("n:a", b"alpha", noreply=False)
assert c.get("n:a") == b"alpha"
value, cas = c.gets("n:a")
assert c.cas("n:a", b"alpha2", cas, noreply=False)
assert c.cas("n:a", b"alpha3", cas, noreply=False) is False
assert c.set("n:n", b"10", noreply=False) and c.incr("n:n", 5) == 15
many = {"n:k%d" % i: ("v%d" % i).encode() for i in range(100)}
assert c.set_many(many, noreply=False) == []
assert c.get_many(list(many)) == many
assert c.delete("n:a", noreply=False) and c.get("n:a") is None
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(struct.pack("!HHHH", 7, 0, 1, 0) + b"get n:k5\r\n", ("192.0.2.2", 11211))
data, _ = s.recvfrom(2048)
assert data == struct.pack("!HHHH", 7, 0, 1, 0) + b"VALUE n:k5 0 2\r\nv5\r\nEND\r\n", data
print("ok: pymemcache and UDP")
PY

    out=$(timeout 120 "$load" --smp 1 --overprovisioned --address 192.0.2.2 --port 11211 --conns 4 --pipeline 4 --keys 500 \
        --requests 2000 --duration 100)
    echo "$out"
    [[ "$out" == *"errors=0"* ]] || fail "memcached_load over the native stack ($1 shard(s))"

    stop_cleanly "$pid" "$tmp/server.out"
}

run_server 1
run_server 2
echo PASS
