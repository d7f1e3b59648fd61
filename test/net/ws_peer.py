#!/usr/bin/python3
"""A websocket server (Debian's python3-websockets) for our websocket client
tests. Usage: ws_peer.py PORT LIFETIME [CERT KEY] (TLS with CERT and KEY).
Pings every 0.2 s and drops a client that does not answer within 1 s.
Messages: echoed, except "close-me" (closed with 4002 "server bye"),
"frag" (a fragmented text reply), "big" (a 100 KB binary reply), "slow"
("late" after 1.5 s, while the pings go on), "headers" (the request's
X-Custom header and path)."""
import asyncio
import ssl
import sys

import websockets


async def handler(ws, path):
    async for msg in ws:
        if msg == "close-me":
            await ws.close(4002, "server bye")
        elif msg == "frag":
            await ws.send(["pa", "rt", "s"])
        elif msg == "big":
            await ws.send(bytes(range(256)) * 400)
        elif msg == "slow":
            await asyncio.sleep(1.5)
            await ws.send("late")
        elif msg == "headers":
            await ws.send("%s|%s" % (ws.request_headers.get("X-Custom"), path))
        else:
            await ws.send(msg)


async def main():
    port, lifetime = int(sys.argv[1]), float(sys.argv[2])
    ctx = None
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    async with websockets.serve(handler, "127.0.0.1", port, ssl=ctx, ping_interval=0.2, ping_timeout=1):
        print("ready", flush=True)
        await asyncio.sleep(lifetime)


asyncio.run(main())
