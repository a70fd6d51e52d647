#!/bin/bash
# Runs memory_limit_program with a small -m on two shards and checks what each shard saw.
#   memory_limit_test.sh PROGRAM shard|system
# shard: malloc/new are the shard allocator; each shard's slice is half of -m, its
# reclaimer ran, then operator new threw std::bad_alloc before the slice was exceeded, and
# the shard could allocate again after freeing. system (sanitizer builds): malloc/new are
# the system allocator, so -m bounds nothing and no bad_alloc is expected.
set -euo pipefail
program=$1
expect=$2

out=$("$program" --smp 2 --overprovisioned -m 64M --block-kb 256)
echo "$out"
for shard in 0 1; do
    line=$(grep "^shard=$shard " <<<"$out") || { echo "FAIL: no line for shard $shard"; exit 1; }
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    [[ "$(field allocator)" == "$expect" ]] || { echo "FAIL: shard $shard: allocator is not $expect"; exit 1; }
    slice=$(field slice)
    (( slice == 32 * 1024 * 1024 )) || { echo "FAIL: shard $shard: slice $slice, want 32 MiB (64M / 2)"; exit 1; }
    [[ "$(field after_free)" == ok ]] || { echo "FAIL: shard $shard: could not allocate after freeing"; exit 1; }
    if [[ "$expect" == shard ]]; then
        [[ "$(field bad_alloc)" == yes ]] || { echo "FAIL: shard $shard: no std::bad_alloc"; exit 1; }
        (( $(field allocated) < slice )) || { echo "FAIL: shard $shard: allocated beyond its slice"; exit 1; }
        (( $(field reclaimer_calls) >= 1 )) || { echo "FAIL: shard $shard: the reclaimer did not run"; exit 1; }
    else
        [[ "$(field bad_alloc)" == no ]] || { echo "FAIL: shard $shard: bad_alloc under the system allocator"; exit 1; }
    fi
done

# A slice below one page per shard is a clear start-up error, exit code 1.
if err=$("$program" --smp 2 --overprovisioned -m 4K 2>&1); then
    echo "FAIL: -m 4K with 2 shards started"; exit 1
fi
[[ "$err" == *"could not start"*"memory"* ]] || { echo "FAIL: unclear error for -m 4K: $err"; exit 1; }
echo PASS
