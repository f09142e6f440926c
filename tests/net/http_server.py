#!/usr/bin/env python3
"""A small HTTP/1.1 server for zsyncctl's network tests. Binds 127.0.0.1 on a free port, prints
"PORT <n>" on stdout, and exits when its stdin closes (so a crashed test never leaves it behind).

Routes (query parameters in brackets):
  /etag/<name>            200 with ETag and Last-Modified for the current version of <name>;
                          304 when If-None-Match or If-Modified-Since matches
  /set/<name>?v=N         sets the version of <name> (changes its body, ETag and Last-Modified)
  /status/<code>          that status with a short body
  /bytes?size=N[&chunked=1][&rate=B]
                          N deterministic bytes; chunked transfer instead of Content-Length;
                          rate: at most B bytes per second
  /slow?delay=S[&chunks=N&gap=S]
                          sleeps S seconds before the headers, then N chunks S apart
  /truncate?size=N&send=M announces N bytes, sends M, then closes the connection
  /redirect?n=K[&to=PATH] 302 to /redirect?n=K-1, and at 0 to PATH (default /bytes?size=5)
  /echo-headers           the request headers as the body
  /log                    one line per request served so far: "<path> inm=<If-None-Match> ims=<...>"
"""
import email.utils
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

VERSIONS = {}
LOG = []
LOCK = threading.Lock()
BASE_TIME = 1700000000  # a fixed Last-Modified base, so tests are reproducible


def pattern(size):
    chunk = bytes(range(256))
    whole, rest = divmod(size, 256)
    return chunk * whole + chunk[:rest]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_body(self, code, body, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        inm = self.headers.get("If-None-Match", "")
        ims = self.headers.get("If-Modified-Since", "")
        with LOCK:
            LOG.append(f"{self.path} inm={inm} ims={ims}")
        try:
            self.route(parts, query, inm, ims)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route(self, parts, query, inm, ims):
        head = parts[0] if parts else ""
        if head == "etag" and len(parts) == 2:
            with LOCK:
                version = VERSIONS.get(parts[1], 1)
            etag = f'"{parts[1]}-v{version}"'
            modified = BASE_TIME + 1000 * version
            last_modified = email.utils.formatdate(modified, usegmt=True)
            headers = [("ETag", etag), ("Last-Modified", last_modified), ("Cache-Control", "max-age=0")]
            matched = False
            if inm:
                matched = etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
            elif ims:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
                matched = modified <= since
            if matched:
                self.send_response(304)
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                return
            body = f"{parts[1]} version {version}\n".encode() * 100
            self.send_body(200, body, headers)
        elif head == "set" and len(parts) == 2:
            with LOCK:
                VERSIONS[parts[1]] = int(query.get("v", "1"))
            self.send_body(200, b"ok\n")
        elif head == "status" and len(parts) == 2:
            code = int(parts[1])
            self.send_body(code, f"status {code}\n".encode())
        elif head == "bytes":
            size = int(query.get("size", "0"))
            rate = int(query.get("rate", "0"))
            body = pattern(size)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            chunked = query.get("chunked") == "1"
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            step = 65536 if rate == 0 else max(1, rate // 10)
            for offset in range(0, size, step):
                piece = body[offset:offset + step]
                if chunked:
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                if rate:
                    self.wfile.flush()
                    time.sleep(0.1)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        elif head == "slow":
            time.sleep(float(query.get("delay", "0")))
            chunks = int(query.get("chunks", "1"))
            gap = float(query.get("gap", "0"))
            piece = b"x" * 1024
            self.send_response(200)
            self.send_header("Content-Length", str(len(piece) * chunks))
            self.end_headers()
            for i in range(chunks):
                if i:
                    time.sleep(gap)
                self.wfile.write(piece)
                self.wfile.flush()
        elif head == "truncate":
            size = int(query.get("size", "1000"))
            send = int(query.get("send", "10"))
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(pattern(send))
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        elif head == "redirect":
            n = int(query.get("n", "1"))
            target = query.get("to", "/bytes?size=5")
            location = target if n <= 0 else f"/redirect?n={n - 1}&to={target}"
            if n <= 0:
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif head == "echo-headers":
            body = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
            self.send_body(200, body)
        elif head == "log":
            with LOCK:
                body = "".join(line + "\n" for line in LOG).encode()
            self.send_body(200, body)
        else:
            self.send_body(404, b"no such route\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that hang up (cancelled or timed-out transfers) are part of the tests, not errors.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    server = Server(("127.0.0.1", 0), Handler)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(1):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
