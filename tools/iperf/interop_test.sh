#!/bin/bash
# Debian's iperf3 client against iperf_server: on the POSIX stack over
# loopback (forward, reverse, 3 parallel streams, a busy server, a UDP test
# it refuses), then on the native stack over a TAP device in a network
# namespace the test makes (root; that part SKIPs otherwise), both ways.
set -euo pipefail
server=tools/iperf/iperf_server
command -v iperf3 >/dev/null || { echo "SKIP: iperf3 not installed"; exit 0; }
source tools/testing/tap_namespace.sh
tmp=${TEST_TMPDIR:-$(mktemp -d)}

# Runs the iperf3 client and prints the bytes its JSON report gives under
# end.<field>.bytes: sum_sent is the sender's count, sum_received the
# receiver's (the server counts what it read before the client's TEST_END).
moved() { # field, iperf3 args...
    local field=$1
    shift
    timeout 120 iperf3 --json "$@" >"$tmp/client.json" || { cat "$tmp/client.json" >&2; fail "iperf3 $*"; }
    /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"][sys.argv[2]]["bytes"])' \
        "$tmp/client.json" "$field"
}

check_flows() { # address
    local n
    # Our server receives: the client sends 20 MiB, we read some of it before TEST_END.
    n=$(moved sum_sent -c "$1" -p 5201 -n 20M)
    ((n >= 20971520)) || fail "forward: the client sent $n bytes"
    n=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"])' \
        "$tmp/client.json")
    ((n > 0 && n <= 20971520 + 131072)) || fail "forward: our server reported $n bytes"
    echo "ok: forward, our server read $n bytes"
    # Our server sends until the client has received 20 MiB.
    n=$(moved sum_received -c "$1" -p 5201 -n 20M -R)
    ((n >= 20971520)) || fail "reverse: the client received $n bytes"
    echo "ok: reverse, the client received $n bytes"
}

if [[ "${TAP_NAMESPACE_INSIDE:-}" != 1 ]]; then
    timeout --foreground 250 "$server" --smp 1 --overprovisioned --port 5201 --tests 5 >"$tmp/posix.out" 2>&1 &
    pid=$!
    kill_on_exit "$pid"
    wait_until 50 timeout 5 bash -c '</dev/tcp/127.0.0.1/5201' || fail "server did not come up"
    check_flows 127.0.0.1
    n=$(moved sum_received -c 127.0.0.1 -p 5201 -n 30M -P 3 -R)
    ((n >= 31457280)) || fail "3 streams: $n bytes"
    echo "ok: 3 parallel streams, $n bytes"
    # While a test runs, another client is turned away, as by iperf3's own server.
    timeout 60 iperf3 -c 127.0.0.1 -p 5201 -t 3 >"$tmp/long.out" 2>&1 &
    long=$!
    sleep 1
    busy=$(timeout 20 iperf3 -c 127.0.0.1 -p 5201 -t 1 2>&1) && fail "a second client was served: $busy"
    [[ "$busy" == *busy* ]] || fail "no 'busy' for the second client: $busy"
    echo "ok: a second client during a test: $(grep -m1 busy <<<"$busy")"
    wait "$long" || { cat "$tmp/long.out"; fail "the long test"; }
    # A UDP test is refused, and the server goes on to the next test.
    timeout 20 iperf3 -c 127.0.0.1 -p 5201 -u -t 1 >"$tmp/udp.out" 2>&1 && fail "a UDP test was accepted"
    wait "$pid" || fail "server exit status $?"
    grep -q "unsupported test (udp true" "$tmp/posix.out" || fail "no reason logged for the UDP test"
    echo "ok: UDP refused"
    cat "$tmp/posix.out"
fi

tap_namespace_enter "$0"
tap_namespace_setup
timeout --foreground 250 "$server" "${NATIVE_STACK[@]}" --address 192.0.2.2 --port 5201 --tests 2 >"$tmp/native.out" 2>&1 &
pid=$!
kill_on_exit "$pid"
wait_until 40 timeout 5 bash -c '</dev/tcp/192.0.2.2/5201' || {
    cat "$tmp/native.out"
    fail "server on the native stack did not come up"
}
check_flows 192.0.2.2
wait "$pid" || fail "server exit status $?"
cat "$tmp/native.out"
echo PASS
