#!/usr/bin/env python3
"""test/net/mongo_peer.py: a wire-level fake MongoDB for test_mongo (Debian
ships no MongoDB). It speaks OP_MSG (opcode 2013) with its own BSON codec,
runs the SCRAM-SHA-1 conversation MongoDB uses (password = md5 hex of
"user:mongo:password", PBKDF2-HMAC-SHA1, server signature, an extra empty
saslContinue round), refuses other commands before login, and keeps
collections in memory: insert (unique indexes, duplicate _id -> E11000),
find with filter/sort/skip/limit/projection and cursors served in batches of
BATCH documents (getMore, killCursors), count, update ($set/$inc/$unset,
replacement, upsert, multi), delete, findAndModify, aggregate ($match, $sort,
$skip, $limit, $count), createIndexes/listIndexes/dropIndexes, drop.
Messages with moreToCome get no reply. It checks every frame (length,
flags, sections) and closes the connection on a malformed one.
`fakeStats` reports counters so tests can see what reached it.

usage: mongo_peer.py USER PASSWORD [BATCH] -> prints "listening PORT"; exits
after 120 s.
"""
import base64
import hashlib
import hmac
import os
import socket
import struct
import sys
import threading
import time


class ObjectId:
    def __init__(self, b):
        self.b = b

    def __eq__(self, o):
        return isinstance(o, ObjectId) and o.b == self.b

    def __hash__(self):
        return hash(self.b)


class Int64(int):
    pass


class Raw:
    """A value kept as its BSON type byte and payload bytes."""

    def __init__(self, t, b):
        self.t, self.b = t, b

    def __eq__(self, o):
        return isinstance(o, Raw) and (o.t, o.b) == (self.t, self.b)

    def __hash__(self):
        return hash((self.t, self.b))


class BsonError(Exception):
    pass


def cstr(b, pos):
    end = b.index(b"\0", pos)
    return b[pos:end].decode(), end + 1


def decode_doc(b, pos=0, array=False):
    (size,) = struct.unpack_from("<i", b, pos)
    if size < 5 or pos + size > len(b) or b[pos + size - 1] != 0:
        raise BsonError("bad document size")
    end = pos + size - 1
    pos += 4
    out = [] if array else {}
    while pos < end:
        t = b[pos]
        key, pos = cstr(b, pos + 1)
        if t == 0x01:
            (v,) = struct.unpack_from("<d", b, pos); pos += 8
        elif t == 0x02:
            (n,) = struct.unpack_from("<i", b, pos)
            v = b[pos + 4:pos + 4 + n - 1].decode(); pos += 4 + n
        elif t in (0x03, 0x04):
            (n,) = struct.unpack_from("<i", b, pos)
            v = decode_doc(b, pos, t == 0x04); pos += n
        elif t == 0x05:
            (n,) = struct.unpack_from("<i", b, pos)
            v = Raw(5, b[pos:pos + 5 + n]); pos += 5 + n
        elif t == 0x07:
            v = ObjectId(b[pos:pos + 12]); pos += 12
        elif t == 0x08:
            v = b[pos] != 0; pos += 1
        elif t in (0x09, 0x11, 0x12):
            raw = b[pos:pos + 8]; pos += 8
            v = Int64(struct.unpack("<q", raw)[0]) if t == 0x12 else Raw(t, raw)
        elif t in (0x0a, 0x7f, 0xff):
            v = None if t == 0x0a else Raw(t, b"")
        elif t == 0x0b:
            start = pos
            _, pos = cstr(b, pos)
            _, pos = cstr(b, pos)
            v = Raw(0x0b, b[start:pos])
        elif t == 0x10:
            (v,) = struct.unpack_from("<i", b, pos); pos += 4
        else:
            raise BsonError("unknown type %d" % t)
        if array:
            out.append(v)
        else:
            out[key] = v
    if pos != end:
        raise BsonError("element overruns its document")
    return out


