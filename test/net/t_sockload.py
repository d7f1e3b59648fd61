#!/usr/bin/env python3
"""t_sockload.py: hostile and good clients for the example game server
(2-byte big-endian length + JSON packets), used by test/net/sock_protect.sh.

  t_sockload.py good HOST PORT                 login, echo, logout; exit 0 if served
  t_sockload.py slowreader HOST PORT MB        pipeline MB MiB of echo requests and
                                               never read; exit 0 once the server
                                               closes the link
  t_sockload.py flood HOST PORT SECONDS        pipeline echo requests as fast as the
                                               link takes them while reading the
                                               replies; prints bytes sent/received
  t_sockload.py bigreply HOST PORT             an echo whose reply exceeds a packet:
                                               exit 0 on an error reply
  t_sockload.py hold HOST PORT N SECONDS       open N connections that log in (as
                                               many as get served), hold them;
                                               prints "served K" after the first
                                               wait, then closes a third and
                                               prints "served K" again at the end
  t_sockload.py idle HOST PORT N               open N connections that send
                                               nothing, hold them until stdin closes
  t_sockload.py closed HOST PORT               exit 0 if the server closes a new
                                               connection at once (refused)
"""
import json
import select
import socket
import struct
import sys
import threading
import time


def packet(obj):
    body = json.dumps(obj, separators=(",", ":")).encode()
    return struct.pack(">H", len(body)) + body


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed by the server")
        buf += chunk
    return buf


def recv_packet(s):
    (n,) = struct.unpack(">H", recv_exact(s, 2))
    return json.loads(recv_exact(s, n))


