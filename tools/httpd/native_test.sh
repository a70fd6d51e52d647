#!/bin/bash
# httpd on the native stack (--network-stack native) over a TAP device, inside
# a network namespace this test creates, with curl on Linux's side: routes,
# JSON, a chunked upload, HEAD, a 300 KB file from --dir (many segments each
# way), two requests on one kept-alive connection; then SIGINT stops it.
set -euo pipefail
server=tools/httpd/httpd

source tools/testing/tap_namespace.sh
tap_namespace_enter "$0" curl
tap_namespace_setup
tmp=${TEST_TMPDIR:-$(mktemp -d)}
mkdir -p "$tmp/www"
head -c 300000 /dev/urandom >"$tmp/www/blob.bin"
url=http://192.0.2.2:10000

timeout --foreground 250 "$server" "${NATIVE_STACK[@]}" --address 192.0.2.2 --port 10000 --dir "$tmp/www" \
    --duration 200 >"$tmp/server.out" 2>&1 &
pid=$!
kill_on_exit "$pid"
wait_until 40 curl -s --max-time 10 "$url/" || {
    cat "$tmp/server.out"
    fail "our server never answered"
}
c() { curl -sS --max-time 30 "$@"; }

[[ "$(c "$url/")" == hello ]] || fail "GET /"
[[ "$(c "$url/user/42")" == *42* ]] || fail "GET /user/42: $(c "$url/user/42")"
[[ "$(c -o /dev/null -w '%{http_code}' "$url/nowhere")" == 404 ]] || fail "GET /nowhere"
echo "ok: routes"

head -c 100000 /dev/urandom | base64 -w 0 >"$tmp/up.txt"
c -H "Transfer-Encoding: chunked" --data-binary @"$tmp/up.txt" "$url/echo" >"$tmp/echoed.txt"
cmp "$tmp/up.txt" "$tmp/echoed.txt" || fail "chunked upload came back different"
echo "ok: chunked upload of $(stat -c %s "$tmp/up.txt") bytes echoed"

head=$(c -I "$url/")
[[ "$head" == *"HTTP/1.1 200"* && "$head" == *"Content-Length: 5"* ]] || fail "HEAD: $head"
echo "ok: HEAD"

c -o "$tmp/blob.out" "$url/files/blob.bin"
cmp "$tmp/www/blob.bin" "$tmp/blob.out" || fail "file download differs"
echo "ok: 300000-byte file from --dir"

both=$(c -v "$url/" "$url/" 2>&1)
[[ "$both" == *"Re-using existing connection"* || "$both" == *"Reusing existing"* ]] || fail "no keep-alive: $both"
echo "ok: two requests on one connection"

stop_cleanly "$pid" "$tmp/server.out"
echo PASS