def encode_value(k, v):
    kb = k.encode() + b"\0"
    if isinstance(v, bool):
        return b"\x08" + kb + (b"\1" if v else b"\0")
    if isinstance(v, Int64):
        return b"\x12" + kb + struct.pack("<q", v)
    if isinstance(v, int):
        if -2**31 <= v < 2**31:
            return b"\x10" + kb + struct.pack("<i", v)
        return b"\x12" + kb + struct.pack("<q", v)
    if isinstance(v, float):
        return b"\x01" + kb + struct.pack("<d", v)
    if isinstance(v, str):
        s = v.encode()
        return b"\x02" + kb + struct.pack("<i", len(s) + 1) + s + b"\0"
    if isinstance(v, dict):
        return b"\x03" + kb + encode_doc(v)
    if isinstance(v, list):
        return b"\x04" + kb + encode_doc({str(i): x for i, x in enumerate(v)})
    if isinstance(v, ObjectId):
        return b"\x07" + kb + v.b
    if v is None:
        return b"\x0a" + kb
    if isinstance(v, Raw):
        return bytes([v.t]) + kb + v.b
    raise BsonError("cannot encode %r" % (v,))


def encode_doc(d):
    body = b"".join(encode_value(k, v) for k, v in d.items())
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def sortkey(v):
    if v is None:
        return (0, 0)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    return (3, repr(v))


def matches(doc, flt):
    for k, cond in flt.items():
        v = doc.get(k)
        if isinstance(cond, dict) and cond and all(x.startswith("$") for x in cond):
            for op, arg in cond.items():
                if op == "$gt" and not (v is not None and sortkey(v) > sortkey(arg)): return False
                if op == "$gte" and not (v is not None and sortkey(v) >= sortkey(arg)): return False
                if op == "$lt" and not (v is not None and sortkey(v) < sortkey(arg)): return False
                if op == "$lte" and not (v is not None and sortkey(v) <= sortkey(arg)): return False
                if op == "$ne" and v == arg: return False
                if op == "$in" and v not in arg: return False
        elif v != cond:
            return False
    return True


def project(doc, proj):
    if not proj:
        return dict(doc)
    include = [k for k, v in proj.items() if v and k != "_id"]
    if include:
        out = {k: doc[k] for k in include if k in doc}
        if proj.get("_id", 1) and "_id" in doc:
            out = {"_id": doc["_id"], **out}
        return out
    return {k: v for k, v in doc.items() if not (k in proj and not proj[k])}


def apply_update(doc, u):
    if any(k.startswith("$") for k in u):
        for op, fields in u.items():
            for k, v in fields.items():
                if op == "$set":
                    doc[k] = v
                elif op == "$inc":
                    doc[k] = doc.get(k, 0) + v
                elif op == "$unset":
                    doc.pop(k, None)
    else:
        keep = doc.get("_id")
        doc.clear()
        if keep is not None:
            doc["_id"] = keep
        doc.update({k: v for k, v in u.items() if k != "_id"})


def new_oid():
    return ObjectId(struct.pack(">I", int(time.time())) + os.urandom(8))


class Store:
    def __init__(self):
        self.colls = {}    # "db.coll" -> list of docs
        self.indexes = {}  # "db.coll" -> list of {name, key, unique}
        self.cursors = {}  # id -> remaining docs
        self.next_cursor = 1000
        self.stats = {"more_to_come": 0, "w0": 0, "replies": 0, "killed_cursors": 0, "getmore": 0}
        self.lock = threading.Lock()


STORE = Store()
BATCH = 2


def err(msg, code):
    return {"ok": 0, "errmsg": msg, "code": code}


