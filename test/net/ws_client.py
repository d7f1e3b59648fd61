#!/usr/bin/python3
"""Drives our websocket server (test/lua/t_ws_server.lua) with Debian's
python3-websockets, plus raw sockets for what a correct client never sends.
Usage: ws_client.py PORT SCENARIO [SEED]. Prints "PASS" or "FAIL: why"."""
import asyncio
import base64
import os
import random
import socket
import struct
import sys

import websockets

PORT = int(sys.argv[1])
URI = "ws://127.0.0.1:%d/path?q=1" % PORT


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


async def echo():
    async with websockets.connect(URI, max_size=None) as ws:
        for msg in ["hello", "ünïcødé ✓", "", "x" * 70000]:
            await ws.send(msg)
            got = await ws.recv()
            check(got == msg, "text echo of %d chars" % len(msg))
        for msg in [b"\x00\x01\xff", os.urandom(200 * 1024)]:
            await ws.send(msg)
            got = await ws.recv()
            check(got == msg and isinstance(got, bytes), "binary echo of %d bytes" % len(msg))
        await ws.send("info")
        addr, real_ip = (await ws.recv()).split("|")
        check(addr.startswith("127.0.0.1"), "addrinfo %r" % addr)


async def fragmented():
    async with websockets.connect(URI) as ws:
        await ws.send(["frag", "ment", "ed ✓"])
        check(await ws.recv() == "fragmented ✓", "text fragments joined")
        await ws.send([b"a" * 1000, b"b" * 1000])
        check(await ws.recv() == b"a" * 1000 + b"b" * 1000, "binary fragments joined")


async def pings():
    async with websockets.connect(URI) as ws:
        waiter = await ws.ping(b"data")
        await asyncio.wait_for(waiter, 3)
        await ws.send("ping-me")
        await ws.send("ping-me")
        for _ in range(100):   # the pongs cross our question on the wire
            await ws.send("pongs?")
            seen = await ws.recv()
            if seen == "2":
                break
            await asyncio.sleep(0.02)
        check(seen == "2", "server saw the two pongs, not %s" % seen)


async def client_close():
    ws = await websockets.connect(URI)
    await ws.close(4001, "done")
    check(ws.close_code == 4001, "close code echoed: %r" % ws.close_code)


async def server_close():
    async with websockets.connect(URI) as ws:
        await ws.send("close-me")
        try:
            await asyncio.wait_for(ws.recv(), 3)
            raise Fail("no close")
        except websockets.ConnectionClosed as e:
            check(e.code == 4000 and e.reason == "bye", "close %r %r" % (e.code, e.reason))


async def too_big():
    async with websockets.connect(URI, max_size=None) as ws:
        await ws.send("y" * (300 * 1024))
        try:
            await asyncio.wait_for(ws.recv(), 3)
            raise Fail("a 300 KB message was accepted")
        except websockets.ConnectionClosed as e:
            check(e.code == 1009, "close code %r" % e.code)
    async with websockets.connect(URI, max_size=None) as ws:
        await ws.send(["z" * (200 * 1024), "z" * (200 * 1024)])
        try:
            await asyncio.wait_for(ws.recv(), 3)
            raise Fail("400 KB in fragments was accepted")
        except websockets.ConnectionClosed as e:
            check(e.code == 1009, "fragments: close code %r" % e.code)


def handshake(extra=b""):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n" + extra + b"\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        check(b, "handshake cut")
        head += b
    check(head.startswith(b"HTTP/1.1 101"), "101: %r" % head[:40])
    return s


def read_all(s):
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        raise Fail("connection left open; got %r" % out[:60])
    except ConnectionResetError:
        pass
    return out


def masked(op, payload, fin=True, rsv=0):
    head = bytes([(0x80 if fin else 0) | rsv | op])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_code(data):
    check(len(data) >= 4 and data[0] == 0x88, "a close frame: %r" % data[:10])
    return struct.unpack(">H", data[2:4])[0]


