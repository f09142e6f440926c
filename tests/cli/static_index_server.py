#!/usr/bin/env python3
"""A static package index for the pip and gem tests: serves DIR on 127.0.0.1 (directory listings are HTML
pages of links, which is what a PEP 503 simple index is), prints the port on stdout, and exits when its stdin
closes (a crashed test never leaves it behind).

    static_index_server.py DIR CONTROL_DIR

A package file (.whl, .gem, an ostree archive repository's .filez object) is slowed down on request: when
CONTROL_DIR/slow holds N, the N-th and every later request of one such path writes CONTROL_DIR/hit (its path) and then waits 60 s before answering, so a
test can interrupt a client in the middle of a download at a known moment (the earlier requests of that path,
a manager's simulations, are served at once). CONTROL_DIR/requests gets one line per package request:
"PATH COUNT".
"""
import functools
import os
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

ROOT, CONTROL = sys.argv[1], sys.argv[2]
COUNTS = {}
LOCK = threading.Lock()


class Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        # Every answer is the file as it is now: SimpleHTTPRequestHandler answers 304 when the file's mtime,
        # in whole seconds, is not after If-Modified-Since, so an index line a test appends within the second
        # of the client's last fetch (cargo's sparse index) would stay unseen.
        del self.headers["If-Modified-Since"]
        path = self.path.split("?", 1)[0]
        if path.endswith((".whl", ".gem", ".filez")):
            with LOCK:
                COUNTS[path] = COUNTS.get(path, 0) + 1
                count = COUNTS[path]
                with open(os.path.join(CONTROL, "requests"), "a") as f:
                    f.write("%s %d\n" % (path, count))
            try:
                slow_from = int(open(os.path.join(CONTROL, "slow")).read().strip() or "0")
            except (OSError, ValueError):
                slow_from = 0
            if slow_from and count >= slow_from:
                with open(os.path.join(CONTROL, "hit.tmp"), "w") as f:
                    f.write(path + "\n")
                os.replace(os.path.join(CONTROL, "hit.tmp"), os.path.join(CONTROL, "hit"))
                time.sleep(60)
        super().do_GET()


server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=ROOT))
server.daemon_threads = True
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