class Conn:
    def __init__(self, sock, user, password):
        self.sock, self.user, self.password = sock, user, password
        self.authed = False
        self.scram = None

    # ---- SCRAM-SHA-1 ----
    def sasl_start(self, cmd):
        if cmd.get("mechanism") != "SCRAM-SHA-1":
            return err("unsupported mechanism", 2)
        first = base64.b64decode(cmd["payload"]).decode()
        if not first.startswith("n,,"):
            return err("bad gs2 header", 18)
        bare = first[3:]
        attrs = dict(kv.split("=", 1) for kv in bare.split(","))
        nonce = attrs["r"] + base64.b64encode(os.urandom(18)).decode()
        salt = os.urandom(16)
        iters = 4096
        server_first = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt).decode(), iters)
        self.scram = {"user": attrs["n"], "bare": bare, "server_first": server_first,
                      "nonce": nonce, "salt": salt, "iters": iters, "step": 1}
        return {"conversationId": 1, "done": False, "payload": base64.b64encode(server_first.encode()).decode(),
                "ok": 1}

    def sasl_continue(self, cmd):
        s = self.scram
        if s is None or cmd.get("conversationId") != 1:
            return err("no SASL conversation", 17)
        if s["step"] == 2:
            self.scram = None
            return {"conversationId": 1, "done": True, "payload": "", "ok": 1}
        final = base64.b64decode(cmd["payload"]).decode()
        without_proof, _, proof = final.rpartition(",p=")
        attrs = dict(kv.split("=", 1) for kv in without_proof.split(","))
        hexpw = hashlib.md5(("%s:mongo:%s" % (self.user, self.password)).encode()).hexdigest()
        salted = hashlib.pbkdf2_hmac("sha1", hexpw.encode(), s["salt"], s["iters"])
        client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
        stored = hashlib.sha1(client_key).digest()
        auth_msg = ",".join([s["bare"], s["server_first"], without_proof]).encode()
        sig = hmac.new(stored, auth_msg, hashlib.sha1).digest()
        want = bytes(a ^ b for a, b in zip(client_key, sig))
        if (s["user"] != self.user or attrs.get("r") != s["nonce"] or attrs.get("c") != "biws"
                or base64.b64decode(proof) != want):
            self.scram = None
            return err("Authentication failed.", 18)
        server_sig = hmac.new(hmac.new(salted, b"Server Key", hashlib.sha1).digest(), auth_msg, hashlib.sha1).digest()
        s["step"] = 2
        self.authed = True
        return {"conversationId": 1, "done": False,
                "payload": base64.b64encode(b"v=" + base64.b64encode(server_sig)).decode(), "ok": 1}

    # ---- collections ----
    def coll(self, cmd, name):
        return "%s.%s" % (cmd.get("$db"), name)

    def check_unique(self, ns, doc, docs, skip=None):
        for other in docs:
            if other is skip:
                continue
            if other.get("_id") == doc.get("_id"):
                return "_id_"
            for idx in STORE.indexes.get(ns, []):
                if idx.get("unique"):
                    keys = list(idx["key"].keys())
                    if all(other.get(k) == doc.get(k) for k in keys):
                        return idx["name"]
        return None

    def cmd_insert(self, cmd, name):
        ns = self.coll(cmd, name)
        docs = STORE.colls.setdefault(ns, [])
        n, errors = 0, []
        for i, d in enumerate(cmd.get("documents", [])):
            if "_id" not in d:
                d = {"_id": new_oid(), **d}
            dup = self.check_unique(ns, d, docs)
            if dup:
                errors.append({"index": i, "code": 11000,
                               "errmsg": "E11000 duplicate key error collection: %s index: %s" % (ns, dup)})
                continue
            docs.append(d)
            n += 1
        r = {"n": n, "ok": 1}
        if errors:
            r["writeErrors"] = errors
        return r

    def select(self, ns, flt, sort=None, skip=0, limit=0):
        docs = [d for d in STORE.colls.get(ns, []) if matches(d, flt or {})]
        for k, direction in reversed(list((sort or {}).items())):
            docs.sort(key=lambda d: sortkey(d.get(k)), reverse=direction < 0)
        docs = docs[skip or 0:]
        if limit:
            docs = docs[:abs(limit)]
        return docs

    def cursor_reply(self, ns, docs, first=True):
        batch, rest = docs[:BATCH], docs[BATCH:]
        cid = 0
        if rest:
            cid = STORE.next_cursor
            STORE.next_cursor += 1
            STORE.cursors[cid] = (ns, rest)
        key = "firstBatch" if first else "nextBatch"
        return {"cursor": {key: batch, "id": Int64(cid), "ns": ns}, "ok": 1}

    def cmd_find(self, cmd, name):
        ns = self.coll(cmd, name)
        docs = self.select(ns, cmd.get("filter"), cmd.get("sort"), cmd.get("skip", 0), cmd.get("limit", 0))
        proj = cmd.get("projection") or {}
        return self.cursor_reply(ns, [project(d, proj) for d in docs])

    def cmd_getMore(self, cmd, cid):
        STORE.stats["getmore"] += 1
        if not isinstance(cid, Int64):
            return err("getMore id must be an int64", 14)
        entry = STORE.cursors.pop(int(cid), None)
        if entry is None:
            return err("cursor id %d not found" % cid, 43)
        ns, docs = entry
        if ns.split(".", 1)[1] != cmd.get("collection"):
            return err("collection mismatch", 2)
        return self.cursor_reply(ns, docs, False)

    def cmd_killCursors(self, cmd, name):
        killed = []
        for cid in cmd.get("cursors", []):
            if STORE.cursors.pop(int(cid), None) is not None:
                killed.append(Int64(cid))
                STORE.stats["killed_cursors"] += 1
        return {"cursorsKilled": killed, "ok": 1}

    def cmd_count(self, cmd, name):
        ns = self.coll(cmd, name)
        return {"n": len(self.select(ns, cmd.get("query"), None, cmd.get("skip", 0), cmd.get("limit", 0))), "ok": 1}

    def cmd_update(self, cmd, name):
        ns = self.coll(cmd, name)
        docs = STORE.colls.setdefault(ns, [])
        n = modified = 0
        upserted = []
        for i, u in enumerate(cmd.get("updates", [])):
            hits = [d for d in docs if matches(d, u.get("q", {}))]
            if not u.get("multi"):
                hits = hits[:1]
            if not hits and u.get("upsert"):
                d = {"_id": new_oid()}
                d.update({k: v for k, v in u.get("q", {}).items() if not isinstance(v, dict)})
                apply_update(d, u["u"])
                docs.append(d)
                upserted.append({"index": i, "_id": d["_id"]})
                n += 1
            for d in hits:
                before = dict(d)
                apply_update(d, u["u"])
                n += 1
                modified += before != d
        r = {"n": n, "nModified": modified, "ok": 1}
        if upserted:
            r["upserted"] = upserted
        return r

    def cmd_delete(self, cmd, name):
        ns = self.coll(cmd, name)
        docs = STORE.colls.setdefault(ns, [])
        n = 0
        for dl in cmd.get("deletes", []):
            hits = [d for d in docs if matches(d, dl.get("q", {}))]
            if dl.get("limit") == 1:
                hits = hits[:1]
            for d in hits:
                docs.remove(d)
                n += 1
        return {"n": n, "ok": 1}

    def cmd_findAndModify(self, cmd, name):
        ns = self.coll(cmd, name)
        docs = STORE.colls.setdefault(ns, [])
        hits = self.select(ns, cmd.get("query"), cmd.get("sort"))
        if not hits:
            if cmd.get("upsert") and cmd.get("update"):
                d = {"_id": new_oid(), **{k: v for k, v in cmd["query"].items() if not isinstance(v, dict)}}
                apply_update(d, cmd["update"])
                docs.append(d)
                return {"value": d if cmd.get("new") else None,
                        "lastErrorObject": {"n": 1, "updatedExisting": False, "upserted": d["_id"]}, "ok": 1}
            return {"value": None, "lastErrorObject": {"n": 0, "updatedExisting": False}, "ok": 1}
        d = hits[0]
        before = dict(d)
        if cmd.get("remove"):
            docs.remove(d)
            return {"value": before, "lastErrorObject": {"n": 1}, "ok": 1}
        apply_update(d, cmd["update"])
        return {"value": dict(d) if cmd.get("new") else before,
                "lastErrorObject": {"n": 1, "updatedExisting": True}, "ok": 1}

    def cmd_aggregate(self, cmd, name):
        ns = self.coll(cmd, name)
        if not isinstance(cmd.get("cursor"), dict):
            return err("The 'cursor' option is required", 9)
        docs = list(STORE.colls.get(ns, []))
        for stage in cmd.get("pipeline", []):
            (op, arg), = stage.items()
            if op == "$match":
                docs = [d for d in docs if matches(d, arg)]
            elif op == "$sort":
                docs = self.sorted(docs, arg)
            elif op == "$skip":
                docs = docs[arg:]
            elif op == "$limit":
                docs = docs[:arg]
            elif op == "$count":
                docs = [{arg: len(docs)}] if docs else []
            else:
                return err("Unrecognized pipeline stage name: '%s'" % op, 40324)
        return self.cursor_reply(ns, docs)

    def sorted(self, docs, sort):
        for k, direction in reversed(list(sort.items())):
            docs = sorted(docs, key=lambda d: sortkey(d.get(k)), reverse=direction < 0)
        return docs

    def cmd_createIndexes(self, cmd, name):
        ns = self.coll(cmd, name)
        idx = STORE.indexes.setdefault(ns, [])
        before = len(idx) + 1
        for spec in cmd.get("indexes", []):
            if not spec.get("name") or not isinstance(spec.get("key"), dict):
                return err("bad index spec", 67)
            if all(i["name"] != spec["name"] for i in idx):
                idx.append(spec)
        return {"numIndexesBefore": before, "numIndexesAfter": len(idx) + 1, "ok": 1}

    def cmd_listIndexes(self, cmd, name):
        ns = self.coll(cmd, name)
        specs = [{"v": 2, "key": {"_id": 1}, "name": "_id_"}] + [
            {"v": 2, "key": i["key"], "name": i["name"], **({"unique": True} if i.get("unique") else {})}
            for i in STORE.indexes.get(ns, [])]
        return self.cursor_reply(ns, specs)

    def cmd_dropIndexes(self, cmd, name):
        ns = self.coll(cmd, name)
        idx = STORE.indexes.get(ns, [])
        want = cmd.get("index")
        was = len(idx) + 1
        if want == "*":
            STORE.indexes[ns] = []
        elif any(i["name"] == want for i in idx):
            STORE.indexes[ns] = [i for i in idx if i["name"] != want]
        else:
            return err("index not found with name [%s]" % want, 27)
        return {"nIndexesWas": was, "ok": 1}

    def cmd_drop(self, cmd, name):
        ns = self.coll(cmd, name)
        if ns not in STORE.colls:
            return err("ns not found", 26)
        del STORE.colls[ns]
        was = len(STORE.indexes.pop(ns, [])) + 1
        return {"ns": ns, "nIndexesWas": was, "ok": 1}

    def run(self, cmd):
        name = next(iter(cmd))
        arg = cmd[name]
        if name in ("ismaster", "isMaster", "hello"):
            return {"ismaster": True, "maxWireVersion": 17, "minWireVersion": 0, "ok": 1}
        if name == "ping":
            return {"ok": 1}
        if name == "saslStart":
            return self.sasl_start(cmd)
        if name == "saslContinue":
            return self.sasl_continue(cmd)
        if not self.authed:
            return {"ok": 0, "errmsg": "command %s requires authentication" % name, "code": 13,
                    "codeName": "Unauthorized"}
        if name == "fakeStats":
            return {"stats": dict(STORE.stats), "ok": 1}
        if name == "logout":
            self.authed = False
            return {"ok": 1}
        f = getattr(self, "cmd_" + name, None)
        if f is None:
            return {"ok": 0, "errmsg": "no such command: '%s'" % name, "code": 59, "codeName": "CommandNotFound"}
        return f(cmd, arg)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def serve(self):
        while True:
            head = self.recv_exact(16)
            length, req_id, _, opcode = struct.unpack("<iiii", head)
            if length < 21 or length > 48 * 1024 * 1024 or opcode != 2013:
                return
            body = self.recv_exact(length - 16)
            (flags,) = struct.unpack_from("<I", body, 0)
            if flags & ~0x3 or body[4] != 0:
                return
            (dlen,) = struct.unpack_from("<i", body, 5)
            if 5 + dlen != len(body):
                return  # one body section and nothing else, as our driver sends
            cmd = decode_doc(body, 5)
            with STORE.lock:
                reply = self.run(cmd)
                if flags & 2:
                    STORE.stats["more_to_come"] += 1
                    if cmd.get("writeConcern") == {"w": 0}:
                        STORE.stats["w0"] += 1
                    continue
                STORE.stats["replies"] += 1
            doc = encode_doc(reply)
            msg = struct.pack("<iiiiIB", 21 + len(doc), 0, req_id, 2013, 0, 0) + doc
            self.sock.sendall(msg)


def main():
    global BATCH
    user, password = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        BATCH = int(sys.argv[3])
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    print("listening", lsock.getsockname()[1], flush=True)
    threading.Timer(120, lambda: os._exit(0)).start()
    while True:
        s, _ = lsock.accept()

        def run(s=s):
            try:
                Conn(s, user, password).serve()
            except (EOFError, ConnectionError, BsonError, struct.error, ValueError, KeyError):
                pass
            finally:
                s.close()
        threading.Thread(target=run, daemon=True).start()


if __name__ == "__main__":
    main()
