#!/bin/bash
# echo_server and echo_load on the native stack (--network-stack native) over
# a TAP device, with Linux's own stack at the other end, inside a network
# namespace this test creates: Linux is tap0 = 192.0.2.1/24, our stack
# 192.0.2.2. Checks that Linux's clients reach our server (nc, echo_load on
# the POSIX stack), on one shard and on two, that our client reaches a Linux
# server from one and from two shards, and that bad stack options stop a
# program with one message and a non-zero exit.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
server=$dir/echo_server
load=$dir/echo_load
floor=$dir/epoll_echo_floor

source tools/testing/tap_namespace.sh
tap_namespace_enter "$0" nc
tap_namespace_setup
stack=("${NATIVE_STACK_OPTIONS[@]}")
native=("${NATIVE_STACK[@]}")

# Bad options: one line naming the cause, exit status 1, nothing started.
expect_error() { # pattern, args...
    local pattern=$1
    shift
    local out rc=0
    out=$(timeout 20 "$server" --duration 1 "$@" 2>&1) || rc=$?
    [[ $rc == 1 ]] || fail "exit $rc for $*: $out"
    [[ "$out" == *"$pattern"* ]] || fail "no '$pattern' for $*: $out"
    echo "ok: $* -> $(grep -m1 -F -e "$pattern" <<<"$out")"
}
expect_error "unknown network stack 'bogus' (available: native, posix)" --network-stack bogus
expect_error "--host-ipv4-addr: not an IPv4 address" --network-stack native --host-ipv4-addr 192.0.2.300
expect_error "--netmask-ipv4-addr: not a netmask" --network-stack native --netmask-ipv4-addr 255.0.255.0

# Our server, Linux's clients.
timeout --foreground 250 "$server" "${native[@]}" --address 192.0.2.2 --port 10000 --duration 200 >"$TEST_TMPDIR/server.out" 2>&1 &
pid=$!
kill_on_exit "$pid"
up=0
wait_until 40 timeout 10 "$load" --smp 1 --address 192.0.2.2 --port 10000 --conns 1 --requests 1 --duration 5 && up=1
[[ $up == 1 ]] || { cat "$TEST_TMPDIR/server.out"; fail "our server never answered"; }
reply=$(printf 'hello native\n' | timeout 10 nc -q 2 192.0.2.2 10000) || true
[[ "$reply" == "hello native" ]] || fail "nc got '$reply'"
echo "ok: nc from Linux got its line back"
out=$(timeout 120 "$load" --smp 1 --address 192.0.2.2 --port 10000 --conns 4 --size 100 --requests 400 --duration 100)
echo "$out"
[[ "$out" == *"requests=400 errors=0"* ]] || fail "load over the native stack did not complete"
stop_cleanly "$pid" "$TEST_TMPDIR/server.out"
grep -q "connections" "$TEST_TMPDIR/server.out" || fail "server did not report"
echo "ok: server on the native stack served Linux's clients and stopped cleanly"

# Two shards over the one TAP queue: shard 0 receives every frame and
# forwards to shard 1 the connections whose hash it owns; both serve.
timeout --foreground 250 "$server" "${stack[@]}" --smp 2 --address 192.0.2.2 --port 10002 --duration 200 >"$TEST_TMPDIR/server2.out" 2>&1 &
pid=$!
kill_on_exit "$pid"
up=0
wait_until 40 timeout 10 "$load" --smp 1 --address 192.0.2.2 --port 10002 --conns 1 --requests 1 --duration 5 && up=1
[[ $up == 1 ]] || { cat "$TEST_TMPDIR/server2.out"; fail "our two-shard server never answered"; }
out=$(timeout 120 "$load" --smp 1 --address 192.0.2.2 --port 10002 --conns 16 --size 100 --requests 1600 --duration 100)
echo "$out"
[[ "$out" == *"requests=1600 errors=0"* ]] || fail "load over the two-shard native stack did not complete"
stop_cleanly "$pid" "$TEST_TMPDIR/server2.out"
cat "$TEST_TMPDIR/server2.out"
for s in 0 1; do
    grep -Eq "shard $s: [1-9][0-9]* connections" "$TEST_TMPDIR/server2.out" || fail "shard $s served no connection"
done
echo "ok: both shards of the native stack served Linux's clients"

# Linux's server, our client on the native stack.
timeout --foreground 250 "$floor" --address 192.0.2.1 --port 10001 --duration 200 &
fpid=$!
sleep 0.2
out=$(timeout 120 "$load" "${native[@]}" --address 192.0.2.1 --port 10001 --conns 4 --size 100 --requests 400 --duration 100)
echo "$out"
[[ "$out" == *"requests=400 errors=0"* ]] || fail "our client on the native stack did not complete"
# ... and from two shards (echo_load spreads its connections: shard 1's leave
# through shard 0's queue, and connect() picks ports whose answers hash back
# to the calling shard, so shard 0 forwards them there).
out=$(timeout 120 "$load" "${stack[@]}" --smp 2 --address 192.0.2.1 --port 10001 --conns 8 --size 100 --requests 800 --duration 100)
echo "$out"
[[ "$out" == *"requests=800 errors=0"* ]] || fail "our two-shard client on the native stack did not complete"
kill -INT "$fpid"
wait "$fpid" || true
echo PASS
