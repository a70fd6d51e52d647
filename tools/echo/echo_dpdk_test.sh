#!/bin/bash
# echo_server and echo_load on the native stack over DPDK (--network-stack
# native --dpdk-pmd) with DPDK's net_tap virtual device, no huge pages and no
# PCI, inside a network namespace this test creates: net_tap makes the
# kernel interface dtap0 (Linux, 192.0.2.1/24); our stack is 192.0.2.2.
# Checks ping from Linux, nc and echo_load (POSIX) from Linux to our server
# (on one shard and on two), our client to a Linux server, and DPDK's start-up errors (no huge pages
# without --no-huge, a port that does not exist, a vdev that cannot be
# created): one message, exit status 1.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
server=$dir/echo_server_dpdk
load=$dir/echo_load_dpdk
floor=$dir/epoll_echo_floor

if [[ "${1:-}" != inside ]]; then
    for tool in ip unshare nc ping timeout; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 0; }
    done
    [[ $(id -u) == 0 ]] || { echo "SKIP: needs root for a network namespace and DPDK"; exit 0; }
    exec unshare -n "$0" inside
fi

tmp=${TEST_TMPDIR:-/tmp}
prefix=echo_dpdk_$$
eal="--no-huge -m 256 --no-pci --no-telemetry --log-level=error"
one_shard=(--network-stack native --dpdk-pmd --host-ipv4-addr 192.0.2.2 --gw-ipv4-addr 192.0.2.1
    --netmask-ipv4-addr 255.255.255.0 --overprovisioned)
stack=("${one_shard[@]}" --smp 1)

ip link set lo up
fail() { echo "FAIL: $*"; exit 1; }

expect_error() { # pattern, args...
    local pattern=$1
    shift
    local out rc=0
    out=$(timeout 60 "$server" --duration 1 "$@" 2>&1) || rc=$?
    [[ $rc == 1 ]] || fail "exit $rc for $*: $out"
    [[ "$out" == *"$pattern"* ]] || fail "no '$pattern' for $*: $out"
    echo "ok: $* -> $(grep -m1 -F -e "$pattern" <<<"$out")"
}
if [[ $(awk '/HugePages_Free/ {print $2}' /proc/meminfo) == 0 ]]; then
    expect_error "DPDK EAL could not start: no usable huge pages" "${stack[@]}" \
        --dpdk-eal-args="-m 64 --no-pci --no-telemetry --vdev=net_null0 --file-prefix=${prefix}_h"
else
    echo "skipped: the no-huge-pages case (this machine has huge pages reserved)"
fi
expect_error "--dpdk-port-index 3: no such DPDK port (1 port(s)" "${stack[@]}" --dpdk-port-index 3 \
    --dpdk-eal-args="$eal --vdev=net_null0 --file-prefix=${prefix}_p"
expect_error "DPDK EAL could not start" "${stack[@]}" \
    --dpdk-eal-args="$eal --vdev=net_bogus0 --file-prefix=${prefix}_v"
expect_error "DPDK EAL could not start: bad EAL arguments" "${stack[@]}" \
    --dpdk-eal-args="$eal --no-such-eal-option --file-prefix=${prefix}_a"

# Starts our server (pid in $pid, output in $1) with the stack options that
# follow, gives Linux its end of dtap0 and waits until the server listens.
start_server() { # output file, options...
    local out=$1
    shift
    timeout --foreground 250 "$server" "$@" >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 200); do
        ip link show dtap0 >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { cat "$out"; fail "server exited"; }
        sleep 0.05
    done
    ip link set dtap0 up || { cat "$out"; fail "no dtap0"; }
    ip addr add 192.0.2.1/24 dev dtap0
    # dtap0 exists once EAL has started; the port starts after it (slowly in
    # sanitizer builds): wait for the server to say it listens.
    for _ in $(seq 600); do
        grep -q "^echo_server: [0-9]* shard" "$out" && break
        kill -0 "$pid" 2>/dev/null || { cat "$out"; fail "server exited"; }
        sleep 0.1
    done
}

# Our server on DPDK, Linux's clients.
start_server "$tmp/server.out" "${stack[@]}" --dpdk-eal-args="$eal --vdev=net_tap0,iface=dtap0 --file-prefix=${prefix}_s" \
    --address 192.0.2.2 --port 10000 --duration 200
timeout 30 ping -c 3 -i 0.2 -W 5 192.0.2.2 >/dev/null || { cat "$tmp/server.out"; fail "no ping replies"; }
echo "ok: ping from Linux got replies from our stack on DPDK"
reply=$(printf 'hello dpdk\n' | timeout 10 nc -q 2 192.0.2.2 10000) || true
[[ "$reply" == "hello dpdk" ]] || { cat "$tmp/server.out"; fail "nc got '$reply'"; }
echo "ok: nc from Linux got its line back"
out=$(timeout 120 "$load" --smp 1 --address 192.0.2.2 --port 10000 --conns 4 --size 100 --requests 400 --duration 100)
echo "$out"
[[ "$out" == *"requests=400 errors=0"* ]] || fail "load over DPDK did not complete"
kill -INT "$pid"
wait "$pid" || { rc=$?; cat "$tmp/server.out"; fail "server exit status $rc"; }
grep -q "connections" "$tmp/server.out" || fail "server did not report"
echo "ok: server on DPDK served Linux's clients and stopped cleanly"

# Two shards over the port (net_tap offers a queue per shard; Linux spreads
# flows over them by its own hash, so the stacks forward what the other
# shard owns): both shards serve.
start_server "$tmp/server2.out" "${one_shard[@]}" --smp 2 \
    --dpdk-eal-args="$eal --vdev=net_tap0,iface=dtap0 --file-prefix=${prefix}_s2" \
    --address 192.0.2.2 --port 10002 --duration 200
out=$(timeout 120 "$load" --smp 1 --address 192.0.2.2 --port 10002 --conns 16 --size 100 --requests 1600 --duration 100)
echo "$out"
[[ "$out" == *"requests=1600 errors=0"* ]] || { cat "$tmp/server2.out"; fail "load over two DPDK shards did not complete"; }
kill -INT "$pid"
wait "$pid" || { rc=$?; cat "$tmp/server2.out"; fail "server exit status $rc"; }
cat "$tmp/server2.out"
for s in 0 1; do
    grep -Eq "shard $s: [1-9][0-9]* connections" "$tmp/server2.out" || fail "shard $s served no connection"
done
echo "ok: both shards of the native stack on DPDK served Linux's clients"

# Linux's server, our client on DPDK (a new dtap0 for the client's process).
timeout --foreground 250 "$floor" --address 0.0.0.0 --port 10001 --duration 200 &
fpid=$!
timeout 150 "$load" "${stack[@]}" --dpdk-eal-args="$eal --vdev=net_tap0,iface=dtap0 --file-prefix=${prefix}_c" \
    --address 192.0.2.1 --port 10001 --conns 4 --size 100 --requests 400 --duration 100 >"$tmp/load.out" 2>&1 &
lpid=$!
for _ in $(seq 200); do
    ip link show dtap0 >/dev/null 2>&1 && break
    sleep 0.05
done
ip link set dtap0 up
ip addr add 192.0.2.1/24 dev dtap0
wait "$lpid" || { cat "$tmp/load.out"; fail "our client on DPDK failed"; }
cat "$tmp/load.out"
grep -q "requests=400 errors=0" "$tmp/load.out" || fail "our client on DPDK did not complete"
kill -INT "$fpid"
wait "$fpid" || true
echo PASS
