#!/bin/bash
# seawreck against tools/httpd (2 shards each, a free loopback port): a
# bounded run with keep-alive and pipelining, one without keep-alive, and a
# streamed (chunked) path; every request must be answered with a 2xx.
set -euo pipefail
server=tools/httpd/httpd
load=tools/seawreck/seawreck
tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$server" --smp 2 --overprovisioned --port "$port" --duration 60 >"$tmp/server.out" 2>&1 &
pid=$!
for _ in $(seq 200); do
    if curl -s --max-time 2 "http://127.0.0.1:$port/" >/dev/null 2>&1; then break; fi
    sleep 0.05
done
check() { # expected-requests args...
    local want=$1
    shift
    out=$("$load" --smp 2 --overprovisioned --port "$port" --duration 20 "$@") ||
        { echo "FAIL: seawreck $* exited with $?: $out"; exit 1; }
    echo "$out"
    # Replies to batches already in flight may come after the count is reached.
    got=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\) .*/\1/p')
    [ "${got:-0}" -ge "$want" ] || { echo "FAIL: seawreck $*: $got replies"; exit 1; }
    [[ "$out" == *" non2xx=0 errors=0"* ]] || { echo "FAIL: seawreck $*"; exit 1; }
}
check 2000 --conns 4 --pipeline 4 --requests 2000
check 200 --conns 2 --keep-alive 0 --requests 200
check 400 --conns 2 --path "/stream?n=50" --requests 400
out=$("$load" --smp 1 --overprovisioned --port "$port" --conns 2 --path /nowhere --requests 10 --duration 20) ||
    { echo "FAIL: seawreck exited with $?: $out"; exit 1; }
n=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\) non2xx=\([0-9]*\) errors=0.*/\1 \2/p')
[ -n "$n" ] && [ "${n% *}" = "${n#* }" ] && [ "${n% *}" -ge 10 ] || { echo "FAIL: non-2xx not counted: $out"; exit 1; }
kill -INT "$pid"
wait "$pid"
pid=
echo PASS
