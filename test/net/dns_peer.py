#!/usr/bin/env python3
"""A small DNS server for the resolver tests (test/lua/test_dns.lua).

Usage: dns_peer.py PORT LIFETIME_SECONDS. Serves UDP and TCP on 127.0.0.1:PORT,
writes "ready" on stdout once both listen, and exits after LIFETIME seconds.
Names (all under .test):
  a.test        A 10.0.0.1, 10.0.0.2 with TTL 1
  v6.test       AAAA 2001:db8::1
  alias.test    CNAME a.test, then its A records
  big.test      over UDP: an empty answer with TC set; over TCP: 40 A records
  local.test    A 127.0.0.1
  nx.test       NXDOMAIN
  slow.test     never answered
  flaky.test    the first query is dropped, later ones answered (A 10.9.9.9)
  spoof.test    a garbage datagram and an answer with the wrong id come first
  count.NAME    A 0.0.0.N: how many UDP queries NAME got so far
"""
import socket
import struct
import sys
import threading
import time

counts = {}
lock = threading.Lock()


def parse_question(msg):
    tid, flags, qd = struct.unpack(">HHH", msg[:6])
    pos, labels = 12, []
    while msg[pos] != 0:
        n = msg[pos]
        labels.append(msg[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    qtype, qclass = struct.unpack(">HH", msg[pos + 1:pos + 5])
    return tid, ".".join(labels).lower(), qtype, msg[12:pos + 5]


def rr_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(name, rtype, ttl, rdata):
    return rr_name(name) + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def a(ip):
    return socket.inet_aton(ip)


def answer(tid, question, records, flags=0x8180):
    head = struct.pack(">HHHHHH", tid, flags, 1, len(records), 0, 0)
    return head + question + b"".join(records)


def build(tid, name, qtype, question, tcp):
    """Returns a list of datagrams to send (empty: no answer)."""
    if name.startswith("count."):
        with lock:
            n = counts.get(name[6:], 0)
        return [answer(tid, question, [rr(name, 1, 0, a("0.0.0.%d" % n))])]
    if name == "slow.test":
        return []
    if name == "flaky.test":
        with lock:
            seen = counts.get(name, 0)
        if seen <= 1:
            return []
        return [answer(tid, question, [rr(name, 1, 60, a("10.9.9.9"))])]
    if name == "local.test" and qtype == 1:
        return [answer(tid, question, [rr(name, 1, 60, a("127.0.0.1"))])]
    if name == "nx.test":
        return [answer(tid, question, [], flags=0x8183)]
    if name == "a.test" and qtype == 1:
        return [answer(tid, question, [rr(name, 1, 1, a("10.0.0.1")), rr(name, 1, 1, a("10.0.0.2"))])]
    if name == "v6.test" and qtype == 28:
        return [answer(tid, question, [rr(name, 28, 60, socket.inet_pton(socket.AF_INET6, "2001:db8::1"))])]
    if name == "alias.test" and qtype == 1:
        cname = struct.pack(">HHIH", 5, 1, 60, len(rr_name("a.test"))) + rr_name("a.test")
        return [answer(tid, question, [rr_name(name) + cname, rr("a.test", 1, 60, a("10.0.0.1"))])]
    if name == "big.test" and qtype == 1:
        if not tcp:
            return [answer(tid, question, [], flags=0x8380)]
        return [answer(tid, question, [rr(name, 1, 60, a("10.1.0.%d" % i)) for i in range(1, 41)])]
    if name == "spoof.test":
        good = answer(tid, question, [rr(name, 1, 60, a("10.2.2.2"))])
        bad = answer((tid + 1) & 0xffff, question, [rr(name, 1, 60, a("6.6.6.6"))])
        return [b"\x01\x02garbage", bad, good]
    return [answer(tid, question, [], flags=0x8180)]


def serve_udp(sock):
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            tid, name, qtype, question = parse_question(msg)
        except Exception:
            continue
        with lock:
            counts[name] = counts.get(name, 0) + 1
        for d in build(tid, name, qtype, question, False):
            sock.sendto(d, peer)


def serve_tcp_conn(conn):
    with conn:
        head = conn.recv(2, socket.MSG_WAITALL)
        if len(head) < 2:
            return
        (n,) = struct.unpack(">H", head)
        msg = conn.recv(n, socket.MSG_WAITALL)
        tid, name, qtype, question = parse_question(msg)
        for d in build(tid, name, qtype, question, True)[-1:]:
            conn.sendall(struct.pack(">H", len(d)) + d)


def serve_tcp(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn,), daemon=True).start()


def main():
    port, lifetime = int(sys.argv[1]), float(sys.argv[2])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(16)
    threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    print("ready", flush=True)
    time.sleep(lifetime)


if __name__ == "__main__":
    main()