async def protocol_errors():
    cases = [
        (bytes([0x81, 0x02]) + b"hi", 1002, "unmasked"),
        (masked(0x1, b"hi", rsv=0x40), 1002, "reserved bit"),
        (masked(0x3, b"hi"), 1002, "unknown opcode"),
        (masked(0x9, b"p" * 126), 1002, "control frame too long"),
        (masked(0x9, b"p", fin=False), 1002, "fragmented control frame"),
        (masked(0x0, b"cont"), 1002, "continuation first"),
        (masked(0x1, b"a", fin=False) + masked(0x1, b"b"), 1002, "new message inside fragments"),
        (masked(0x1, b"\xff\xfe"), 1007, "invalid UTF-8"),
    ]
    for data, want, what in cases:
        s = handshake()
        s.sendall(data)
        code = close_code(read_all(s))
        check(code == want, "%s: close code %d, expected %d" % (what, code, want))
        s.close()
    for extra, want in [(b"", 101)]:
        handshake(extra).close()
    for req, want in [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b" 426 "),
        (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", b" 400 "),
        (b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", b" 400 "),
        (b"GET / HTTP/1.0\r\n\r\n", b" 505 "),
        (b"nonsense\r\n\r\n", b" 400 "),
    ]:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        s.sendall(req)
        out = read_all(s)
        check(want in out.split(b"\r\n")[0], "%r -> %r" % (req[:30], out[:40]))


async def fuzz():
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    seeds = [masked(0x1, b"hello"), masked(0x2, b"\x00" * 300), masked(0x9, b"p"),
             masked(0x1, b"a", fin=False) + masked(0x0, b"b"), masked(0x8, struct.pack(">H", 1000))]
    for i in range(80):
        data = bytearray(b"".join(rng.choice(seeds) for _ in range(rng.randint(1, 3))))
        for _ in range(rng.randint(1, 5)):
            pos = rng.randrange(len(data))
            op = rng.randint(0, 2)
            if op == 0:
                data[pos] = rng.randrange(256)
            elif op == 1:
                del data[pos:pos + rng.randint(1, 4)]
            else:
                data[pos:pos] = os.urandom(rng.randint(1, 6))
        s = handshake()
        s.sendall(bytes(data))
        s.shutdown(socket.SHUT_WR)
        read_all(s)
        s.close()
    await echo()


async def many():
    async def one(n):
        async with websockets.connect(URI) as ws:
            for i in range(20):
                await ws.send("%d-%d" % (n, i))
                check(await ws.recv() == "%d-%d" % (n, i), "echo order")
    await asyncio.gather(*(one(n) for n in range(50)))


async def wss():
    import ssl
    ctx = ssl.create_default_context(cafile=sys.argv[3])
    uri = "wss://localhost:%d/secure" % PORT
    async with websockets.connect(uri, ssl=ctx, max_size=None) as ws:
        for msg in ["hello over tls", "x" * 100000]:
            await ws.send(msg)
            check(await ws.recv() == msg, "echo of %d chars over TLS" % len(msg))
        await ws.send(["tls ", "frag"])
        check(await ws.recv() == "tls frag", "fragments over TLS")
        await ws.send("close-me")
        try:
            await asyncio.wait_for(ws.recv(), 3)
            raise Fail("no close")
        except websockets.ConnectionClosed as e:
            check(e.code == 4000, "close over TLS: %r" % e.code)


async def upgrade():
    async with websockets.connect(URI, extra_headers={"X-Real-IP": "10.1.2.3"}) as ws:
        await ws.send("hi")
        check(await ws.recv() == "hi", "echo through an httpd upgrade")
        await ws.send("info")
        addr, real_ip = (await ws.recv()).split("|")
        check(real_ip == "10.1.2.3", "real_ip %r" % real_ip)


def main():
    try:
        asyncio.run(asyncio.wait_for(globals()[sys.argv[2]](), 60))
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)
    except Exception as e:  # noqa
        print("FAIL: %r" % e, flush=True)
        sys.exit(1)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
