#!/usr/bin/env python3
"""An HTTP/1.1 server (Python's http.server) for our httpc tests
(test/lua/test_http.lua). Usage: http_peer.py PORT LIFETIME [CERT KEY].
With CERT and KEY it serves HTTPS. Prints "ready" once listening.
Routes:
  GET  /hello       "hello" with content-length; headers X-Test, two Set-Cookie
  GET  /chunked     a chunked body of 5 pieces
  GET  /stream      a chunked body of 5 pieces, 0.1 s apart
  GET  /nolength    a body ended by closing the connection
  GET  /slow        answers after 3 s
  GET  /204         no content
  POST /echo        the request body back (chunked request bodies decoded);
                    X-Got-Length, X-Got-Type, X-Got-Chunked, X-Got-Host
"""
import http.server
import socketserver
import ssl
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, body, code=200, extra=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_chunked(self, pieces, pause=0.0):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for p in pieces:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(p), p))
            self.wfile.flush()
            if pause:
                time.sleep(pause)
        self.wfile.write(b"0\r\nX-Trailer: done\r\n\r\n")

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()

    def do_GET(self):
        if self.path == "/hello":
            self.send_body(b"hello", extra=[("X-Test", "yes"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        elif self.path == "/chunked":
            self.send_chunked([b"one,", b"two,", b"three,", b"four,", b"five"])
        elif self.path == "/stream":
            self.send_chunked([b"s%d" % i for i in range(5)], pause=0.1)
        elif self.path == "/nolength":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until-close" * 100)
            self.close_connection = True
        elif self.path == "/slow":
            time.sleep(3)
            self.send_body(b"late")
        elif self.path == "/204":
            self.send_response(204)
            self.end_headers()
        else:
            self.send_body(b"missing", code=404)

    def do_POST(self):
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        if chunked:
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_body(body, extra=[
            ("X-Got-Length", str(len(body))),
            ("X-Got-Type", self.headers.get("Content-Type", "")),
            ("X-Got-Chunked", "yes" if chunked else "no"),
            ("X-Got-Host", self.headers.get("Host", "")),
        ])


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    port, lifetime = int(sys.argv[1]), float(sys.argv[2])
    srv = Server(("127.0.0.1", port), Handler)
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    time.sleep(lifetime)


if __name__ == "__main__":
    main()
