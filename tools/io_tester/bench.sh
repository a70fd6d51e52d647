#!/bin/bash
# Disk benchmark, one script run:
#  1. beside fio with the same parameters (1 GiB file, O_DIRECT, 1 shard / 1 job,
#     pinned to core 0): 4 KiB random read at queue depth 32 and 128 KiB
#     sequential write at queue depth 8, on each I/O path (io_uring, linux-aio);
#     ours / fio as a ratio. Ours is io_tester with the default disk model,
#     as it runs by default (idle polling 200 us) and not polling when idle
#     (--idle-poll-time-us 0: it sleeps in the kernel as fio does between
#     completions; on this kind of virtual machine a spinning vCPU slows the
#     virtual disk, docs/benchmarks.md).
#  2. io_tester with the model iotune measured: a latency class (4 KiB random
#     reads at 200/s) alone and next to a saturating batch class (128 KiB
#     sequential writes, 8 in parallel): its p99 both ways (these runs last
#     at least 10 s, whatever SECONDS says);
#     and, as a reference for what the machine allows, the same two loads
#     through fio (no scheduler: both in the kernel's queue at once);
#  3. two saturating batch classes (16 writes outstanding each) with shares
#     100 and 400: their bandwidth split.
# Rounds interleave fio and ours so machine noise hits both alike; the table
# shows medians. fio and ours read and write the same files (io_tester lays
# them out once and keeps them): where a file's blocks lie moved fio's own
# write bandwidth by 20% here.
#
#   tools/io_tester/bench.sh [DIR=$TMPDIR] [SECONDS=5] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${1:-${TMPDIR:-/tmp}}
secs=${2:-5}
# The latency class's p99 needs enough reads (200/s) to be more than a few of
# this machine's pauses: its runs last at least 10 s.
lat_secs=$((secs > 10 ? secs : 10))
rounds=${3:-3}

bazel build --config=opt //tools/io_tester //tools/iotune >/dev/null 2>&1 ||
    bazel build --config=opt //tools/io_tester //tools/iotune
