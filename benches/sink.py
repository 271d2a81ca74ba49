#!/usr/bin/env python3
"""A webhook receiver for benches/burst.sh: answers every POST with 200 and
counts them. Usage: sink.py PORT COUNT_FILE (the count is written there
every 0.2 s)."""
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

count = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global count
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        with lock:
            count += 1
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def report(path):
    while True:
        with open(path, "w") as out:
            out.write(str(count))
        time.sleep(0.2)


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
threading.Thread(target=report, args=(sys.argv[2],), daemon=True).start()
server.serve_forever()
