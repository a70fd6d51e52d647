#!/bin/bash
# The example on two shards (overprovisioned: the machine is shared) prints the
# sum of every shard's increments and ticks; bad options are refused.
set -euo pipefail
bin=examples/sharded_counter/sharded_counter
out=$(timeout 60 "$bin" --smp 2 --overprovisioned -m 128M --increments 500 --ticks 2)
echo "$out"
grep -qx "shards 2 total 1000 ticks 4" <<<"$out"
if timeout 60 "$bin" --smp 2 --overprovisioned --increments not-a-number >/dev/null 2>&1; then
    echo "a bad --increments was accepted" >&2
    exit 1
fi
echo PASS
