#!/bin/bash
# The memcached server on the native stack over DPDK (--network-stack native
# --dpdk-pmd) with DPDK's net_tap virtual device, no huge pages and no PCI,
# inside a network namespace this test creates: net_tap makes the kernel
# interface dtap0 (Linux, 192.0.2.1/24); our stack is 192.0.2.2. Linux's
# clients on the other side, as in native_test.sh: memcstat, memccp/memccat
# (text and binary, a 200 KB value over many segments), pymemcache, a UDP
# request with the frame header, and memcached_load on the POSIX stack. Then
# SIGINT stops it with exit status 0. All of it on one shard, then on two.
set -euo pipefail
server=tools/memcached/memcached_dpdk
load=tools/memcached/memcached_load
py=/usr/bin/python3

source tools/testing/tap_namespace.sh
source tools/memcached/client_checks.sh
tap_namespace_enter "$0" memcstat memccp memccat cmp "$py"
ip link set lo up
tmp=${TEST_TMPDIR:-$(mktemp -d)}

# DPDK keeps a runtime directory per --file-prefix: unique per run, removed
# when the test ends. A failed check stops the server and shows its output.
prefix=memcached_dpdk_$$
pid=
log=
cleanup() {
    local rc=$?
    if [[ -n "$pid" ]]; then
        kill -INT "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        [[ $rc == 0 || -z "$log" ]] || { echo "--- server output:"; cat "$log"; }
    fi
    rm -rf /var/run/dpdk/"$prefix"_*
}
trap cleanup EXIT

eal="--no-huge -m 256 --no-pci --no-telemetry --log-level=error"
dpdk_stack=(--network-stack native --dpdk-pmd --host-ipv4-addr 192.0.2.2 --gw-ipv4-addr 192.0.2.1
    --netmask-ipv4-addr 255.255.255.0 --overprovisioned)

# Everything on a server with $1 shards (with 2, net_tap offers a queue per
# shard and Linux spreads flows over them by its own hash; the stacks forward
# what the other shard owns, and keys move between the shards as usual).
run_server() { # shards
    log=$tmp/server$1.out
    local out
    timeout --foreground -k 30 250 "$server" "${dpdk_stack[@]}" --smp "$1" \
        --dpdk-eal-args="$eal --vdev=net_tap0,iface=dtap0 --file-prefix=${prefix}_$1" \
        -l 192.0.2.2 -p 11211 -U 11211 -m 32 >"$log" 2>&1 &
    pid=$!
    # dtap0 exists once EAL has started; give Linux its end of it.
    for _ in $(seq 200); do
        ip link show dtap0 >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || fail "server exited"
        sleep 0.05
    done
    ip link set dtap0 up || fail "no dtap0"
    ip addr add 192.0.2.1/24 dev dtap0
    # The port starts after dtap0 appears (slowly in sanitizer builds): wait
    # for the server to say it serves, then for an answer.
    for _ in $(seq 600); do
        grep -q "^memcached: [0-9]* shard" "$log" && break
        kill -0 "$pid" 2>/dev/null || fail "server exited"
        sleep 0.1
    done
    wait_until 40 timeout 10 memcstat --servers=192.0.2.2:11211 || fail "our server never answered"
    memcached_client_checks "$1 shard(s)"

    # A bounded run: it stops after 2000 answers (a few more may be in flight).
    out=$(timeout 120 "$load" --smp 1 --overprovisioned --address 192.0.2.2 --port 11211 --conns 8 --pipeline 4 \
        --keys 500 --requests 2000 --duration 100) || fail "memcached_load over DPDK ($1 shard(s)): $out"
    echo "$out"
    [[ "$out" =~ requests=([0-9]+).*errors=0$ ]] && ((BASH_REMATCH[1] >= 2000)) ||
        fail "memcached_load over DPDK ($1 shard(s))"

    # SIGINT stops the server with exit status 0 (timeout passes the signal
    # on, and kills the server if it still runs 30 s later: status 137).
    kill -INT "$pid"
    local rc=0
    wait "$pid" || rc=$?
    pid=
    [[ $rc == 0 ]] || { cat "$log"; fail "server exit status $rc after SIGINT"; }
    echo "ok: SIGINT stopped the server on DPDK ($1 shard(s))"
}

run_server 1
run_server 2
echo PASS
