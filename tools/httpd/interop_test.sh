#!/bin/bash
# Real clients against the httpd binary (2 shards, free loopback ports):
# curl (keep-alive reuse, chunked upload, 100-continue, HEAD, files, TLS),
# Python's http.client (keep-alive, chunked both ways, HEAD, bad input), and
# ab and wrk smoke runs (bounded by request count / duration).
set -euo pipefail
server=tools/httpd/httpd
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in "$tmp"/*.out; do echo "--- $f"; grep -v '^ *#\|Reactor stalled' "$f" | tail -20; done
    exit 1
}
py=/usr/bin/python3

free_port() {
    $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_up() { # url [curl options]
    for _ in $(seq 200); do
        if curl -sk --max-time 2 "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.05
    done
    return 1
}

mkdir -p "$tmp/www/sub"
printf '<h1>index</h1>\n' >"$tmp/www/index.html"
printf 'sub index\n' >"$tmp/www/sub/index.html"
head -c 300000 /dev/urandom >"$tmp/www/blob.bin"
printf 'secret\n' >"$tmp/secret.txt"

port=$(free_port)
"$server" --smp 2 --overprovisioned --port "$port" --dir "$tmp/www" --duration 120 >"$tmp/server.out" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$port"
wait_up "$base/" || { cat "$tmp/server.out"; fail "server did not come up"; }

# --- curl ---
[ "$(curl -s "$base/")" = "hello" ] || fail "GET /"
headers=$(curl -sI "$base/")
grep -qi '^content-length: 5' <<<"$headers" || fail "HEAD: $headers"
grep -qi '^server: Seastar httpd' <<<"$headers" || fail "Server header: $headers"
grep -qi '^date: .* GMT' <<<"$headers" || fail "Date header: $headers"
# Keep-alive: two URLs, one connection.
out=$(curl -sv "$base/" "$base/json" 2>&1)
grep -q "Re-using existing connection" <<<"$out" || fail "curl did not reuse the connection: $out"
grep -q '"hello": "world"' <<<"$out" || fail "GET /json: $out"
# Chunked upload, and 100-continue (curl waits for the interim reply).
head -c 100000 /dev/urandom | base64 -w0 >"$tmp/body.txt"
curl -s -H "Transfer-Encoding: chunked" --data-binary @"$tmp/body.txt" "$base/echo" >"$tmp/echo1.txt"
cmp "$tmp/body.txt" "$tmp/echo1.txt" || fail "chunked upload echo"
out=$(curl -sv -H "Expect: 100-continue" --data-binary @"$tmp/body.txt" "$base/echo" -o "$tmp/echo2.txt" 2>&1)
grep -q "HTTP/1.1 100 Continue" <<<"$out" || fail "no 100 Continue: $out"
cmp "$tmp/body.txt" "$tmp/echo2.txt" || fail "100-continue echo"
# A streamed (chunked) reply.
out=$(curl -s "$base/stream?n=5")
[ "$out" = "[0, 1, 2, 3, 4]" ] || fail "stream: $out"
[ "$(curl -s "$base/user/a%20b")" = '{"id": "a b"}' ] || fail "path parameter"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/nowhere")" = 404 ] || fail "404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/stream?n=x")" = 400 ] || fail "bad param"
# Files through the DMA file API.
curl -s "$base/files/blob.bin" -o "$tmp/blob.out"
cmp "$tmp/www/blob.bin" "$tmp/blob.out" || fail "file download"
grep -qi "^content-type: text/html" <<<"$(curl -sI "$base/files/index.html")" || fail "content type"
[ "$(curl -s "$base/files/")" = "<h1>index</h1>" ] || fail "directory index"
[ "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$base/files/sub")" = "301 $base/files/sub/" ] ||
    fail "directory redirect"
[ "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$base/files/../secret.txt")" = 404 ] || fail "traversal"
[ "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$base/files/%2e%2e/secret.txt")" = 404 ] ||
    fail "encoded traversal"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/files/missing")" = 404 ] || fail "missing file"

# --- Python http.client ---
$py - "$port" <<'PYEOF'
import http.client, socket, sys
port = int(sys.argv[1])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for i in range(5):  # keep-alive: one connection
    c.request("GET", "/")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"hello", i
sock = c.sock
c.request("POST", "/echo", body=iter([b"abc", b"defg"]), encode_chunked=True,
          headers={"Transfer-Encoding": "chunked"})
r = c.getresponse()
assert r.read() == b"abcdefg"
c.request("HEAD", "/json")
r = c.getresponse()
assert r.status == 200 and r.read() == b"" and r.getheader("Content-Type") == "application/json"
c.request("GET", "/stream?n=1000")
r = c.getresponse()
assert r.getheader("Transfer-Encoding") == "chunked"
body = r.read().decode()
assert body.startswith("[0, 1, ") and body.endswith(", 999]")
assert c.sock is sock, "connection was not kept"
c.close()
# Raw bad input: an error status, then the server closes.
for raw, code in [(b"GET / HTTP/1.1\r\n\r\n", b"400"), (b"GET / HTTP/9.9\r\nHost: h\r\n\r\n", b"505"),
                  (b"BREW / HTTP/1.1\r\nHost: h\r\n\r\n", b"501"),
                  (b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"v" * 100000 + b"\r\n\r\n", b"431")]:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(raw)
    except OSError:
        pass
    data = b""
    for _ in range(1000):
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        data += d
    assert data.startswith(b"HTTP/1.1 " + code), (raw[:40], data[:80])
    s.close()
print("python ok")
PYEOF

# --- ab and wrk smoke runs ---
out=$(ab -q -k -n 2000 -c 8 "$base/" 2>&1)
grep -q "Complete requests: *2000" <<<"$out" || fail "ab: $out"
grep -q "Failed requests: *0" <<<"$out" || fail "ab failures: $out"
out=$(wrk -t1 -c8 -d1s "$base/" 2>&1)
grep -q "requests in" <<<"$out" || fail "wrk: $out"
if grep -q "Non-2xx\|Socket errors" <<<"$out"; then fail "wrk errors: $out"; fi

# --- TLS ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
    -subj "/CN=localhost" >/dev/null 2>&1
tport=$(free_port)
"$server" --smp 2 --overprovisioned --port "$tport" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
    --duration 60 >"$tmp/tls.out" 2>&1 &
pids+=($!)
wait_up "https://127.0.0.1:$tport/" || { cat "$tmp/tls.out"; fail "TLS server did not come up"; }
out=$(curl -skv "https://127.0.0.1:$tport/" "https://127.0.0.1:$tport/json" 2>&1)
grep -q "Re-using existing connection" <<<"$out" || fail "TLS keep-alive: $out"
grep -q '"hello": "world"' <<<"$out" || fail "TLS GET /json: $out"
[ "$(curl -sk -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/body.txt" "https://127.0.0.1:$tport/echo" |
    cmp - "$tmp/body.txt" && echo same)" = same ] || fail "TLS chunked echo"

# Graceful stop on SIGINT.
for p in "${pids[@]}"; do kill -INT "$p"; done
for p in "${pids[@]}"; do wait "$p" || fail "server exited with $?"; done
pids=()
echo PASS
