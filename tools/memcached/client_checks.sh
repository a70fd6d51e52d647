# Linux's memcached clients against our server at 192.0.2.2:11211, for the
# tests that run it on the native stack (native_test.sh over TAP,
# dpdk_test.sh over DPDK): memcstat's version, memccp/memccat of a 200 KB
# value (many segments) in text and binary, pymemcache, and one UDP request
# with the frame header. Sourced; needs fail() (tools/testing/tap_namespace.sh),
# $tmp and $py.
#
#   memcached_client_checks "1 shard(s)"
memcached_client_checks() { # label
    local label=$1 stats
    stats=$(timeout 10 memcstat --servers=192.0.2.2:11211)
    [[ "$stats" == *"version: 1.6.21"* ]] || fail "memcstat: $stats"
    echo "ok: memcstat ($label)"

    head -c 200000 /dev/urandom >"$tmp/blob.bin"
    for proto in "" "--binary"; do
        (cd "$tmp" && timeout 30 memccp $proto --servers=192.0.2.2:11211 blob.bin) || fail "memccp $proto"
        rm -f "$tmp/blob.out"
        timeout 30 memccat $proto --servers=192.0.2.2:11211 --file="$tmp/blob.out" blob.bin || fail "memccat $proto"
        cmp "$tmp/blob.bin" "$tmp/blob.out" || fail "memccat $proto: the value came back different"
        echo "ok: memccp/memccat $proto, 200000 bytes ($label)"
    done

    timeout 60 "$py" - <<'PY' || fail "pymemcache and UDP ($label)"
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
}
