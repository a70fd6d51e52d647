#!/bin/bash
# Crafted frames from python3-scapy against echo_server on the native stack
# over a TAP device, in a network namespace this test makes: a bad IPv4
# checksum, a total length beyond the frame, a TCP SYN with a bad checksum
# are dropped (no answer); an ICMP echo in fragments is reassembled and
# answered; in an established connection an RST whose sequence number is in
# the window but not exact gets a challenge ACK (RFC 5961 3.2) and leaves the
# connection up, one outside the window is ignored, a SYN gets a challenge
# ACK (4.2), and an RST with the exact number resets it. The server keeps
# serving throughout and stops cleanly.
set -euo pipefail
server=tools/echo/echo_server
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "SKIP: python3-scapy not installed"; exit 0; }
source tools/testing/tap_namespace.sh
tap_namespace_enter "$0" ping
tap_namespace_setup
tmp=${TEST_TMPDIR:-$(mktemp -d)}

timeout --foreground 250 "$server" "${NATIVE_STACK[@]}" --address 192.0.2.2 --port 10000 --duration 200 \
    >"$tmp/server.out" 2>&1 &
pid=$!
kill_on_exit "$pid"
wait_until 40 timeout 5 ping -c 1 -W 2 192.0.2.2 || {
    cat "$tmp/server.out"
    fail "our stack never answered ping"
}
wait_until 40 timeout 5 bash -c '</dev/tcp/192.0.2.2/10000' || fail "our server never accepted"

timeout 200 /usr/bin/python3 - <<'PY'
import socket, subprocess, sys, time
from scapy.all import ICMP, IP, TCP, AsyncSniffer, Ether, Raw, conf, fragment, get_if_hwaddr, sendp

conf.verb = 0
IFACE, OURS, LINUX = "tap0", "192.0.2.2", "192.0.2.1"
linux_mac = get_if_hwaddr(IFACE)
neigh = subprocess.run(["ip", "neigh", "show", OURS], capture_output=True, text=True).stdout.split()
our_mac = neigh[neigh.index("lladdr") + 1]

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

def answers(frames, match, wait=1.5):
    """Sends `frames` into tap0 (to our stack) and returns what our stack sent that `match` accepts."""
    s = AsyncSniffer(iface=IFACE, lfilter=lambda p: p.haslayer(Ether) and p[Ether].src == our_mac and match(p))
    s.start()
    time.sleep(0.2)
    sendp(frames, iface=IFACE)
    time.sleep(wait)
    return s.stop() or []

def eth():
    return Ether(src=linux_mac, dst=our_mac)

def echo_reply(ident):
    return lambda p: p.haslayer(ICMP) and p[ICMP].type == 0 and p[ICMP].id == ident

def anything_ip():
    return lambda p: p.haslayer(IP) and p[IP].src == OURS and p[IP].dst == LINUX

def served():
    with socket.create_connection((OURS, 10000), timeout=10) as c:
        c.sendall(b"still there?\n")
        assert c.recv(100) == b"still there?\n"

# IPv4: a bad header checksum and a total length beyond the frame are dropped.
# (Any IPv4 packet from our stack counts as an answer: an ICMP error would be one too.)
if answers(eth() / IP(src=LINUX, dst=OURS, chksum=0x1234) / ICMP(id=1), anything_ip()):
    fail("answered an IPv4 header with a bad checksum")
bad_len = eth() / IP(src=LINUX, dst=OURS, len=400) / ICMP(id=2) / Raw(b"x" * 20)
if answers(bad_len, anything_ip()):
    fail("answered an IPv4 packet shorter than its total length")
if not answers(eth() / IP(src=LINUX, dst=OURS) / ICMP(id=3) / Raw(b"ok"), echo_reply(3)):
    fail("no answer to a good echo request after the bad ones")
print("ok: bad IPv4 checksum and length dropped, good echo answered")

# Fragments: an echo request of 3000 bytes in 1000-byte fragments, sent out of order.
frags = fragment(IP(src=LINUX, dst=OURS) / ICMP(id=4) / Raw(b"f" * 3000), fragsize=1000)
got = answers([eth() / f for f in reversed(frags)],
              lambda p: p.haslayer(IP) and p[IP].src == OURS and p[IP].proto == 1, wait=2)
