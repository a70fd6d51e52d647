#!/bin/bash
# iotune measures a small file and writes YAML that io_tester then reads;
# io_tester runs two classes briefly on 2 shards per reactor backend and
# reports both; bad job files and missing flags fail with a message.
set -euo pipefail
iotune=tools/iotune/iotune
tester=tools/io_tester/io_tester
dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/io_tools.XXXXXX")

"$iotune" --smp 1 --evaluation-directory "$dir" --duration 0.2 --file-size 8M --properties-file "$dir/io.yaml"
grep -q "read_iops: [1-9]" "$dir/io.yaml" || { echo "FAIL: iotune wrote no read_iops"; cat "$dir/io.yaml"; exit 1; }
[ ! -e "$dir/iotune.tmp" ] || { echo "FAIL: iotune left its file"; exit 1; }

cat >"$dir/jobs.yaml" <<YAML
- name: lat
  shards: all
  type: randread
  data_size: 4MB
  shard_info:
    parallelism: 1
    reqsize: 4kB
    shares: 1000
    rps: 100
- name: batch
  shards: [0]
  type: seqwrite
  data_size: 8MB
  shard_info:
    parallelism: 2
    reqsize: 64kB
    shares: 100
YAML
for backend in epoll linux-aio io_uring; do
    out=$("$tester" --smp 2 --overprovisioned --reactor-backend "$backend" --conf "$dir/jobs.yaml" --storage "$dir" \
        --duration 0.3 --io-properties-file "$dir/io.yaml" --json "$dir/r.json")
    echo "$out"
    grep -Eq "^lat +[1-9]" <<<"$out" || { echo "FAIL: no lat row ($backend)"; exit 1; }
    grep -Eq "^batch +[1-9]" <<<"$out" || { echo "FAIL: no batch row ($backend)"; exit 1; }
    grep -q '"name": "batch"' "$dir/r.json" || { echo "FAIL: no JSON"; exit 1; }
done
if ls "$dir"/io_tester.* >/dev/null 2>&1; then echo "FAIL: io_tester left files"; exit 1; fi

# --keep-files: the files stay, and the next run reuses them as they are (the
# read-only class's marker survives) unless one is smaller than its job.
keep() { "$tester" --smp 2 --overprovisioned --conf "$dir/jobs.yaml" --storage "$dir" --duration 0.2 \
    --io-properties-file "$dir/io.yaml" "$@" >/dev/null; }
keep --keep-files 1
for f in lat.0 lat.1 batch.0; do [ -e "$dir/io_tester.$f" ] || { echo "FAIL: io_tester.$f not kept"; exit 1; }; done
printf 'MARK' | dd of="$dir/io_tester.lat.0" conv=notrunc status=none
truncate -s 1M "$dir/io_tester.lat.1"
keep --keep-files 1
[ "$(head -c 4 "$dir/io_tester.lat.0")" = MARK ] || { echo "FAIL: a kept file was laid out again"; exit 1; }
[ "$(stat -c %s "$dir/io_tester.lat.1")" = 4194304 ] || { echo "FAIL: a short kept file was not laid out"; exit 1; }
keep
[ ! -e "$dir/io_tester.lat.0" ] || { echo "FAIL: files left without --keep-files"; exit 1; }

printf -- '- name: x\n  type: trim\n' >"$dir/bad.yaml"
if "$tester" --smp 1 --conf "$dir/bad.yaml" --storage "$dir" --duration 0.1 >"$dir/err" 2>&1; then
    echo "FAIL: a bad job type was accepted"; exit 1
fi
grep -q "unsupported type 'trim'" "$dir/err" || { echo "FAIL: unclear error"; cat "$dir/err"; exit 1; }
if "$tester" --smp 1 --storage "$dir" >"$dir/err" 2>&1; then echo "FAIL: ran without --conf"; exit 1; fi
grep -q -- "--conf is required" "$dir/err" || { echo "FAIL: unclear error"; cat "$dir/err"; exit 1; }
rm -rf "$dir"
echo PASS
