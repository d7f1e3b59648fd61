#!/usr/bin/env python3
"""test/net/harbor_peer.py: a fake harbor node for test/net/harbor.sh.

Joins the master at MASTER (host:port) as harbor ID, listening for the link
the real node dials, answers skynet's id-byte handshake, then does MODE:
  call       sends a skynet.call("whoami") frame to NODE1 and checks the
             response frame (skynet's frame layout and serialization)
  malformed  a frame whose length is below the trailer
  oversized  a frame header announcing 4 GiB
  truncated  half a frame, then close
  badtype    a PTYPE_SOCKET message (a peer must not send it)
  silent     never answers the handshake (the node gives up after 5 s)
With SECRET (argv 4), both the master link and the harbor link prove it
(HMAC-SHA1, as cmaster.lua and service_harbor.c do); the fake checks the
node's proof. Mode badproof then answers the link with a wrong proof.
Prints one result line: "ok MODE ..." or "fail MODE why"; for the bad frames
"ok" means the node closed the link."""
import hashlib, hmac, os, socket, struct, sys

def pack_str(s):
    b = s.encode() if isinstance(s, str) else s
    assert len(b) < 32
    return bytes([4 | (len(b) << 3)]) + b

def pack_int(n):
    if n == 0:
        return bytes([2])
    if 0 < n < 256:
        return bytes([2 | (1 << 3), n])
    return bytes([2 | (4 << 3)]) + struct.pack("<i", n)

def unpack(b):
    out, i = [], 0
    while i < len(b):
        t, c = b[i] & 7, b[i] >> 3
        i += 1
        if t == 4:
            v = b[i:i + c]; i += c
            try:
                v = v.decode("ascii")
            except UnicodeDecodeError:
                pass
            out.append(v)
        elif t == 2:
            if c == 0: out.append(0)
            elif c == 1: out.append(b[i]); i += 1
            elif c == 2: out.append(struct.unpack("<H", b[i:i+2])[0]); i += 2
            elif c == 4: out.append(struct.unpack("<i", b[i:i+4])[0]); i += 4
            elif c == 6: out.append(struct.unpack("<q", b[i:i+8])[0]); i += 8
            else: raise ValueError("number cookie %d" % c)
        elif t == 0:
            out.append(None)
        else:
            raise ValueError("type %d" % t)
    return out

def package(*args):
    body = b"".join(pack_int(a) if isinstance(a, int) else pack_str(a) for a in args)
    return bytes([len(body)]) + body

def read_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed")
        b += c
    return b

def read_package(s):
    n = read_exact(s, 1)[0]
    return unpack(read_exact(s, n))

def frame(payload, source, dest, session):
    return struct.pack(">I", len(payload) + 12) + payload + struct.pack(">III", source, dest, session)

def closed_by_peer(s):
    s.settimeout(5)
    try:
        while s.recv(4096):
            pass
        return True
    except socket.timeout:
        return False
    except OSError:
        return True

def as_bytes(v):
    return v.encode("latin-1") if isinstance(v, str) else v

def master_proof(secret, role, challenge, response):
    return hmac.new(secret, b"skynet-harbor-master" + role + challenge + response, hashlib.sha1).digest()

def link_proof(secret, role, challenge, response, from_id, to_id):
    msg = b"skynet-harbor" + role + bytes([from_id, to_id]) + challenge + response
    return hmac.new(secret, msg, hashlib.sha1).digest()

def main():
    master, hid, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    secret = sys.argv[4].encode() if len(sys.argv) > 4 else None
    host, port = master.rsplit(":", 1)
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    m = socket.create_connection((host, int(port)), timeout=10)
    address = "127.0.0.1:%d" % lst.getsockname()[1]
    if secret:
        mine = os.urandom(16)
        m.sendall(package("H", hid, address, mine))
        t = read_package(m)
        if t[0] != "A":
            print("fail %s master said %r" % (mode, t)); return
        theirs = as_bytes(t[1])
        m.sendall(package("P", master_proof(secret, b"s", theirs, mine)))
        t = read_package(m)
        if t[0] == "W" and as_bytes(t[2]) != master_proof(secret, b"m", mine, theirs):
            print("fail %s the master's proof is wrong" % mode); return
    else:
        m.sendall(package("H", hid, address))
        t = read_package(m)
    if t[0] != "W":
        print("fail %s master said %r" % (mode, t)); return
    m.sendall(package("Q", "NODE1"))
    lst.settimeout(10)
    link, _ = lst.accept()
    link.settimeout(10)
    peer = read_exact(link, 1)[0]
    if mode == "silent":
        link.settimeout(10)
        try:
            closed = link.recv(1) == b""
        except socket.timeout:
            closed = False
        print(("ok " if closed else "fail ") + "silent link closed by the node")
        return
    if secret:
        nonce = os.urandom(16)
        link.sendall(bytes([hid]) + nonce)
        reply = read_exact(link, 36)
        theirs, proof = reply[:16], reply[16:]
        if proof != link_proof(secret, b"c", nonce, theirs, peer, hid):
            print("fail %s the node's link proof is wrong" % mode); return
        if mode == "badproof":
            link.sendall(b"\0" * 20)
            print(("ok " if closed_by_peer(link) else "fail ") + mode + " link closed by the node")
            return
        link.sendall(link_proof(secret, b"a", theirs, nonce, hid, peer))
    else:
        link.sendall(bytes([hid]))
    handle = None
    while handle is None:
        t = read_package(m)
        if t[0] == "N" and t[1] == "NODE1":
            handle = t[2]
    src = (hid << 24) | 1
    if mode == "call":
        link.sendall(frame(pack_str("whoami"), src, (10 << 24) | (handle & 0xffffff), 7))
        head = read_exact(link, 4)
        body = read_exact(link, struct.unpack(">I", head)[0])
        s2, d2, sess = struct.unpack(">III", body[-12:])
        ok = d2 == (1 << 24) | (src & 0xffffff) and sess == 7 and unpack(body[:-12]) == [peer]
        print(("ok" if ok else "fail") + " call answer %r type %d session %d" % (unpack(body[:-12]), d2 >> 24, sess))
    else:
        if mode == "malformed":
            link.sendall(struct.pack(">I", 5) + b"12345")
        elif mode == "oversized":
            link.sendall(struct.pack(">I", 0xfffffff0) + b"x" * 100)
        elif mode == "truncated":
            link.sendall(frame(b"y" * 1000, src, (10 << 24) | 1, 0)[:500])
            link.close()
            print("ok truncated sent"); m.close(); return
        elif mode == "badtype":
            link.sendall(frame(b"z" * 16, src, (6 << 24) | (handle & 0xffffff), 0))
        print(("ok " if closed_by_peer(link) else "fail ") + mode + " link closed by the node")
    link.close()
    m.close()

if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        print("fail %s %s" % (sys.argv[3] if len(sys.argv) > 3 else "?", e))