bin=$(mktemp -d)
cp bazel-bin/tools/io_tester/io_tester bazel-bin/tools/iotune/iotune "$bin/"
dir=$(mktemp -d "$base/io_bench.XXXXXX")
trap 'rm -rf "$dir" "$bin"' EXIT
command -v fio >/dev/null || { echo "fio is missing (tools/setup installs it)"; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# fio: prints IOPS for reads, bytes/s for writes.
run_fio() { # engine rw bs depth
    local out
    out=$(taskset -c 0 fio --name=job --filename="$dir/io_tester.job.0" --size=1G --direct=1 --ioengine="$1" --rw="$2" \
        --bs="$3" --iodepth="$4" --numjobs=1 --time_based --runtime="$secs" --ramp_time=1 --output-format=json)
    python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; r=sys.argv[1]
print(j["read"]["iops"] if r=="randread" else j["write"]["bw_bytes"])' "$2" <<<"$out"
}

# ours: the same through io_tester (1 shard), on the file it kept.
run_ours() { # backend type reqsize parallelism [io_tester options]
    cat >"$dir/job.yaml" <<YAML
- name: job
  shards: all
  type: $2
  data_size: 1GB
  shard_info:
    parallelism: $4
    reqsize: $3
    shares: 100
YAML
    local out
    out=$(taskset -c 0 "$bin/io_tester" --smp 1 --reactor-backend "$1" --conf "$dir/job.yaml" --storage "$dir" \
        --duration "$secs" --keep-files 1 --json "$dir/r.json" "${@:5}" 2>/dev/null)
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["classes"][0]
print(c["iops"] if sys.argv[2]=="randread" else c["mb_per_s"]*1e6)' "$dir/r.json" "$2"
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p')"
echo "file system: $(df -T "$dir" | awk 'NR==2 {print $2, $1}')"
# io_tester lays out the file (io_tester.job.0) that both then use.
run_ours io_uring seqwrite 128kB 1 >/dev/null

printf "\n%-10s %-28s %10s %10s %7s %16s %7s\n" path test fio ours ratio "ours, no spin" ratio
for engine in io_uring linux-aio; do
    fio_engine=$([ "$engine" = io_uring ] && echo io_uring || echo libaio)
    for t in "randread 4k 4kB 32" "write 128k 128kB 8"; do
        set -- $t
        ftype=$1
        otype=$([ "$1" = write ] && echo seqwrite || echo randread)
        f=() o=() z=()
        for _ in $(seq "$rounds"); do
            f+=("$(run_fio "$fio_engine" "$1" "$2" "$4")")
            o+=("$(run_ours "$engine" "$otype" "$3" "$4")")
            z+=("$(run_ours "$engine" "$otype" "$3" "$4" --idle-poll-time-us 0)")
        done
        fm=$(printf "%s\n" "${f[@]}" | median)
        om=$(printf "%s\n" "${o[@]}" | median)
        zm=$(printf "%s\n" "${z[@]}" | median)
        ratio() { awk -v a="$1" -v b="$fm" 'BEGIN {printf "%.2f", a / b}'; }
        if [ "$ftype" = randread ]; then
            label="4k randread QD$4 (IOPS)" scale=1 fmt=%.0f
        else
            label="128k seq write QD$4 (MB/s)" scale=1e6 fmt=%.1f
        fi
        shown() { awk -v a="$1" -v s="$scale" -v f="$fmt" 'BEGIN {printf f, a / s}'; }
        printf "%-10s %-28s %10s %10s %7s %16s %7s\n" "$engine" "$label" "$(shown "$fm")" "$(shown "$om")" \
            "$(ratio "$om")" "$(shown "$zm")" "$(ratio "$zm")"
    done
done
rm -f "$dir/io_tester.job.0"

"$bin/iotune" --smp 1 --evaluation-directory "$dir" --duration "$secs" --file-size 1G --properties-file "$dir/io.yaml" 2>/dev/null
echo
echo "iotune model:"
sed 's/^/    /' "$dir/io.yaml"

tester() { # job file [seconds] -> JSON path
    taskset -c 0 "$bin/io_tester" --smp 1 --conf "$1" --storage "$dir" --duration "${2:-$secs}" \
        --io-properties-file "$dir/io.yaml" --keep-files 1 --json "$dir/r.json" >/dev/null 2>&1
}
lat_job='- name: lat
  shards: all
  type: randread
  data_size: 256MB
  shard_info:
    parallelism: 1
    reqsize: 4kB
    shares: 1000
    rps: 200'
batch_job() { # name shares parallelism
    printf -- '- name: %s\n  shards: all\n  type: seqwrite\n  data_size: 512MB\n  shard_info:\n    parallelism: %s\n    reqsize: 128kB\n    shares: %s\n' "$1" "$3" "$2"
}
echo "$lat_job" >"$dir/idle.yaml"
{ echo "$lat_job"; batch_job batch 100 8; } >"$dir/loaded.yaml"
# Shares divide only what waits in the queue: each class keeps 16 writes
# outstanding, more than the kernel's share (the in-flight capacity, about
# 6 such writes at the default 0.75 ms latency goal), so both stay backlogged.
{ batch_job b100 100 16; batch_job b400 400 16; } >"$dir/split.yaml"
get() { python3 -c 'import json,sys; cs={c["name"]: c for c in json.load(open(sys.argv[1]))["classes"]}; print(cs[sys.argv[2]][sys.argv[3]])' "$dir/r.json" "$@"; }
# fio's p99 of the latency class (us), alone or beside the batch class.
fio_lat() { # [batch]
    local extra=()
    [ $# -eq 0 ] || extra=(--name=batch --filename="$dir/io_tester.batch.0" --size=512M --rw=write --bs=128k --iodepth=8)
    taskset -c 0 fio --direct=1 --ioengine=io_uring --time_based --runtime="$lat_secs" --output-format=json \
        --name=lat --filename="$dir/io_tester.lat.0" --size=256M --rw=randread --bs=4k --iodepth=1 --rate_iops=200 \
        "${extra[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["read"]["clat_ns"]["percentile"]["99.000000"] / 1e3)'
}
# io_tester lays out the latency and batch classes' files, which fio then uses too.
tester "$dir/loaded.yaml" 0.1
idle=() loaded=() split=() fidle=() floaded=()
for _ in $(seq "$rounds"); do
    fidle+=("$(fio_lat)")
    floaded+=("$(fio_lat batch)")
    tester "$dir/idle.yaml" "$lat_secs" && idle+=("$(get lat p99_us)")
    tester "$dir/loaded.yaml" "$lat_secs" && loaded+=("$(get lat p99_us)")
    tester "$dir/split.yaml" && split+=("$(python3 -c 'import sys; print(float(sys.argv[2]) / float(sys.argv[1]))' "$(get b100 mb_per_s)" "$(get b400 mb_per_s)")")
done
im=$(printf "%s\n" "${idle[@]}" | median)
lm=$(printf "%s\n" "${loaded[@]}" | median)
sm=$(printf "%s\n" "${split[@]}" | median)
fim=$(printf "%s\n" "${fidle[@]}" | median)
flm=$(printf "%s\n" "${floaded[@]}" | median)
echo
printf "latency class p99: idle %s us, beside the batch class %s us (x%.2f)\n" "$im" "$lm" "$(awk -v a="$lm" -v b="$im" 'BEGIN {print a / b}')"
printf "  the same through fio: idle %.0f us, beside the batch class %.0f us (x%.2f)\n" "$fim" "$flm" "$(awk -v a="$flm" -v b="$fim" 'BEGIN {print a / b}')"
printf "batch classes with shares 100:400: bandwidth ratio 1:%.2f\n" "$sm"
