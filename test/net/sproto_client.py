#!/usr/bin/env python3
"""test/net/sproto_client.py HOST PORT: a sproto client written from the wire
format alone (struct module, no sproto library): it encodes `ping` requests
and a `bye` by hand, 0-packs them, sends them as 2-byte big-endian
length-prefixed packets to t_sprotoserver, and checks every response byte.
Prints "OK ..." and exits 0, or prints the mismatch and exits 1."""
import socket
import struct
import sys


def pack(data):
    """sproto 0-packing: per 8-byte word a tag byte + its non-zero bytes; a
    word without zeros opens a raw run (0xff, words-1, raw words) that words
    with 6 or 7 non-zero bytes may join, up to 256 words."""
    if len(data) % 8:
        data += b"\0" * (8 - len(data) % 8)
    out = bytearray()
    run_at, run = None, 0
    for i in range(0, len(data), 8):
        w = data[i:i + 8]
        nz = sum(1 for b in w if b)
        if nz == 8 or (run and nz >= 6):
            if not run:
                run_at = len(out)
                out += b"\xff\x00"
            out += w
            run += 1
            if run == 256:
                out[run_at + 1] = 255
                run = 0
            continue
        if run:
            out[run_at + 1] = run - 1
            run = 0
        tag = 0
        body = bytearray()
        for b, v in enumerate(w):
            if v:
                tag |= 1 << b
                body.append(v)
        out.append(tag)
        out += body
    if run:
        out[run_at + 1] = run - 1
    return bytes(out)


def unpack(data):
    out = bytearray()
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag == 0xff:
            n = (data[i] + 1) * 8
            out += data[i + 1:i + 1 + n]
            i += 1 + n
            continue
        for b in range(8):
            if tag & (1 << b):
                out.append(data[i])
                i += 1
            else:
                out.append(0)
    return bytes(out)


def word(v):
    """an inline field value: (v + 1) * 2"""
    return (v + 1) * 2


def struct_bytes(fields):
    """A sproto struct from [(tag, kind, value)] in tag order: kind "int",
    "bool" or "str". Small integers and booleans go inline; other integers as
    4-byte data; strings as length + bytes; an odd word skips missing tags."""
    words, data, tag = [], b"", 0
    for ftag, kind, value in fields:
        if ftag > tag:
            words.append((ftag - tag) * 2 - 1)
        if kind == "bool":
            words.append(word(1 if value else 0))
        elif kind == "int" and 0 <= value < 0x7fff:
            words.append(word(value))
        elif kind == "int":
            words.append(0)
            data += struct.pack("<Ii", 4, value)
        else:
            words.append(0)
            data += struct.pack("<I", len(value)) + value
        tag = ftag + 1
    return struct.pack("<%dH" % (len(words) + 1), len(words), *words) + data


def ping_request(session, text, n):
    # .package { type 0 : integer  session 1 : integer }, ping is tag 1
    header = struct_bytes([(0, "int", 1), (1, "int", session)])
    return header + struct_bytes([(0, "str", text), (1, "int", n)])


def ping_response(session, text, n):
    header = struct_bytes([(1, "int", session)])
    return header + struct_bytes([(0, "str", text), (1, "int", n), (2, "bool", True)])


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        part = s.recv(n - len(buf))
        if not part:
            return None
        buf += part
    return buf


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    s = socket.create_connection((host, port), timeout=10)
    checks = 0
    for session, text, n in ((5, b"hello", 100000), (6, b"x" * 300, 7), (70000, b"", -3)):
        msg = pack(ping_request(session, text, n))
        s.sendall(struct.pack(">H", len(msg)) + msg)
        head = recv_exact(s, 2)
        if head is None:
            fail("connection closed before the response to session %d" % session)
        reply = recv_exact(s, struct.unpack(">H", head)[0])
        want = ping_response(session, text.upper(), n + 1)
        if reply != pack(want):
            fail("packed response for session %d: got %s want %s" % (session, reply.hex(), pack(want).hex()))
        plain = unpack(reply)
        padded = want + b"\0" * (-len(want) % 8)
        if plain != padded:
            fail("unpacked response for session %d: got %s want %s" % (session, plain.hex(), padded.hex()))
        checks += 1
    # bye: a request without a session gets no answer; the server hangs up
    msg = pack(struct_bytes([(0, "int", 2)]))
    s.sendall(struct.pack(">H", len(msg)) + msg)
    if s.recv(1) != b"":
        fail("server did not close after bye")
    s.close()
    print("OK %d responses byte-identical, closed after bye" % checks)


main()
