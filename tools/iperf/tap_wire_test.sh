#!/bin/bash
# tap_wire between two network namespaces this test creates (the test's own,
# holding wa0 = 198.51.100.1, and a child's, holding wb0 = 198.51.100.2):
# ping crosses; a TCP transfer of 2 MB each way arrives intact, clean and
# with 2% of frames dropped each way (Linux leaves L4 checksums partial on
# the TAPs: the wire completes them, or nothing would arrive); the wire
# reports what it dropped; bad options stop it with one message.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
wire=$dir/tap_wire

source tools/testing/tap_namespace.sh
tap_namespace_enter "$0" nc nsenter sha256sum head
ip link set lo up

out=$(timeout 30 "$wire" --drop 1.5 2>&1) && fail "--drop 1.5 accepted: $out"
[[ "$out" == *"a share of frames must be in [0, 1), not 1.5"* ]] || fail "no message for --drop 1.5: $out"
echo "ok: --drop 1.5 -> $(grep -m1 -F "a share of frames" <<<"$out")"

# The peer namespace: a child that sleeps until the test ends.
unshare -n sleep 300 &
peer=$!
trap 'kill $peer 2>/dev/null || true' EXIT
in_peer() { nsenter -t "$peer" -n "$@"; }
sleep 0.2
in_peer ip link set lo up

dd if=/dev/urandom of="$TEST_TMPDIR/a.bin" bs=1M count=2 status=none
dd if=/dev/urandom of="$TEST_TMPDIR/b.bin" bs=1M count=2 status=none
sum() { sha256sum <"$1" | cut -d' ' -f1; }

run_wire() { # drop share
    timeout --foreground 200 "$wire" --tap-a wa0 --tap-b wb0 --drop "$1" --seed 7 >"$TEST_TMPDIR/wire.out" 2>&1 &
    wpid=$!
    trap 'kill $peer $wpid 2>/dev/null || true' EXIT
    wait_until 100 ip link show wb0 || { cat "$TEST_TMPDIR/wire.out"; fail "no wb0"; }
    ip link set wb0 netns "$peer"
    ip addr add 198.51.100.1/24 dev wa0
    ip link set wa0 up
    in_peer ip addr add 198.51.100.2/24 dev wb0
    in_peer ip link set wb0 up
    timeout 30 ping -c 3 -i 0.2 -W 5 198.51.100.2 >/dev/null || { cat "$TEST_TMPDIR/wire.out"; fail "no ping across the wire"; }
    # a -> b, then b -> a, one connection each.
    (in_peer timeout 120 nc -l 198.51.100.2 5500 >"$TEST_TMPDIR/got_b") &
    local lpid=$!
    sleep 0.5
    timeout 120 nc -N 198.51.100.2 5500 <"$TEST_TMPDIR/a.bin" || fail "nc a -> b failed"
    wait "$lpid" || fail "nc server a -> b failed"
    (in_peer timeout 120 nc -l -N 198.51.100.2 5501 <"$TEST_TMPDIR/b.bin") &
    lpid=$!
    sleep 0.5
    timeout 120 nc -d 198.51.100.2 5501 >"$TEST_TMPDIR/got_a" || fail "nc b -> a failed"
    wait "$lpid" || fail "nc server b -> a failed"
    [[ $(sum "$TEST_TMPDIR/got_b") == $(sum "$TEST_TMPDIR/a.bin") ]] || fail "a->b bytes differ (drop $1)"
    [[ $(sum "$TEST_TMPDIR/got_a") == $(sum "$TEST_TMPDIR/b.bin") ]] || fail "b->a bytes differ (drop $1)"
    stop_cleanly "$wpid" "$TEST_TMPDIR/wire.out"
    cat "$TEST_TMPDIR/wire.out"
}

run_wire 0
grep -q "a->b [1-9][0-9]* frames (0 dropped), b->a [1-9][0-9]* frames (0 dropped)" "$TEST_TMPDIR/wire.out" ||
    fail "the clean wire dropped or carried nothing"
echo "ok: ping and 2 MB each way over a clean wire"

run_wire 0.02
grep -q "a->b [1-9][0-9]* frames ([1-9][0-9]* dropped), b->a [1-9][0-9]* frames ([1-9][0-9]* dropped)" \
    "$TEST_TMPDIR/wire.out" || fail "the wire with 2% loss dropped nothing"
echo "ok: 2 MB each way intact through 2% loss each way"
echo PASS
