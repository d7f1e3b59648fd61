#!/usr/bin/env python3
"""Drives our httpd (test/lua/t_http_server.lua) with Python's standard
library: http.client / urllib for well-formed traffic, raw sockets for bad,
slow and fuzzed requests. Usage: http_client.py PORT SCENARIO [SEED].
Prints "PASS" or "FAIL: why" and exits 0/1."""
import http.client
import random
import socket
import sys
import threading
import time
import urllib.request

HOST = "127.0.0.1"
PORT = int(sys.argv[1])


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def raw(data, timeout=5.0):
    """Sends raw bytes, returns everything until the server closes."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    s.sendall(data)
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            s.close()
            raise Fail("connection not closed by the server; got %r" % out[:200])
        if not b:
            break
        out += b
    s.close()
    return out


def status_of(resp):
    line = resp.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def keepalive():
    c = http.client.HTTPConnection(HOST, PORT, timeout=5)
    c.connect()
    first = c.sock
    for i in range(20):
        c.request("POST", "/echo?i=%d" % i, body=b"x" * i, headers={"Content-Type": "text/plain"})
        r = c.getresponse()
        body = r.read()
        check(r.status == 200, "status %d" % r.status)
        check(body == b"x" * i, "body %r" % body)
        check(r.getheader("x-query") == "i=%d" % i, "query %r" % r.getheader("x-query"))
        check(c.sock is first, "connection was not kept alive at request %d" % i)
    c.request("GET", "/hello", headers={"Connection": "close"})
    r = c.getresponse()
    check(r.read() == b"hello" and r.getheader("connection") == "close", "close request")


def pipelined():
    reqs = b"".join(b"GET /echo?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(3))
    reqs += b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    reqs += b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    out = raw(reqs)
    check(out.count(b"HTTP/1.1 200 OK") == 5, "5 responses: %r" % out[:300])
    for i in range(3):
        check(b"x-query: n=%d" % i in out, "response %d" % i)
    check(out.endswith(b"hello"), "last is /hello")


def chunked_request():
    c = http.client.HTTPConnection(HOST, PORT, timeout=5)
    pieces = [b"alpha-", b"beta-", b"gamma" * 100]
    c.request("POST", "/echo", body=iter(pieces), encode_chunked=True,
              headers={"Transfer-Encoding": "chunked"})
    r = c.getresponse()
    body = r.read()
    check(r.status == 200 and body == b"".join(pieces), "echo of a chunked body: %d %r" % (r.status, body[:50]))
    # with a trailer, raw
    out = raw(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n")
    check(status_of(out) == 200 and out.endswith(b"abcde"), "chunked with extension and trailer: %r" % out)


def chunked_response():
    with urllib.request.urlopen("http://%s:%d/chunked" % (HOST, PORT), timeout=5) as r:
        check(r.headers.get("Transfer-Encoding") == "chunked", "chunked header")
        body = r.read()
    check(body == b"first,second,third", "body %r" % body)


def limits():
    # declared length over the limit: refused before reading the body
    out = raw(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n" + b"y" * 100)
    check(status_of(out) == 413, "content-length over the limit: %r" % out[:80])
    # chunked body growing over the limit
    chunk = b"%x\r\n%s\r\n" % (8192, b"z" * 8192)
    out = raw(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 9)
    check(status_of(out) == 413, "chunked over the limit: %r" % out[:80])
    # header block over 8 KB
    out = raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 9000 + b"\r\n\r\n")
    check(status_of(out) == 413, "huge header: %r" % out[:80])
    # exactly at the limit is fine
    c = http.client.HTTPConnection(HOST, PORT, timeout=5)
    c.request("POST", "/echo", body=b"k" * 65536)
    r = c.getresponse()
    check(r.status == 200 and len(r.read()) == 65536, "64 KB body accepted")


BAD = [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /\r\n\r\n", 400),
    (b"get / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n continuation first\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 200 + b"\r\n", 400),
]


def bad_requests():
    for req, want in BAD:
        out = raw(req)
        check(status_of(out) == want, "%r: expected %d, got %r" % (req[:40], want, out[:60]))
    # the server is still fine
    with urllib.request.urlopen("http://%s:%d/hello" % (HOST, PORT), timeout=5) as r:
        check(r.read() == b"hello", "served after the bad requests")


def slow_client():
    slow = socket.create_connection((HOST, PORT), timeout=10)
    slow.sendall(b"GET /hello HT")           # and then nothing
    slow2 = socket.create_connection((HOST, PORT), timeout=10)
    slow2.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly part")
    t0 = time.time()
    for _ in range(5):
        with urllib.request.urlopen("http://%s:%d/hello" % (HOST, PORT), timeout=5) as r:
            check(r.read() == b"hello", "others served")
    check(time.time() - t0 < 2.0, "other clients waited %.2f s" % (time.time() - t0))
    for s in (slow, slow2):
        t1 = time.time()
        try:
            data = s.recv(100)
        except socket.timeout:
            raise Fail("slow client not closed after 10 s")
        check(data == b"", "slow client got %r" % data)
        check(time.time() - t1 < 5, "closed in time")


def concurrent():
    errors = []

    def worker(n):
        try:
            c = http.client.HTTPConnection(HOST, PORT, timeout=10)
            for i in range(10):
                c.request("GET", "/echo?w=%d&i=%d" % (n, i))
                r = c.getresponse()
                if r.getheader("x-query") != "w=%d&i=%d" % (n, i):
                    errors.append("mixed answer")
                r.read()
        except Exception as e:  # noqa
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "errors: %s" % errors[:3])


def fuzz():
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    seeds = [req for req, _ in BAD] + [
        b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ]
    for i in range(150):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            op = rng.randint(0, 3)
            pos = rng.randrange(len(data) + 1)
            if op == 0 and data:
                data[min(pos, len(data) - 1)] = rng.randrange(256)
            elif op == 1:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            elif op == 2:
                del data[pos:pos + rng.randint(1, 8)]
            else:
                data[pos:pos] = rng.choice([b"\r\n", b":", b" ", b"\r\n\r\n", b"0\r\n"])
        s = socket.create_connection((HOST, PORT), timeout=5)
        s.sendall(bytes(data))
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(65536):
                pass
        except socket.timeout:
            raise Fail("fuzz case %d: no answer and not closed: %r" % (i, bytes(data)[:80]))
        except ConnectionResetError:
            pass
        s.close()
    with urllib.request.urlopen("http://%s:%d/hello" % (HOST, PORT), timeout=5) as r:
        check(r.read() == b"hello", "served after fuzzing")


def tls():
    import ssl
    ctx = ssl.create_default_context(cafile=sys.argv[3])
    c = http.client.HTTPSConnection("localhost", PORT, timeout=5, context=ctx)
    c.connect()
    first = c.sock
    for i in range(10):
        body = b"secret-%d" % i * (i * 100 + 1)
        c.request("POST", "/echo?tls=%d" % i, body=body)
        r = c.getresponse()
        check(r.status == 200 and r.read() == body, "echo %d over TLS" % i)
        check(c.sock is first, "TLS connection kept alive at %d" % i)
    c.request("GET", "/chunked")
    r = c.getresponse()
    check(r.read() == b"first,second,third", "chunked over TLS")
    c.close()
    # pipelined over TLS: three requests in one write
    s = ctx.wrap_socket(socket.create_connection((HOST, PORT), timeout=5), server_hostname="localhost")
    s.sendall(b"GET /echo?p=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?p=2 HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    check(out.count(b" 200 OK") == 3 and b"x-query: p=2" in out, "pipelined over TLS: %r" % out[:200])
    # a plaintext client on the TLS port: refused, and the server lives on
    out = raw(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    check(b"hello" not in out, "plaintext served on the TLS port")
    with urllib.request.urlopen("https://localhost:%d/hello" % PORT, timeout=5, context=ctx) as r:
        check(r.read() == b"hello", "served after a plaintext client")


def main():
    try:
        globals()[sys.argv[2]]()
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)
    except Exception as e:  # noqa
        print("FAIL: %r" % e, flush=True)
        sys.exit(1)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
