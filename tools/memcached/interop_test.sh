#!/bin/bash
# Real clients against the server binary (2 shards, TCP and UDP on free
# loopback ports): libmemcached-tools (memcstat, memccp, memccat, memcslap;
# text and binary protocols), python3-pymemcache, and our load generator.
# Also checks that an impossible option is refused with a clear message.
set -euo pipefail
dir=tools/memcached
server=$dir/memcached
load=$dir/memcached_load
tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# An impossible option: refused, with the option named.
if "$server" --smp 1 --overprovisioned --memory-limit 0 >"$tmp/bad.out" 2>&1; then
    echo "FAIL: --memory-limit 0 was accepted"; exit 1
fi
grep -q "memory-limit" "$tmp/bad.out" || { echo "FAIL: no reason given:"; cat "$tmp/bad.out"; exit 1; }

port=$(free_port)
uport=$(free_port)
"$server" --smp 2 --overprovisioned -p "$port" -U "$uport" -m 32 -c 64 >"$tmp/server.out" 2>&1 &
pid=$!
up=0
for _ in $(seq 200); do
    if memcstat --servers="127.0.0.1:$port" >/dev/null 2>&1; then up=1; break; fi
    sleep 0.05
done
[ "$up" = 1 ] || { echo "FAIL: server did not come up"; cat "$tmp/server.out"; exit 1; }

stats=$(memcstat --servers="127.0.0.1:$port")
grep -q "version: 1.6.21" <<<"$stats" || { echo "FAIL: memcstat: $stats"; exit 1; }
grep -q "threads: 2" <<<"$stats" || { echo "FAIL: memcstat threads: $stats"; exit 1; }

# memccp / memccat, text and binary protocols.
head -c 200000 /dev/urandom >"$tmp/blob.bin"
printf 'hello from memccp\n' >"$tmp/small.txt"
for proto in "" "--binary"; do
    (cd "$tmp" && memccp $proto --servers="127.0.0.1:$port" blob.bin small.txt)
    rm -f "$tmp/blob.out"
    memccat $proto --servers="127.0.0.1:$port" --file="$tmp/blob.out" blob.bin
    cmp "$tmp/blob.bin" "$tmp/blob.out" || { echo "FAIL: memccat $proto blob"; exit 1; }
    # memccat ends what it prints with a newline of its own.
    [ "$(memccat $proto --servers="127.0.0.1:$port" small.txt)" = "hello from memccp" ] || { echo "FAIL: memccat $proto"; exit 1; }
done

# memcslap: load from several threads, text and binary.
memcslap --servers="127.0.0.1:$port" --concurrency=4 --execute-number=300 >"$tmp/slap.out" 2>&1 ||
    { echo "FAIL: memcslap"; cat "$tmp/slap.out"; exit 1; }
memcslap --binary --servers="127.0.0.1:$port" --concurrency=4 --execute-number=300 >"$tmp/slap.out" 2>&1 ||
    { echo "FAIL: memcslap --binary"; cat "$tmp/slap.out"; exit 1; }

# pymemcache: the commands a Python application uses.
/usr/bin/python3 - "$port" "$uport" <<'PY'
import socket, struct, sys
from pymemcache.client.base import Client
port, uport = int(sys.argv[1]), int(sys.argv[2])
c = Client(("127.0.0.1", port), connect_timeout=5, timeout=5)
assert c.set("py:a", b"alpha", expire=0, noreply=False)
assert c.get("py:a") == b"alpha"
assert not c.add("py:a", b"x", noreply=False)
assert c.add("py:b", b"beta", noreply=False)
assert c.replace("py:b", b"BETA", noreply=False)
assert c.append("py:b", b"!", noreply=False) and c.prepend("py:b", b"<", noreply=False)
assert c.get("py:b") == b"<BETA!"
value, cas = c.gets("py:a")
assert value == b"alpha"
assert c.cas("py:a", b"alpha2", cas, noreply=False)
assert c.cas("py:a", b"alpha3", cas, noreply=False) is False
assert c.set("py:n", b"10", noreply=False)
assert c.incr("py:n", 5) == 15 and c.decr("py:n", 100) == 0
assert c.incr("py:missing", 1) is None
many = {"py:k%d" % i: ("v%d" % i).encode() for i in range(100)}
assert c.set_many(many, noreply=False) == []
assert c.get_many(list(many)) == many
assert c.touch("py:a", 100, noreply=False)
assert c.delete("py:a", noreply=False) and c.get("py:a") is None
stats = c.stats()
assert stats[b"threads"] == 2 and stats[b"curr_items"] >= 100, stats
assert c.version() == b"1.6.21"
assert c.flush_all(noreply=False) and c.get("py:b") is None
# UDP with the frame header.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(struct.pack("!HHHH", 42, 0, 1, 0) + b"version\r\n", ("127.0.0.1", uport))
data, _ = s.recvfrom(2048)
assert data == struct.pack("!HHHH", 42, 0, 1, 0) + b"VERSION 1.6.21\r\n", data
print("pymemcache ok")
PY

# Our load generator: every request answered, no errors.
out=$("$load" --smp 1 --overprovisioned --port "$port" --conns 4 --pipeline 4 --keys 500 --requests 4000 --duration 30)
echo "$out"
[[ "$out" == *"errors=0"* ]] || { echo "FAIL: load generator"; exit 1; }

kill -INT "$pid"
wait "$pid" || { echo "FAIL: server exit status $?"; cat "$tmp/server.out"; exit 1; }
pid=
echo PASS