reply_bytes = sum(len(p[IP].payload) for p in got)
if reply_bytes < 3008:
    fail("fragmented echo: %d bytes of reply" % reply_bytes)
print("ok: fragmented echo reassembled and answered (%d bytes back in %d fragments)" % (reply_bytes, len(got)))

# TCP: a SYN with a bad checksum is dropped, a good one answered.
synack = lambda port: (lambda p: p.haslayer(TCP) and p[TCP].dport == port and p[TCP].flags == "SA")
any_tcp = lambda port: (lambda p: p.haslayer(TCP) and p[TCP].dport == port)
if answers(eth() / IP(src=LINUX, dst=OURS) / TCP(sport=40001, dport=10000, flags="S", seq=1000, chksum=0xbad), any_tcp(40001)):
    fail("answered a SYN with a bad checksum (with anything: SYN-ACK or RST)")
if not answers(eth() / IP(src=LINUX, dst=OURS) / TCP(sport=40002, dport=10000, flags="S", seq=1000), synack(40002)):
    fail("no SYN-ACK for a good SYN")
print("ok: TCP checksum checked")

# RFC 5961 in an established connection (Linux's own socket).
c = socket.create_connection((OURS, 10000), timeout=10)
cport = c.getsockname()[1]
from_us = lambda p: p.haslayer(TCP) and p[TCP].sport == 10000 and p[TCP].dport == cport
s = AsyncSniffer(iface=IFACE, lfilter=lambda p: p.haslayer(Ether) and p[Ether].src == our_mac and from_us(p))
s.start()
time.sleep(0.2)
c.sendall(b"hello\n")
assert c.recv(100) == b"hello\n"
time.sleep(0.5)
seen = s.stop()
last = seen[-1][TCP]
rcv_nxt = last.ack                      # what our stack expects from Linux next
snd_nxt = last.seq + len(last.payload)  # what it sends next
def seg(**kw):
    return eth() / IP(src=LINUX, dst=OURS) / TCP(sport=cport, dport=10000, **kw)
challenge = lambda p: from_us(p) and p[TCP].flags == "A" and p[TCP].ack == rcv_nxt
if not answers(seg(flags="R", seq=rcv_nxt + 100), challenge):
    fail("no challenge ACK for an in-window RST")
c.sendall(b"after rst\n")
if c.recv(100) != b"after rst\n":
    fail("the connection did not survive an in-window RST")
print("ok: in-window RST got a challenge ACK, connection up")
rcv_nxt += len(b"after rst\n")
time.sleep(1.1)  # challenge ACKs are rate-limited per second
if answers(seg(flags="R", seq=(rcv_nxt + 2**31) % 2**32), from_us):
    fail("answered an RST far outside the window")
c.sendall(b"ok\n")
if c.recv(100) != b"ok\n":
    fail("the connection did not survive an out-of-window RST")
rcv_nxt += 3
print("ok: out-of-window RST ignored")
time.sleep(1.1)
challenge = lambda p: from_us(p) and p[TCP].flags == "A" and p[TCP].ack == rcv_nxt
if not answers(seg(flags="S", seq=12345), challenge):
    fail("no challenge ACK (ack = the expected sequence number) for a SYN in an established connection")
c.sendall(b"syn\n")
if c.recv(100) != b"syn\n":
    fail("the connection did not survive a SYN")
rcv_nxt += 4
print("ok: SYN in an established connection got a challenge ACK")
sendp(seg(flags="R", seq=rcv_nxt), iface=IFACE)
time.sleep(0.5)
# Our side is gone: Linux's next segment is answered with a reset.
try:
    c.sendall(b"gone?\n")
    data = c.recv(100)
    fail("the connection survived an exact RST (recv gave %r, not a reset)" % data)
except (ConnectionResetError, BrokenPipeError):
    pass
c.close()
print("ok: exact RST reset the connection")
served()
print("ok: still serving")
PY
stop_cleanly "$pid" "$tmp/server.out"
echo PASS