def connect(host, port, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def login(s, name):
    s.sendall(packet({"cmd": "login", "name": name, "id": 1}))
    r = recv_packet(s)
    if not r.get("ok"):
        raise RuntimeError("login refused: %r" % r)


def good(host, port):
    s = connect(host, port)
    login(s, "good")
    s.sendall(packet({"cmd": "echo", "text": "still here", "id": 2}))
    r = recv_packet(s)
    if r.get("echo") != "still here" or r.get("id") != 2:
        raise RuntimeError("bad echo reply %r" % r)
    s.sendall(packet({"cmd": "logout", "id": 3}))
    recv_packet(s)
    s.close()
    print("served")


def slowreader(host, port, mb):
    s = connect(host, port, timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    login(s, "slow")
    req = packet({"cmd": "echo", "text": "x" * 60000, "id": 9})
    total = mb << 20
    sent = 0
    deadline = time.time() + 30
    try:
        while sent < total and time.time() < deadline:
            s.sendall(req)
            sent += len(req)
    except (BrokenPipeError, ConnectionResetError):
        print("closed by the server after %d bytes sent" % sent)
        return 0
    # everything sent: the server must close once its replies pile up
    s.settimeout(1)
    while time.time() < deadline:
        r, _, _ = select.select([s], [], [], 1)
        if r:
            try:
                data = s.recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if not data:
                print("closed by the server after %d bytes sent" % sent)
                return 0
    print("still open after %d bytes sent" % sent)
    return 1


def flood(host, port, seconds):
    s = connect(host, port, timeout=30)
    login(s, "flood")
    chunk = packet({"cmd": "echo", "text": "f" * 1000, "id": 7}) * 64
    stats = {"recv": 0, "done": False}

    def reader():
        try:
            while not stats["done"]:
                data = s.recv(1 << 20)
                if not data:
                    break
                stats["recv"] += len(data)
        except OSError:
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    sent = 0
    end = time.time() + seconds
    try:
        while time.time() < end:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError as e:
        print("send failed: %s" % e)
    stats["done"] = True
    print("sent %d received %d" % (sent, stats["recv"]))
    s.close()
    return 0


def bigreply(host, port):
    s = connect(host, port)
    login(s, "big")
    # the server's JSON encoder escapes "/" as "\/": a 40,000-byte request
    # asks for an 80,000-byte reply
    text = "/" * 40000
    s.sendall(packet({"cmd": "echo", "text": text, "id": 5}))
    r = recv_packet(s)
    if r.get("ok") is False and "too large" in r.get("error", "") and r.get("id") == 5:
        # and the link still works
        s.sendall(packet({"cmd": "echo", "text": "small", "id": 6}))
        r2 = recv_packet(s)
        if r2.get("echo") == "small":
            print("error reply: %s" % r["error"])
            return 0
    print("unexpected reply %r" % r)
    return 1


def hold(host, port, n, seconds):
    socks = []
    for i in range(n):
        try:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((host, port))
            socks.append(s)
        except OSError as e:
            print("connect %d failed: %s" % (i, e))
            break
    # log in on every socket that is writable, and count welcomes
    pending = {}
    served = set()
    for s in socks:
        pending[s] = b""

    def pump(deadline):
        sent = set(x for x in served)
        while time.time() < deadline:
            for s in list(pending):
                if s in sent:
                    continue
                try:
                    s.send(packet({"cmd": "login", "name": "h", "id": 1}))
                    sent.add(s)
                except (BlockingIOError, OSError):
                    pass
            live = [s for s in pending if s not in served]
            if not live:
                return
            r, _, _ = select.select(live, [], [], 0.1)
            for s in r:
                try:
                    data = s.recv(65536)
                except (BlockingIOError, ConnectionResetError, OSError):
                    data = None
                if data:
                    pending[s] += data
                    if b"welcome" in pending[s]:
                        served.add(s)
                elif data == b"":
                    # closed by the server: reconnect later would change the
                    # count; this client is just gone
                    pending.pop(s, None)

    pump(time.time() + seconds)
    print("served %d of %d" % (len(served), n), flush=True)
    # a client that got in is still answered while others wait
    if served:
        s0 = next(iter(served))
        try:
            s0.setblocking(True)
            s0.settimeout(5)
            s0.sendall(packet({"cmd": "echo", "text": "e", "id": 2}))
            head = recv_exact(s0, 2)
            (ln,) = struct.unpack(">H", head)
            body = recv_exact(s0, ln)
            # the welcome may still be ahead of the echo in the stream
            if b'"echo"' not in body:
                (ln,) = struct.unpack(">H", recv_exact(s0, 2))
                body = recv_exact(s0, ln)
            if b'"echo":"e"' in body:
                print("echo ok", flush=True)
        except OSError as e:
            print("echo failed: %s" % e, flush=True)
        s0.setblocking(False)
    # free a third of the served clients: waiting ones must get in
    freed = 0
    for s in list(served)[: max(1, len(served) // 3)]:
        s.close()
        served.discard(s)
        pending.pop(s, None)
        freed += 1
    before = len(served)
    pump(time.time() + seconds)
    print("freed %d, served %d more" % (freed, len(served) - before), flush=True)
    for s in pending:
        s.close()
    return 0


def idle(host, port, n):
    socks = [connect(host, port) for _ in range(n)]
    print("holding %d idle" % len(socks), flush=True)
    sys.stdin.read()
    for s in socks:
        s.close()
    return 0


def closed(host, port):
    s = connect(host, port)
    s.settimeout(3)
    try:
        data = s.recv(1)
    except (ConnectionResetError, socket.timeout):
        data = None if sys.exc_info()[0] is socket.timeout else b""
    if data == b"":
        print("closed at once")
        return 0
    print("not closed")
    return 1


def main(argv):
    cmd, host, port = argv[1], argv[2], int(argv[3])
    rest = [int(x) for x in argv[4:]]
    try:
        if cmd == "good":
            good(host, port)
            return 0
        f = {"slowreader": slowreader, "flood": flood, "bigreply": bigreply,
             "hold": hold, "idle": idle, "closed": closed}[cmd]
        return f(host, port, *rest)
    except Exception as e:  # a failed scenario: say why, exit non-zero
        print("%s failed: %s: %s" % (cmd, type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
